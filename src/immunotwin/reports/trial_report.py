"""``report.html``: one self-contained page a clinician reads (figures inlined as PNG).

Sections: arm table, Kaplan-Meier PFS and OS with at-risk tables, waterfall, spider, swimmer,
toxicity, cost, the spec and provenance. Everything shown is read from the trial's tables.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from immunotwin.reports import figures

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%}.note{color:#666;font-size:.85rem}pre{background:#f7f7f7;padding:.8rem;
overflow-x:auto;font-size:.8rem}
"""

PROVENANCE_HEADING = "<h2>Specification and provenance</h2>"

ARM_COLUMNS = [
    ("n", "n", "{:d}"),
    ("orr", "ORR", "{:.1%}"),
    ("orr_ci95", "ORR 95% CI", None),
    ("cr_rate", "CR", "{:.1%}"),
    ("dcr", "DCR", "{:.1%}"),
    ("median_pfs_months", "median PFS (mo)", "{:.1f}"),
    ("median_os_months", "median OS (mo)", "{:.1f}"),
    ("median_dor_months", "median DOR (mo)", "{:.1f}"),
    ("pfs_hr_vs_control", "PFS HR", "{:.2f}"),
    ("os_hr_vs_control", "OS HR", "{:.2f}"),
    ("grade3plus_trae_rate", "grade >= 3 TRAE", "{:.1%}"),
    ("irae_any_grade_rate", "irAE any grade", "{:.1%}"),
    ("mean_cost_usd", "mean cost (USD)", "{:,.0f}"),
    ("failed_patients", "solver failures", "{:d}"),
]


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt(key: str, value, pattern: str | None) -> str:
    if value is None:
        return "NR" if key.startswith("median") else "–"
    if isinstance(value, list):
        return f"{value[0]:.1%} – {value[1]:.1%}"
    return pattern.format(value) if pattern else html.escape(str(value))


def _html_table(first_header: str, rows: list[tuple[str, dict]], columns: list) -> str:
    """One row per (label, values) over ``columns`` (key, header, pattern)."""
    head = "".join(f"<th>{label}</th>" for _, label, _ in columns)
    body = "".join(
        f"<tr><td>{html.escape(label)}</td>"
        + "".join(f"<td>{_fmt(key, values.get(key), pattern)}</td>" for key, _, pattern in columns)
        + "</tr>"
        for label, values in rows
    )
    return f"<table><tr><th>{first_header}</th>{head}</tr>{body}</table>"


def _arm_table(summary: dict) -> str:
    return _html_table("arm", [(arm["name"], arm) for arm in summary["arms"]], ARM_COLUMNS)


def _tumour_type_tables(summary: dict) -> str:
    """Per-tumour-type rows of each basket arm (empty for single-type trials)."""
    keys = ("n", "orr", "orr_ci95", "cr_rate", "median_pfs_months", "median_os_months")
    columns = [c for c in ARM_COLUMNS if c[0] in keys]
    return "".join(
        f"<h2>{html.escape(arm['name'])}: by tumour type</h2>"
        + _html_table("tumour type", list(arm["by_tumor_type"].items()), columns)
        for arm in summary["arms"]
        if arm.get("by_tumor_type")
    )


def _frame_table(frame: pd.DataFrame, float_format: str = "{:.2f}") -> str:
    formatters = {c: float_format.format for c in frame.select_dtypes("float").columns}
    return frame.to_html(index=False, border=0, formatters=formatters, na_rep="–")


def render_trial_report(
    summary: dict,
    patients: pd.DataFrame,
    visits: pd.DataFrame,
    km_curves: dict[str, dict[str, pd.DataFrame]],
    at_risk: dict[str, pd.DataFrame],
    toxicity_rates: pd.DataFrame,
    extra_sections: str = "",
) -> str:
    """The HTML page. ``km_curves[endpoint][arm]`` has ``time_months``/``survival`` columns,
    ``at_risk[endpoint]`` is a table of patients at risk per arm at fixed months."""
    spec = summary["spec"]
    title = html.escape(spec["name"])
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{title}: virtual trial</h1>",
        f"<p>{html.escape(spec['tumor_type'])}; {spec['patients_per_arm']} virtual patients per "
        f"arm; follow-up {spec['follow_up_months']} months; seed {summary['seed']}; "
        f"{'paired' if summary.get('paired_patients') else 'independent'} patients across arms."
        f"</p><p class='note'>Simulated with immunotwin {summary['immunotwin_version']} (model "
        f"{summary['model']['name']}, hash {summary['model']['hash']}). For research use; not for "
        "clinical decisions.</p>",
        "<h2>Arms</h2>",
        _arm_table(summary),
        "<p class='note'>Rates are fractions of the arm; months are 30.4375 days; NR = median "
        "not reached; hazard ratios (Cox) are against the control arm.</p>",
        _tumour_type_tables(summary),
    ]
    for endpoint, label in (("pfs", "Progression-free survival"), ("os", "Overall survival")):
        parts += [
            f"<h2>{label}</h2>",
            _img(figures.kaplan_meier_png(km_curves[endpoint], label, label.lower()), label),
            "<p class='note'>Patients at risk</p>",
            _frame_table(at_risk[endpoint], "{:.0f}"),
        ]
    parts += [
        "<h2>Best change in tumour size (waterfall)</h2>",
        _img(figures.waterfall_png(patients), "waterfall plot"),
        "<h2>Change over time (spider)</h2>",
        _img(figures.spider_png(visits), "spider plot"),
        "<h2>Responders (swimmer)</h2>",
        _img(figures.swimmer_png(patients), "swimmer plot"),
        "<h2>Toxicity</h2>",
        _img(figures.toxicity_png(toxicity_rates), "toxicity bars"),
        _frame_table(toxicity_rates.reset_index(names="adverse event"), "{:.1%}"),
        extra_sections,
        PROVENANCE_HEADING,
        f"<pre>{html.escape(json.dumps(summary['spec'], indent=2))}</pre>",
        f"<pre>{html.escape(json.dumps(summary.get('provenance', {}), indent=2))}</pre>",
        "</body></html>",
    ]
    return "\n".join(parts)


def insert_section(report_path: Path, section_html: str, section_id: str) -> None:
    """Put ``section_html`` into an existing report before its provenance, replacing a previous
    ``<section id="...">`` of the same id (atomic rewrite)."""
    text = report_path.read_text(encoding="utf-8")
    start = text.find(f'<section id="{section_id}"')
    if start >= 0:
        end = text.find("</section>", start) + len("</section>")
        text = text[:start] + text[end:]
    at = text.find(PROVENANCE_HEADING)
    at = at if at >= 0 else text.rfind("</body>")
    text = text[:at] + section_html + "\n" + text[at:]
    tmp = report_path.with_name(f".{report_path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(report_path)
