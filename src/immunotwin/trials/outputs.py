"""Trial outputs (DESIGN.md §5): summary.json, patients.parquet, doses.parquet, ADaM-shaped
adtte.parquet / adrs.parquet and report.html. Every file is written atomically (temp + rename).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunotwin.io.atomic import atomic_path, write_bytes_atomic
from immunotwin.outcomes import (
    Response,
    TimeToEvent,
    arm_table,
    kaplan_meier,
    response_summary,
)
from immunotwin.population.basket import TUMOR_TYPE_COLUMN
from immunotwin.therapies.dose import DAYS_PER_MONTH
from immunotwin.trials.engine import CELL_THERAPY_CLASSES, TrialResult

AT_RISK_MONTHS = (0, 6, 12, 18, 24, 30, 36, 48, 60)


def _finite(x: Any) -> Any:
    """JSON-safe: NaN and inf (e.g. a median not reached) become null."""
    if isinstance(x, float | np.floating):
        return float(x) if math.isfinite(x) else None
    return x


def _tte(frame: pd.DataFrame, prefix: str) -> TimeToEvent:
    return TimeToEvent(
        frame[f"{prefix}_months"].to_numpy() * DAYS_PER_MONTH,
        frame[f"{prefix}_event"].to_numpy().astype(bool),
        prefix.upper(),
    )


def arm_summaries(result: TrialResult) -> list[dict[str, Any]]:
    """The per-arm block of summary.json with DESIGN.md's keys."""
    control = result.spec.control_arm
    by_arm = {a.name: a for a in result.arms}
    tables = {
        ep: arm_table(
            {n: _tte(a.patients, ep) for n, a in by_arm.items()}, control=control
        ).set_index("arm")
        for ep in ("pfs", "os")
    }
    rows = []
    for arm in result.arms:
        p = arm.patients
        ok = p["solver_status"].to_numpy() == 0
        codes = np.array([int(Response[label]) for label in p["best_overall_response"]])
        dor = TimeToEvent(
            p["dor_months"].fillna(0).to_numpy() * DAYS_PER_MONTH,
            p["dor_event"].to_numpy().astype(bool),
            "DOR",
        )
        responders = np.isin(codes, [int(Response.CR), int(Response.PR)])
        rs = response_summary(
            codes, TimeToEvent(dor.time_days[responders], dor.event[responders], "DOR")
        )
        cell = bool(arm.classes & CELL_THERAPY_CLASSES)
        row = {
            "name": arm.name,
            "n": int(len(p)),
            "failed_patients": int((~ok).sum()),
            "orr": _finite(rs.orr),
            "orr_ci95": [_finite(v) for v in rs.orr_ci95],
            "cr_rate": _finite(rs.cr_rate),
            "dcr": _finite(rs.dcr),
            "median_dor_months": _finite(rs.median_dor_months),
            "median_pfs_months": _finite(tables["pfs"].loc[arm.name, "median_months"]),
            "median_os_months": _finite(tables["os"].loc[arm.name, "median_months"]),
            "pfs_12m_rate": _finite(tables["pfs"].loc[arm.name, "rate_12m"]),
            "os_12m_rate": _finite(tables["os"].loc[arm.name, "rate_12m"]),
            "os_24m_rate": _finite(tables["os"].loc[arm.name, "rate_24m"]),
            "pfs_hr_vs_control": _finite(tables["pfs"].loc[arm.name, "hr_vs_control"]),
            "pfs_hr_ci95": [
                _finite(tables["pfs"].loc[arm.name, c]) for c in ("hr_ci_lower", "hr_ci_upper")
            ],
            "os_hr_vs_control": _finite(tables["os"].loc[arm.name, "hr_vs_control"]),
            "os_hr_ci95": [
                _finite(tables["os"].loc[arm.name, c]) for c in ("hr_ci_lower", "hr_ci_upper")
            ],
            "grade3plus_trae_rate": _finite(float(p["grade3plus_ae"].mean())),
            "irae_any_grade_rate": _finite(float(p["irae_any_grade"].mean())),
            "crs_grade3plus_rate": _finite(float((p["crs_grade"] >= 3).mean()))
            if cell and "crs_grade" in p
            else None,
            "icans_grade3plus_rate": _finite(float((p["icans_grade"] >= 3).mean()))
            if cell and "icans_grade" in p
            else None,
            "mean_cost_usd": _finite(float(p["cost_usd"].mean())) if "cost_usd" in p else None,
        }
        if control is None or arm.name == control:
            for key in ("pfs_hr_vs_control", "os_hr_vs_control"):
                row[key] = None
            row["pfs_hr_ci95"] = row["os_hr_ci95"] = None
        if TUMOR_TYPE_COLUMN in p:
            row["by_tumor_type"] = by_tumour_type(p)
        rows.append(row)
    return rows


