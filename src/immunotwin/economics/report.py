"""HTML fragment of the economic results for report.html (tables + inline SVG figures)."""

from __future__ import annotations

import io
from html import escape
from typing import Any


def _money(x: Any, currency: str = "") -> str:
    if x is None:
        return "–"
    return f"{currency}{float(x):,.0f}"


def _num(x: Any, digits: int = 2) -> str:
    return "–" if x is None else f"{float(x):.{digits}f}"


def _table(headers: list[str], rows: list[list[str]], caption: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<table class="economics"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _figures(econ: dict[str, Any]) -> str:
    psa = econ.get("psa")
    if not psa:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = []
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ceac = psa["ceac"]
    wtp = [w / 1000 for w in ceac["wtp_per_qaly"]]
    for arm, probs in ceac["probability_optimal"].items():
        ax.plot(wtp, probs, label=arm)
    ax.axvline(econ["wtp_per_qaly"] / 1000, color="grey", ls=":", lw=1)
    ax.set_xlabel(f"willingness to pay (thousand {econ['currency']} per QALY)")
    ax.set_ylabel("probability cost-effective")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("Cost-effectiveness acceptability curve")
    ax.legend(fontsize=8)
    parts.append(_svg(fig))
    plt.close(fig)

    if psa["comparisons"]:
        fig, ax = plt.subplots(figsize=(5.5, 3.5))
        for comp in psa["comparisons"]:
            ax.scatter(
                comp["delta_qaly"],
                [c / 1000 for c in comp["delta_cost"]],
                s=4,
                alpha=0.4,
                label=f"{comp['arm']} vs {comp['versus']}",
            )
        lo, hi = ax.get_xlim()
        ax.plot(
            [lo, hi],
            [econ["wtp_per_qaly"] * lo / 1000, econ["wtp_per_qaly"] * hi / 1000],
            color="grey",
            ls=":",
            lw=1,
            label="WTP threshold",
        )
        ax.axhline(0, color="black", lw=0.5)
        ax.axvline(0, color="black", lw=0.5)
        ax.set_xlabel("incremental QALYs")
        ax.set_ylabel(f"incremental cost (thousand {econ['currency']})")
        ax.set_title("Cost-effectiveness plane (PSA)")
        ax.legend(fontsize=8)
        parts.append(_svg(fig))
        plt.close(fig)
    return '<div class="economics-figures">' + "".join(parts) + "</div>"


def economics_report_section(econ: dict[str, Any]) -> str:
    """HTML fragment (``<section>``) summarising an ``economics.json`` dict.

    Tables: per-arm discounted costs/LYs/QALYs (base case), incremental results versus the
    reference arm, the efficiency frontier, the top tornado parameters; figures: CE
    acceptability curve and CE plane as inline SVG; then warnings, missing items, assumptions.
    """
    cur = "$" if econ.get("currency") == "USD" else f"{econ.get('currency', '')} "
    base = econ["base_case_model"]
    rows = []
    for arm in econ["arms"]:
        r = arm[base]
        c = r["costs"]
        rows.append(
            [
                escape(arm["name"]),
                str(arm["n"]),
                _money(c["drug"], cur),
                _money(c["total"] - c["drug"], cur),
                _money(c["total"], cur),
                _num(r["life_years"]),
                _num(r["qalys"]),
                _num(arm["state_transition"]["qalys"]),
                _money(r["net_monetary_benefit"], cur),
            ]
        )
    parts = [
        '<section id="economics"><h2>Health economics</h2>',
        "<p>"
        + escape(
            f"Base case: {base.replace('_', ' ')} model, horizon {econ['horizon_years']:g} years, "
            f"discount {econ['discount_rate_costs_per_year']:.1%}/year (costs) and "
            f"{econ['discount_rate_outcomes_per_year']:.1%}/year (outcomes), "
            f"willingness to pay {cur}{econ['wtp_per_qaly']:,.0f}/QALY, "
            f"{econ['currency']} ({econ['price_year']})."
        )
        + "</p>",
        _table(
            [
                "arm",
                "n",
                "drug cost",
                "other costs",
                "total cost",
                "LYs",
                "QALYs",
                "QALYs (Markov)",
                "NMB",
            ],
            rows,
            "Discounted mean cost and outcomes per patient",
        ),
    ]
    inc_rows = []
    for row in econ["incremental"][base]:
        ratio = (
            _money(row["icer"], cur) + "/QALY"
            if row["icer_status"] == "icer"
            else escape(row["icer_status"])
        )
        inc_rows.append(
            [
                escape(f"{row['arm']} vs {row['versus']}"),
                _money(row["delta_cost"], cur),
                _num(row["delta_qaly"], 3),
                _num(row["delta_life_years"], 3),
                ratio,
                _money(row["incremental_nmb"], cur),
            ]
        )
    if inc_rows:
        ref = econ["reference_arm"]
        note = "control arm" if econ.get("reference_is_control") else "least costly arm"
        parts.append(
            _table(
                ["comparison", "Δ cost", "Δ QALY", "Δ LY", "ICER", "incremental NMB"],
                inc_rows,
                f"Incremental results versus {ref} ({note})",
            )
        )
    parts.append(
        _table(
            ["arm", "cost", "QALYs", "status", "ICER vs previous"],
            [
                [
                    escape(f["name"]),
                    _money(f["cost"], cur),
                    _num(f["qaly"], 3),
                    escape(f["status"].replace("_", " ")),
                    _money(f["icer_vs_previous"], cur),
                ]
                for f in econ["frontier"]
            ],
            "Efficiency frontier (dominance and extended dominance)",
        )
    )
    for tornado in econ.get("tornado", []):
        top = tornado["parameters"][:8]
        parts.append(
            _table(
                ["parameter", "low", "high", "INMB at low", "INMB at high"],
                [
                    [
                        escape(t["parameter"]),
                        _num(t["low_value"], 3),
                        _num(t["high_value"], 3),
                        _money(t["incremental_nmb_low"], cur),
                        _money(t["incremental_nmb_high"], cur),
                    ]
                    for t in top
                ],
                f"One-way sensitivity: {tornado['arm']} vs {tornado['versus']}",
            )
        )
    psa = econ.get("psa")
    if psa:
        probs = ", ".join(
            f"{escape(a)} {p:.0%}" for a, p in psa["probability_optimal_at_wtp"].items()
        )
        parts.append(
            f"<p>PSA ({psa['n_draws']} draws, seed {psa['seed']}): probability of being the "
            f"optimal arm at the willingness to pay: {probs}.</p>"
        )
    parts.append(_figures(econ))
    for title, items in (
        ("Warnings", econ.get("warnings", [])),
        ("Not costed (no sourced value)", econ.get("missing_cost_items", [])),
        ("Assumptions", econ.get("assumptions", [])),
    ):
        if items:
            parts.append(
                f"<h3>{escape(title)}</h3><ul>"
                + "".join(f"<li>{escape(str(i))}</li>" for i in items)
                + "</ul>"
            )
    parts.append("</section>")
    return "\n".join(p for p in parts if p)
