"""Write a twin: ``twin.json`` and a self-contained ``twin.html`` (atomic: temp + rename)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from immunotwin.twin.build import DISCLAIMER


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _figures(twin: dict) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = {}
    keys = [r["key"] for r in twin["ranking"]]
    if not keys:
        return out
    fig, ax = plt.subplots(figsize=(7, 4))
    for k in keys:
        b = twin["burden"][k]
        days = [d / 30.4375 for d in b["days"]]
        line = ax.plot(days, b["q50"], label=k)[0]
        ax.fill_between(days, b["q10"], b["q90"], alpha=0.15, color=line.get_color())
    ax.set_xlabel("months from forecast start")
    ax.set_ylabel("sum of diameters (mm), median and 80 % band")
    ax.legend(fontsize=7)
    out["burden"] = _png(fig)
    for ep, label in (("os", "overall survival"), ("pfs", "progression-free survival")):
        fig, ax = plt.subplots(figsize=(7, 4))
        for k in keys:
            c = twin["curves"][k]
            ax.step(c["months"], c[ep], where="post", label=k)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("months")
        ax.set_ylabel(f"probability of {label}")
        ax.legend(fontsize=7)
        out[ep] = _png(fig)
    fit = (twin.get("measurement_update") or {}).get("history_fit")
    if fit:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.fill_between(
            fit["days"],
            fit["posterior_q10_mm"],
            fit["posterior_q90_mm"],
            alpha=0.3,
            label="posterior 80 % band",
        )
        ax.plot(fit["days"], fit["posterior_q50_mm"], label="posterior median")
        ax.plot(fit["days"], fit["observed_mm"], "ko", label="measured")
        ax.set_xlabel("days from first measurement")
        ax.set_ylabel("sum of diameters (mm)")
        ax.legend(fontsize=7)
        out["history"] = _png(fig)
    return out


def _fmt(v, digits=2) -> str:
    if v is None:
        return "n.r."
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return html.escape(str(v))


def _interval(pair) -> str:
    return f"{_fmt(pair[0], 1)} - {_fmt(pair[1], 1)}"


def render_html(twin: dict) -> str:
    """The twin report as one self-contained HTML page."""
    figs = _figures(twin)
    e = html.escape
    rows = "".join(
        "<tr>"
        f"<td>{r['rank']}</td><td>{e(r['key'])}<br><small>{e(r['name'])}</small></td>"
        f"<td>{_fmt(r['p_response'])}</td>"
        f"<td>{_fmt(r['median_pfs_months'], 1)} ({_interval(r['pfs_interval80_months'])})</td>"
        f"<td>{_fmt(r['median_os_months'], 1)} ({_interval(r['os_interval80_months'])})</td>"
        f"<td>{_fmt(r['p_grade3plus_irae'])}</td><td>{_fmt(r['p_grade3plus_any_ae'])}</td>"
        f"<td>{_fmt(r['p_grade3plus_crs'])} / {_fmt(r['p_grade3plus_icans'])}</td>"
        f"<td>{_fmt(r['expected_cost_usd'], 0)}</td><td>{_fmt(r['expected_qalys'])}</td>"
        f"<td>{_fmt(r['icer_vs_soc'], 0)} {e(str(r['icer_status'] or ''))}</td>"
        "</tr>"
        for r in twin["ranking"]
    )
    imputed = (
        "".join(
            f"<li><code>{e(i['field'])}</code>: "
            f"{e(json.dumps({k: v for k, v in i.items() if k != 'field'}))}</li>"
            for i in twin["imputed"]
        )
        or "<li>nothing: every input was given</li>"
    )
    notes = "".join(f"<li>{e(n)}</li>" for n in twin["notes"])
    rm = twin.get("response_model")
    rm_text = (
        f"<p>Response model P(response to {e(rm['reference_regimen'])}) = "
        f"{rm['response_model_probability']:.2f}; twin without it "
        f"{rm['twin_probability_without']:.2f}, with it {rm['twin_probability_with']:.2f} "
        f"(effective members {rm['ess']:.0f}). The table uses the combined twin; "
        "twin.json also holds the ranking without the response model.</p>"
        if rm
        else "<p>The response model was not used.</p>"
    )
    expl = twin.get("explanation") or {}
    expl_rows = "".join(
        f"<tr><td>{e(c['feature'])}</td><td>{e(c['change'])}</td><td>{_fmt(c['gap'], 3)}</td>"
        f"<td>{_fmt(c.get('gap_shift'), 3)}</td></tr>"
        for c in expl.get("counterfactuals", [])
    )
    img = "".join(
        f"<h3>{e(title)}</h3><img src='{figs[k]}' alt='{e(title)}'>"
        for k, title in (
            ("history", "Measurements and the posterior twin"),
            ("burden", "Forecast tumour burden per regimen"),
            ("pfs", "Progression-free survival per regimen"),
            ("os", "Overall survival per regimen"),
        )
        if k in figs
    )
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>immunotwin digital twin: {e(twin["patient"]["id"])}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 6px;font-size:13px}}
.warn{{background:#fee;border:1px solid #c00;padding:8px;font-weight:bold}}</style></head><body>
<p class="warn">{e(DISCLAIMER)} This is a mechanistic simulation with assumed parameters.</p>
<h1>Digital twin of {e(twin["patient"]["id"])}</h1>
<p>{e(twin["tumor_name"])}, line {twin["line"]}; {twin["ensemble_size"]} ensemble members,
seed {twin["seed"]}, calibration {e(str(twin["calibration"]))}, immunotwin
{e(twin["immunotwin_version"])}. Ranked by {e(twin["rank_by_description"])}.</p>
<h2>Ranked regimens</h2>
<table><tr><th>#</th><th>regimen</th><th>P(response)</th><th>median PFS, months (80 %)</th>
<th>median OS, months (80 %)</th><th>P(grade&ge;3 irAE)</th><th>P(grade&ge;3 any AE)</th>
<th>P(CRS/ICANS &ge;3)</th><th>expected cost, USD</th><th>QALYs</th>
<th>ICER vs {e(str(twin.get("standard_of_care")))}</th></tr>{rows}</table>
<p>n.r. = not reached within the forecast horizon.</p>
{rm_text}
<h2>Imputed inputs</h2><ul>{imputed}</ul>
<h2>Notes</h2><ul>{notes}</ul>
<h2>What drives the difference between the top two regimens</h2>
<p>Counterfactual twins with one input changed; gap = {e(str(expl.get("criterion")))}
of {e(" minus ".join(expl.get("top_regimens", [])))}.</p>
<table><tr><th>feature</th><th>change</th><th>gap</th><th>shift vs twin</th></tr>{expl_rows}
</table>
{img}
<p class="warn">{e(DISCLAIMER)}</p></body></html>
"""


def write_twin(twin: dict, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``twin.json`` and ``twin.html`` into ``out_dir`` (atomically)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "twin.json", out / "twin.html"
    _atomic_write(json_path, json.dumps(twin, indent=2, sort_keys=False) + "\n")
    _atomic_write(html_path, render_html(twin))
    return json_path, html_path