def by_tumour_type(patients: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """A basket arm's endpoints per tumour type (the per-cohort table basket trials report):
    n, ORR with exact 95 % CI, CR rate and median PFS/OS (null: not reached)."""
    out: dict[str, dict[str, Any]] = {}
    for key, group in patients.groupby(TUMOR_TYPE_COLUMN, sort=True):
        codes = np.array([int(Response[label]) for label in group["best_overall_response"]])
        rs = response_summary(codes)
        out[str(key)] = {
            "n": int(len(group)),
            "orr": _finite(rs.orr),
            "orr_ci95": [_finite(v) for v in rs.orr_ci95],
            "cr_rate": _finite(rs.cr_rate),
            "median_pfs_months": _finite(kaplan_meier(_tte(group, "pfs")).median_months),
            "median_os_months": _finite(kaplan_meier(_tte(group, "os")).median_months),
        }
    return out


ADTTE_PARAMS = {
    "OS": "Overall survival",
    "PFS": "Progression-free survival",
    "DOR": "Duration of response",
}


def adtte_rows(patients: pd.DataFrame, arm_name: str, code: str) -> pd.DataFrame:
    """ADTTE rows of one PARAMCD for some patients of one arm."""
    prefix = code.lower()
    rows = (
        patients
        if code != "DOR"
        else patients[patients["best_overall_response"].isin(["CR", "PR"])]
    )
    return pd.DataFrame(
        {
            "USUBJID": rows["usubjid"],
            "ARM": arm_name,
            "PARAMCD": code,
            "PARAM": ADTTE_PARAMS[code],
            "AVAL": rows[f"{prefix}_months"].astype(float),
            "AVALU": "MONTHS",
            "CNSR": 1 - rows[f"{prefix}_event"].astype(int),
        }
    )


def adtte(result: TrialResult) -> pd.DataFrame:
    """ADaM ADTTE: one row per patient and PARAMCD (OS, PFS, DOR); AVAL in months, CNSR 1 =
    censored."""
    frames = [
        adtte_rows(arm.patients, arm.name, code) for arm in result.arms for code in ADTTE_PARAMS
    ]
    return pd.concat(frames, ignore_index=True)


def adrs_ovr_rows(patients: pd.DataFrame, visits: pd.DataFrame, arm_name: str) -> pd.DataFrame:
    """ADRS visit-level overall response rows (PARAMCD OVR) of some patients of one arm."""
    ids = patients.set_index("patient_id")["usubjid"]
    v = visits[visits["ovr"] != "NOT_ASSESSED"]
    return pd.DataFrame(
        {
            "USUBJID": ids.loc[v["patient_id"]].to_numpy(),
            "ARM": arm_name,
            "PARAMCD": "OVR",
            "ADY": v["day"].to_numpy(),
            "AVALC": v["ovr"].to_numpy(),
            "SLD_MM": v["sld_mm"].to_numpy(),
        }
    )


def adrs_bor_rows(patients: pd.DataFrame, arm_name: str) -> pd.DataFrame:
    """ADRS best overall response rows (PARAMCD BOR) of some patients of one arm."""
    return pd.DataFrame(
        {
            "USUBJID": patients["usubjid"],
            "ARM": arm_name,
            "PARAMCD": "BOR",
            "ADY": np.nan,
            "AVALC": patients["best_overall_response"],
            "SLD_MM": np.nan,
        }
    )


def adrs(result: TrialResult) -> pd.DataFrame:
    """ADaM ADRS: visit-level overall response (PARAMCD OVR) and best overall response (BOR)."""
    frames = []
    for arm in result.arms:
        frames.append(adrs_ovr_rows(arm.patients, arm.visits, arm.name))
        frames.append(adrs_bor_rows(arm.patients, arm.name))
    return pd.concat(frames, ignore_index=True)


def _atomic_bytes(path: Path, data: bytes) -> None:
    write_bytes_atomic(path, data)


def _atomic_parquet(path: Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def build_summary(result: TrialResult) -> dict[str, Any]:
    spec = result.spec
    return {
        "immunotwin_version": result.provenance["immunotwin_version"],
        "spec": spec.model_dump(mode="json"),
        "seed": spec.seed,
        "paired_patients": spec.paired_patients,
        "model": {"name": result.model_name, "hash": result.model_hash},
        "provenance": result.provenance,
        "arms": arm_summaries(result),
    }


def write_report(
    result: TrialResult,
    out_dir: str | Path,
    summary: dict[str, Any],
    figure_patients: pd.DataFrame | None = None,
    figure_visits: pd.DataFrame | None = None,
) -> None:
    """report.html: KM curves, at-risk and toxicity from every patient of ``result``;
    waterfall/swimmer/spider figures from ``figure_patients``/``figure_visits`` (default all)."""
    from immunotwin.reports.trial_report import render_trial_report

    out = Path(out_dir)
    patients = pd.concat([a.patients for a in result.arms], ignore_index=True)
    if figure_patients is None:
        figure_patients = patients
    if figure_visits is None:
        figure_visits = pd.concat([a.visits for a in result.arms], ignore_index=True)
    km, at_risk = {}, {}
    months = [m for m in AT_RISK_MONTHS if m < result.spec.follow_up_months]
    for ep in ("pfs", "os"):
        km[ep], rows = {}, []
        for arm in result.arms:
            fit = kaplan_meier(_tte(arm.patients, ep), label=arm.name, at_risk_months=months)
            km[ep][arm.name] = fit.curve
            rows.append(fit.at_risk.set_index("time_months")["at_risk"].rename(arm.name))
        table = pd.concat(rows, axis=1).T
        table.columns = [f"{int(c)} mo" for c in table.columns]
        at_risk[ep] = table.reset_index(names="arm")
    tox_columns = [c for c in patients.columns if c.startswith("worst_grade_")]
    toxicity = pd.DataFrame(
        {arm.name: [(arm.patients[c] >= 3).mean() for c in tox_columns] for arm in result.arms},
        index=[c.removeprefix("worst_grade_") for c in tox_columns],
    )
    extra = ""
    if "cost_usd" in patients:
        extra = "<h2>Cost</h2>" + patients.groupby("arm", sort=False)["cost_usd"].describe()[
            ["mean", "25%", "50%", "75%"]
        ].to_html(float_format="{:,.0f}".format)
    html = render_trial_report(
        summary, figure_patients, figure_visits, km, at_risk, toxicity, extra
    )
    _atomic_bytes(out / "report.html", html.encode())


def write_outputs(result: TrialResult, out_dir: str | Path) -> dict[str, Any]:
    """Write all trial outputs to ``out_dir``; returns the summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = build_summary(result)
    patients = pd.concat([a.patients for a in result.arms], ignore_index=True)
    doses = pd.concat([a.doses for a in result.arms], ignore_index=True)
    _atomic_parquet(out / "patients.parquet", patients)
    _atomic_parquet(out / "doses.parquet", doses)
    _atomic_parquet(out / "adtte.parquet", adtte(result))
    _atomic_parquet(out / "adrs.parquet", adrs(result))
    write_report(result, out, summary)
    _atomic_bytes(out / "summary.json", json.dumps(summary, indent=2).encode())
    return summary
