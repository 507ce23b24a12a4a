"""Read a finished job's output files into the shapes the pages plot (no new numerics).

Kaplan-Meier curves and at-risk counts come from :func:`immunotwin.outcomes.kaplan_meier`
(the same call the trial report makes); everything else is read from the run's files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from immunotwin.trials.outputs import AT_RISK_MONTHS

TRIAL_DOWNLOADS = (
    "summary.json",
    "patients.parquet",
    "doses.parquet",
    "adtte.parquet",
    "adrs.parquet",
    "report.html",
    "economics.json",
)
TWIN_DOWNLOADS = ("twin.json", "twin.html")
NEO_DOWNLOADS = (
    "epitopes.tsv",
    "vaccine.tsv",
    "summary.json",
    "neoantigens.json",
    "vaccine_construct.json",
)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())
    return value


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def trial_plot_data(out: Path) -> dict[str, Any]:
    """KM curves + at-risk tables (PFS, OS), waterfall, toxicity and cost per arm."""
    from immunotwin.outcomes import TimeToEvent, kaplan_meier
    from immunotwin.therapies.dose import DAYS_PER_MONTH

    summary = read_json(out / "summary.json")
    patients = pd.read_parquet(out / "patients.parquet")
    arms = [a["name"] for a in summary["arms"]]
    follow_up = float(summary["spec"]["follow_up_months"])
    at_risk_months = [m for m in AT_RISK_MONTHS if m <= follow_up]
    km: dict[str, list[dict[str, Any]]] = {}
    for ep in ("pfs", "os"):
        km[ep] = []
        for arm in arms:
            rows = patients[patients["arm"] == arm]
            tte = TimeToEvent(
                rows[f"{ep}_months"].to_numpy() * DAYS_PER_MONTH,
                rows[f"{ep}_event"].to_numpy().astype(bool),
                ep.upper(),
            )
            fit = kaplan_meier(tte, label=arm, at_risk_months=at_risk_months)
            km[ep].append(
                {
                    "arm": arm,
                    "time_months": fit.curve["time_months"].tolist(),
                    "survival": fit.curve["survival"].tolist(),
                    "ci_lower": fit.curve["ci_lower"].tolist(),
                    "ci_upper": fit.curve["ci_upper"].tolist(),
                    "median_months": fit.median_months,
                    "at_risk": fit.at_risk["at_risk"].astype(int).tolist(),
                }
            )
    waterfall = []
    for arm in arms:
        rows = patients[patients["arm"] == arm].sort_values("best_pct_change", ascending=False)
        waterfall.append(
            {
                "arm": arm,
                "best_pct_change": rows["best_pct_change"].tolist(),
                "best_overall_response": rows["best_overall_response"].tolist(),
            }
        )
    tox_cols = [c for c in patients.columns if c.startswith("worst_grade_")]
    toxicity = {
        "events": [c.removeprefix("worst_grade_") for c in tox_cols],
        "arms": [
            {
                "arm": arm,
                "grade3plus_rate": [
                    float((patients.loc[patients["arm"] == arm, c] >= 3).mean()) for c in tox_cols
                ],
            }
            for arm in arms
        ],
    }
    cost = (
        [
            {"arm": arm, "cost_usd": patients.loc[patients["arm"] == arm, "cost_usd"].tolist()}
            for arm in arms
        ]
        if "cost_usd" in patients
        else []
    )
    return _clean(
        {
            "arms": arms,
            "at_risk_months": at_risk_months,
            "km": km,
            "waterfall": waterfall,
            "toxicity": toxicity,
            "cost": cost,
        }
    )


def economics_rows(out: Path) -> dict[str, Any] | None:
    """The per-arm and incremental partitioned-survival results of economics.json, if present."""
    path = out / "economics.json"
    if not path.is_file():
        return None
    econ = read_json(path)
    model = econ.get("base_case_model", "partitioned_survival")
    arms = [
        {
            "name": a["name"],
            "total_cost": a[model]["total_cost"],
            "qalys": a[model]["qalys"],
            "life_years": a[model]["life_years"],
        }
        for a in econ.get("arms", [])
        if model in a
    ]
    return _clean(
        {
            "model": model,
            "currency": econ.get("currency"),
            "price_year": econ.get("price_year"),
            "horizon_years": econ.get("horizon_years"),
            "wtp_per_qaly": econ.get("wtp_per_qaly"),
            "arms": arms,
            "incremental": econ.get("incremental", {}).get(model, []),
            "warnings": econ.get("warnings", []),
        }
    )


def epitope_rows(out: Path, limit: int = 500) -> dict[str, Any]:
    """The first ``limit`` rows of epitopes.tsv and all of vaccine.tsv, as JSON-safe lists."""
    table: dict[str, Any] = {}
    for name in ("epitopes", "vaccine"):
        path = out / f"{name}.tsv"
        if path.is_file() and path.stat().st_size > 0:
            frame = pd.read_csv(path, sep="\t")
            total = len(frame)
            if name == "epitopes":
                frame = frame.head(limit)
            frame = frame.astype(object).where(frame.notna(), None)
            table[name] = {
                "columns": list(frame.columns),
                "rows": frame.values.tolist(),
                "total_rows": total,
            }
        else:
            table[name] = {"columns": [], "rows": [], "total_rows": 0}
    return _clean(table)


def read_validation_table(path: Path | None) -> dict[str, Any] | None:
    """Columns and rows of a validation CSV or of the first Markdown table in validation.md."""
    if path is None or not path.is_file():
        return None
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path)
        frame = frame.astype(object).where(frame.notna(), None)
        return {"source": path.name, "columns": list(frame.columns), "rows": frame.values.tolist()}
    lines = path.read_text(encoding="utf-8").splitlines()
    rows: list[list[str]] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            cells = [c.strip() for c in stripped.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue
            rows.append(cells)
        elif rows:
            break
    if len(rows) < 2:
        return None
    return {"source": path.name, "columns": rows[0], "rows": rows[1:]}


def twin_rows(out: Path) -> dict[str, Any] | None:
    """The ranked table and notes of a finished twin job (twin.json)."""
    path = out / "twin.json"
    if not path.is_file():
        return None
    twin = read_json(path)
    return {
        "disclaimer": twin.get("disclaimer"),
        "patient_id": twin.get("patient", {}).get("id"),
        "tumor_name": twin.get("tumor_name"),
        "line": twin.get("line"),
        "ensemble_size": twin.get("ensemble_size"),
        "rank_by": twin.get("rank_by"),
        "ranking": twin.get("ranking", []),
        "imputed": twin.get("imputed", []),
        "notes": twin.get("notes", []),
        "response_model": twin.get("response_model"),
    }
