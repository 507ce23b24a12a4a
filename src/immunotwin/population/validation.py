"""Validation against published arms: run each mapped calibration arm, compare with its row.

The arm map (``immunotwin/data/calibration/arms.csv``) links every row of the calibration file
(``../shared/data/calibration/trials.csv``: trial_id + arm_role + regimen) to a one-arm trial
spec under ``examples/calibration/`` or says why the arm is not simulable yet. Each spec is run
with its own seed (arms of one trial share it, so they see the same virtual patients: common
random numbers), and the comparison table holds published vs simulated ORR (with the exact 95 %
binomial interval at the published n), CR, median PFS/OS, hazard ratios where both arms are
simulated, grade >= 3 toxicity, and pass/fail against issue 5's targets:

- ORR within +/- ``ORR_TOLERANCE_PP`` percentage points of the published value;
- median PFS and OS within +/- ``MEDIAN_TOLERANCE`` (relative) of the published value;
- gradients (:func:`gradient_checks`): KEYNOTE-024 vs -042 (PD-L1), KEYNOTE-158 TMB-high vs
  TMB-low, KEYNOTE-002 pembrolizumab 2 vs 10 mg/kg (flat).

An arm whose simulation fails is recorded with its error and skipped; it never stops the run.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunotwin.errors import InputError
from immunotwin.outcomes import TimeToEvent, clopper_pearson, hazard_ratio
from immunotwin.population.calibration import ParameterSet
from immunotwin.therapies.dose import DAYS_PER_MONTH

log = logging.getLogger(__name__)

ORR_TOLERANCE_PP = 7.0
MEDIAN_TOLERANCE = 0.25
TARGET_SHARE_ORR = 0.80
JOIN_KEYS = ("trial_id", "arm_role", "regimen", "indication")

ArmProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class ArmRun:
    """One simulated calibration arm: its summary block, PFS/OS data for HRs, or its error."""

    spec: str
    n: int
    follow_up_months: float
    summary: dict[str, Any] | None = None
    pfs: TimeToEvent | None = None
    os: TimeToEvent | None = None
    error: str | None = None
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None and self.summary is not None


def repository_root(start: str | Path | None = None) -> Path:
    """The folder holding ``examples/calibration`` (searched upward from ``start``, the current
    directory, then this package's location)."""
    starts = [Path(start)] if start else []
    starts += [Path.cwd(), Path(__file__).resolve()]
    for origin in starts:
        for folder in (origin.resolve(), *origin.resolve().parents):
            if (folder / "examples" / "calibration").is_dir():
                return folder
    raise InputError(
        "cannot find the examples/calibration folder of calibration-arm specs",
        source="immunotwin validate",
        fix="run from the immunotwin repository or pass --root REPO",
    )


def calibration_arms(arm_map: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The simulated rows of the arm map joined with their published row (one per arm).

    Raises InputError when a mapped arm has no row in ``targets`` (or several).
    """
    simulated = arm_map[arm_map["status"] == "simulated"].copy()
    joined = simulated.merge(
        targets, on=list(JOIN_KEYS), how="left", indicator=True, suffixes=("", "_target")
    )
    missing = joined[joined["_merge"] != "both"]
    if len(missing):
        first = missing.iloc[0]
        raise InputError(
            f"{len(missing)} mapped arm(s) have no row in the targets, e.g. "
            f"{first['trial_id']} / {first['arm_role']} / {first['regimen'][:60]}",
            source="targets CSV",
            location="columns " + ", ".join(JOIN_KEYS),
            fix="pass the calibration trials.csv (or a file with the same trial_id, arm_role, "
            "regimen and indication text)",
        )
    if len(joined) != len(simulated):
        raise InputError(
            "the targets hold duplicate rows for some mapped arms",
            source="targets CSV",
            location="columns " + ", ".join(JOIN_KEYS),
            fix="make trial_id + arm_role + regimen + indication unique",
        )
    return joined.drop(columns="_merge").reset_index(drop=True)


def _tte(patients: pd.DataFrame, prefix: str) -> TimeToEvent:
    return TimeToEvent(
        patients[f"{prefix}_months"].to_numpy() * DAYS_PER_MONTH,
        patients[f"{prefix}_event"].to_numpy().astype(bool),
        prefix.upper(),
    )


def run_arm(
    spec_path: str,
    *,
    root: Path,
    patients: int,
    seed: int | None,
    parameter_set: ParameterSet,
) -> ArmRun:
    """Simulate one calibration-arm spec (one arm); errors are returned, not raised."""
    from immunotwin.trials.engine import run_trial
    from immunotwin.trials.load import load_trial_spec
    from immunotwin.trials.outputs import arm_summaries

    start = time.perf_counter()
    try:
        spec = load_trial_spec(root / spec_path)
        update: dict[str, Any] = {"patients_per_arm": patients}
        if seed is not None:
            update["seed"] = seed
        spec = spec.model_copy(update=update)
        result = run_trial(spec, calibration=parameter_set)
        summary = arm_summaries(result)[0]
        table = result.arms[0].patients
        return ArmRun(
            spec=spec_path,
            n=patients,
            follow_up_months=spec.follow_up_months,
            summary=summary,
            pfs=_tte(table, "pfs"),
            os=_tte(table, "os"),
            seconds=time.perf_counter() - start,
        )
    except Exception as exc:  # noqa: BLE001 - one failing arm must not stop the others
        log.warning("calibration arm %s failed: %s", spec_path, exc)
        return ArmRun(
            spec=spec_path,
            n=patients,
            follow_up_months=float("nan"),
            error=f"{type(exc).__name__}: {exc}".splitlines()[0],
            seconds=time.perf_counter() - start,
        )


def run_arms(
    spec_paths: list[str],
    *,
    root: Path,
    patients: int = 200,
    seed: int | None = None,
    parameter_set: ParameterSet,
    progress: ArmProgress | None = None,
) -> dict[str, ArmRun]:
    """Run every distinct spec once (in order); ``progress(spec, done, total)`` after each."""
    unique = list(dict.fromkeys(p for p in spec_paths if p))
    runs: dict[str, ArmRun] = {}
    for done, path in enumerate(unique, start=1):
        runs[path] = run_arm(
            path, root=root, patients=patients, seed=seed, parameter_set=parameter_set
        )
        if progress is not None:
            progress(path, done, len(unique))
    return runs


def _pct(x: Any) -> float:
    return float(x) * 100.0 if x is not None and np.isfinite(x) else math.nan


def _num(x: Any) -> float:
    try:
        value = float(x)
    except (TypeError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def published_orr_ci_pct(orr_pct: float, n: float) -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95 % interval of a published ORR at its published n, in %."""
    if not (np.isfinite(orr_pct) and np.isfinite(n) and n > 0):
        return (math.nan, math.nan)
    k = int(round(orr_pct / 100.0 * n))
    lo, hi = clopper_pearson(min(max(k, 0), int(n)), int(n))
    return (100.0 * lo, 100.0 * hi)


def _within(sim: float, pub: float, rel: float) -> bool | None:
    if not np.isfinite(pub):
        return None
    if not np.isfinite(sim):
        return False
    return bool(abs(sim / pub - 1.0) <= rel)


def _within_pp(sim: float, pub: float, tolerance_pp: float = ORR_TOLERANCE_PP) -> bool | None:
    """Within +/- ``tolerance_pp`` percentage points (CRS/ICANS grade >= 3, issue 6); None when
    nothing was published."""
    if not np.isfinite(pub):
        return None
    return bool(np.isfinite(sim) and abs(sim - pub) <= tolerance_pp)


def _hr(runs: Mapping[str, ArmRun], spec: str, control: str, endpoint: str) -> float:
    a, b = runs.get(spec), runs.get(control)
    if not control or a is None or b is None or not (a.ok and b.ok):
        return math.nan
    return hazard_ratio(getattr(a, endpoint), getattr(b, endpoint)).hr


def compare(arms: pd.DataFrame, runs: Mapping[str, ArmRun]) -> pd.DataFrame:
    """The validation table: one row per mapped arm, published vs simulated, pass/fail.

    Percentages are in %, times in months. ``*_pass`` is True/False, or None where the
    published value is missing. ``median_*_sim`` is NaN when the simulated median is not reached
    within follow-up (``*_not_reached`` True).
    """
    rows = []
    for _, arm in arms.iterrows():
        run = runs.get(arm["spec"])
        s = run.summary if run is not None and run.ok else {}
        orr_pub, n_pub = _num(arm["orr_pct"]), _num(arm["n"])
        lo, hi = published_orr_ci_pct(orr_pub, n_pub)
        orr_sim = _pct(s.get("orr"))
        pfs_sim, os_sim = _num(s.get("median_pfs_months")), _num(s.get("median_os_months"))
        pfs_pub, os_pub = _num(arm["median_pfs_months"]), _num(arm["median_os_months"])
        orr_pass = (
            None
            if not np.isfinite(orr_pub)
            else bool(np.isfinite(orr_sim) and abs(orr_sim - orr_pub) <= ORR_TOLERANCE_PP)
        )
        rows.append(
            {
                "trial_id": arm["trial_id"],
                "arm_role": arm["arm_role"],
                "arm": arm["arm"],
                "spec": arm["spec"],
                "n_published": int(n_pub) if np.isfinite(n_pub) else None,
                "n_simulated": run.n if run is not None else 0,
                "orr_published": orr_pub,
                "orr_published_ci_low": lo,
                "orr_published_ci_high": hi,
                "orr_simulated": orr_sim,
                "orr_diff_pp": orr_sim - orr_pub,
                "orr_pass": orr_pass,
                "cr_published": _num(arm["cr_pct"]),
                "cr_simulated": _pct(s.get("cr_rate")),
                "median_pfs_published": pfs_pub,
                "median_pfs_simulated": pfs_sim,
                "pfs_not_reached": bool(run is not None and run.ok and not np.isfinite(pfs_sim)),
                "pfs_pass": _within(pfs_sim, pfs_pub, MEDIAN_TOLERANCE) if s else None,
                "median_os_published": os_pub,
                "median_os_simulated": os_sim,
                "os_not_reached": bool(run is not None and run.ok and not np.isfinite(os_sim)),
                "os_pass": _within(os_sim, os_pub, MEDIAN_TOLERANCE) if s else None,
                "pfs_hr_published": _num(arm["pfs_hr_vs_control"]),
                "pfs_hr_simulated": _hr(runs, arm["spec"], arm["hr_control_spec"], "pfs"),
                "os_hr_published": _num(arm["os_hr_vs_control"]),
                "os_hr_simulated": _hr(runs, arm["spec"], arm["hr_control_spec"], "os"),
                "crs_grade3plus_published": _num(arm.get("crs_grade3plus_pct")),
                "crs_grade3plus_simulated": _pct(s.get("crs_grade3plus_rate")),
                "crs_grade3plus_pass": _within_pp(
                    _pct(s.get("crs_grade3plus_rate")), _num(arm.get("crs_grade3plus_pct"))
                ),
                "icans_grade3plus_published": _num(arm.get("neurotox_grade3plus_pct")),
                "icans_grade3plus_simulated": _pct(s.get("icans_grade3plus_rate")),
                "icans_grade3plus_pass": _within_pp(
                    _pct(s.get("icans_grade3plus_rate")), _num(arm.get("neurotox_grade3plus_pct"))
                ),
                "grade3plus_trae_published": _num(arm["grade3plus_trae_pct"]),
                "grade3plus_simulated": _pct(s.get("grade3plus_trae_rate")),
                "follow_up_months": run.follow_up_months if run is not None else math.nan,
                "seconds": run.seconds if run is not None else math.nan,
                "error": run.error if run is not None else "not run",
            }
        )
    return pd.DataFrame(rows)


def _row(table: pd.DataFrame, trial: str, arm: str | None = None) -> pd.Series | None:
    hit = table[(table["trial_id"] == trial) & ((table["arm"] == arm) if arm else True)]
    return hit.iloc[0] if len(hit) else None


def gradient_checks(table: pd.DataFrame) -> pd.DataFrame:
    """Issue 5's gradient and dose-response checks on a validation table.

    - PD-L1 (KEYNOTE-024 TPS >= 50 % vs KEYNOTE-042 TPS >= 1 %, pembrolizumab): the published
      file has OS for both (26.3 vs 16.7 months) and OS HR (0.62 vs 0.81); pass when the
      simulated pembrolizumab median OS and ORR are higher in KEYNOTE-024 and its OS HR lower.
    - TMB (KEYNOTE-158 TMB >= 10 vs < 10): ORR 28.3 % vs 6.5 %; pass when both simulated ORRs
      are within the ORR tolerance and high > low.
    - Dose (KEYNOTE-002 pembrolizumab 2 vs 10 mg/kg): ORR 21 % vs 25 %, same median PFS; pass
      when the simulated ORRs differ by at most the ORR tolerance and the PFS medians by at
      most the median tolerance.
    """
    out = []
    k24 = _row(table, "KEYNOTE-024", "pembrolizumab")
    k42 = _row(table, "KEYNOTE-042", "pembrolizumab")
    if k24 is not None and k42 is not None:
        ok = bool(
            k24["median_os_simulated"] > k42["median_os_simulated"]
            and k24["orr_simulated"] > k42["orr_simulated"]
            and (
                not np.isfinite(k24["os_hr_simulated"])
                or not np.isfinite(k42["os_hr_simulated"])
                or k24["os_hr_simulated"] < k42["os_hr_simulated"]
            )
        )
        out.append(
            {
                "check": "PD-L1 gradient: KEYNOTE-024 (TPS>=50%) vs KEYNOTE-042 (TPS>=1%)",
                "published": f"OS {k24['median_os_published']:.1f} vs "
                f"{k42['median_os_published']:.1f} mo; OS HR {k24['os_hr_published']:.2f} vs "
                f"{k42['os_hr_published']:.2f}",
                "simulated": f"OS {k24['median_os_simulated']:.1f} vs "
                f"{k42['median_os_simulated']:.1f} mo; OS HR {k24['os_hr_simulated']:.2f} vs "
                f"{k42['os_hr_simulated']:.2f}; ORR {k24['orr_simulated']:.1f} vs "
                f"{k42['orr_simulated']:.1f} %",
                "pass": ok,
            }
        )
    hi = _row(table, "KEYNOTE-158 (TMB)", "tmb_high")
    lo = _row(table, "KEYNOTE-158 (TMB)", "tmb_low")
    if hi is not None and lo is not None:
        ok = bool(hi["orr_pass"] and lo["orr_pass"] and hi["orr_simulated"] > lo["orr_simulated"])
        out.append(
            {
                "check": "TMB gradient: KEYNOTE-158 TMB>=10 vs <10 mut/Mb (ORR)",
                "published": f"{hi['orr_published']:.1f} vs {lo['orr_published']:.1f} %",
                "simulated": f"{hi['orr_simulated']:.1f} vs {lo['orr_simulated']:.1f} %",
                "pass": ok,
            }
        )
    d2 = _row(table, "KEYNOTE-002", "pembrolizumab_2mgkg")
    d10 = _row(table, "KEYNOTE-002", "pembrolizumab_10mgkg")
    if d2 is not None and d10 is not None:
        pfs_close = _within(
            d10["median_pfs_simulated"], d2["median_pfs_simulated"], MEDIAN_TOLERANCE
        )
        ok = bool(abs(d10["orr_simulated"] - d2["orr_simulated"]) <= ORR_TOLERANCE_PP and pfs_close)
        out.append(
            {
                "check": "Flat PD-1 dose response: KEYNOTE-002 pembrolizumab 2 vs 10 mg/kg",
                "published": f"ORR {d2['orr_published']:.0f} vs {d10['orr_published']:.0f} %; "
                f"PFS {d2['median_pfs_published']:.1f} vs {d10['median_pfs_published']:.1f} mo",
                "simulated": f"ORR {d2['orr_simulated']:.1f} vs {d10['orr_simulated']:.1f} %; "
                f"PFS {d2['median_pfs_simulated']:.1f} vs {d10['median_pfs_simulated']:.1f} mo",
                "pass": ok,
            }
        )
    return pd.DataFrame(out, columns=["check", "published", "simulated", "pass"])


CORE_ARM_CLASSES = ("checkpoint", "chemotherapy")
"""Arm classes (:func:`immunotwin.population.fit.arm_class`) of issue 5's ORR target, which
applies to checkpoint-inhibitor, chemotherapy and control arms; other therapy families join
the all-arm count (issue 6)."""


def _count(values: pd.Series) -> dict[str, int]:
    values = values.dropna()
    return {"pass": int(values.astype(bool).sum()), "of": int(len(values))}


def _share(count: dict[str, int]) -> float:
    return count["pass"] / count["of"] if count["of"] else math.nan


def target_summary(table: pd.DataFrame, checks: pd.DataFrame) -> dict[str, Any]:
    """Pass counts against issue 5's targets (arms with a published value only).

    With an ``arm_class`` column the ORR count is also given for issue 5's own scope
    (checkpoint-inhibitor, chemotherapy and control arms) and per arm class.
    """
    orr = _count(table["orr_pass"])
    share = _share(orr)
    summary: dict[str, Any] = {
        "arms_simulated": int((table["error"].isna()).sum()),
        "arms_failed": int(table["error"].notna().sum()),
        "orr_within_7pp": orr,
        "orr_share": share,
        "orr_target_met": bool(share >= TARGET_SHARE_ORR) if orr["of"] else False,
    }
    if "arm_class" in table:
        core = table["arm_class"].isin(CORE_ARM_CLASSES) | (table["arm_role"] == "control")
        core_orr = _count(table.loc[core, "orr_pass"])
        summary["orr_within_7pp_checkpoint_chemo_control"] = core_orr
        summary["orr_share_checkpoint_chemo_control"] = _share(core_orr)
        summary["orr_within_7pp_by_class"] = {
            name: _count(group["orr_pass"])
            for name, group in table.groupby("arm_class", sort=True)
            if group["orr_pass"].notna().any()
        }
    summary |= {
        "median_pfs_within_25pct": _count(table["pfs_pass"]),
        "median_os_within_25pct": _count(table["os_pass"]),
        "gradient_checks_passed": {
            "pass": int(checks["pass"].sum()) if len(checks) else 0,
            "of": int(len(checks)),
        },
    }
    return summary


def target_lines(summary: dict[str, Any]) -> list[str]:
    """Human-readable lines of :func:`target_summary`'s ORR counts against the 80 % target."""

    def line(label: str, count: dict[str, int] | None) -> str | None:
        if not count or not count["of"]:
            return None
        share = _share(count)
        verdict = "met" if share >= TARGET_SHARE_ORR else "not met"
        return (
            f"ORR within {ORR_TOLERANCE_PP:g} pp, {label}: {count['pass']}/{count['of']} "
            f"({100 * share:.0f} %; target {100 * TARGET_SHARE_ORR:.0f} %, {verdict})"
        )

    lines = [
        line("all arms", summary.get("orr_within_7pp")),
        line(
            "checkpoint, chemotherapy and control arms",
            summary.get("orr_within_7pp_checkpoint_chemo_control"),
        ),
    ]
    return [text for text in lines if text]


DISPLAY_COLUMNS = {
    "trial_id": "trial",
    "arm": "arm",
    "n_published": "n pub",
    "orr_published": "ORR pub %",
    "orr_ci": "pub 95% CI",
    "orr_simulated": "ORR sim %",
    "orr_pass": "ORR ±7",
    "cr_published": "CR pub",
    "cr_simulated": "CR sim",
    "median_pfs_published": "mPFS pub",
    "median_pfs_simulated": "mPFS sim",
    "pfs_pass": "PFS ±25%",
    "median_os_published": "mOS pub",
    "median_os_simulated": "mOS sim",
    "os_pass": "OS ±25%",
    "pfs_hr_published": "PFS HR pub",
    "pfs_hr_simulated": "PFS HR sim",
    "os_hr_published": "OS HR pub",
    "os_hr_simulated": "OS HR sim",
    "grade3plus_trae_published": "G3+ pub %",
    "grade3plus_simulated": "G3+ sim %",
    "crs_grade3plus_published": "CRS3+ pub %",
    "crs_grade3plus_simulated": "CRS3+ sim %",
    "icans_grade3plus_published": "ICANS3+ pub %",
    "icans_grade3plus_simulated": "ICANS3+ sim %",
}


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The validation table as strings for printing (blank = no published value)."""

    def fmt(x: Any, digits: int = 1) -> str:
        if x is None or (isinstance(x, float) and not np.isfinite(x)):
            return ""
        return f"{x:.{digits}f}"

    def flag(x: Any) -> str:
        return (
            ""
            if x is None or (isinstance(x, float) and math.isnan(x))
            else ("pass" if bool(x) else "FAIL")
        )

    out = pd.DataFrame()
    for key, title in DISPLAY_COLUMNS.items():
        if key == "orr_ci":
            out[title] = [
                f"{a:.0f}-{b:.0f}" if np.isfinite(a) else ""
                for a, b in zip(
                    table["orr_published_ci_low"], table["orr_published_ci_high"], strict=True
                )
            ]
        elif key.endswith("_pass"):
            out[title] = [flag(v) for v in table[key]]
        elif key in ("trial_id", "arm"):
            out[title] = table[key].astype(str)
        elif key == "n_published":
            out[title] = [str(v) if v is not None and v == v else "" for v in table[key]]
        elif "hr" in key:
            out[title] = [fmt(v, 2) for v in table[key]]
        else:
            out[title] = [fmt(v) for v in table[key]]
    for col, nr in (("mPFS sim", "pfs_not_reached"), ("mOS sim", "os_not_reached")):
        out.loc[table[nr].to_numpy(dtype=bool), col] = "NR"
    out.loc[table["error"].notna().to_numpy(), "ORR sim %"] = "error"
    return out


def to_markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured markdown table of a frame of strings (no extra dependency)."""
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.to_numpy()]
    return "\n".join([header, rule, *body])
