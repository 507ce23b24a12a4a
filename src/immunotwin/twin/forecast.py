"""Forecast: the twin's ensemble under every candidate regimen, summarised per regimen.

The ensemble runs through the trial engine as a paired virtual trial whose "population" is
the twin's members (:func:`immunotwin.trials.engine.run_trial` with supplied patients and
parameters), so response (RECIST 1.1 / Lugano), progression, death, toxicity grading, irAE
management, doses and costs are exactly those of a virtual trial. Every summary is weighted
by member weights (uniform, or the response-model weights of
:func:`immunotwin.twin.evidence.response_model_weights`).

Survival quantities are predictive for this one patient: the median PFS/OS is where the
weighted Kaplan-Meier curve of the members crosses 0.5, and the 80 % interval runs from its
0.9 to its 0.1 crossing (``None`` = not reached within the follow-up).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunotwin.therapies.dose import DAYS_PER_MONTH
from immunotwin.trials.engine import ORGANS, TrialResult, run_trial
from immunotwin.trials.spec import TrialSpec, VisitSchedule
from immunotwin.twin.ensemble import Ensemble
from immunotwin.twin.regimens import Regimen

FOLLOW_UP_MONTHS = 48.0
RANK_CRITERIA = {
    "expected_qalys": "expected QALYs (discounted 3 %/year, within the forecast horizon)",
    "p_response": "probability of objective response (CR/PR)",
    "median_os_months": "median overall survival",
    "median_pfs_months": "median progression-free survival",
    "net_monetary_benefit": "expected net monetary benefit at the willingness-to-pay per QALY",
}
DEFAULT_RANK_CRITERION = "expected_qalys"
CURVE_MONTHS = np.arange(0.0, FOLLOW_UP_MONTHS + 1e-9, 1.0)


def forecast_spec(regimens: tuple[Regimen, ...], tumour_key: str, n: int, seed: int) -> TrialSpec:
    """The paired virtual trial of the twin's regimens."""
    return TrialSpec(
        name="digital twin forecast",
        tumor_type=tumour_key,
        patients_per_arm=n,
        seed=seed,
        follow_up_months=FOLLOW_UP_MONTHS,
        visit_schedule=VisitSchedule(),
        arms=tuple(r.arm() for r in regimens),
    )


def run_forecast(
    ensemble: Ensemble, regimens: tuple[Regimen, ...], seed: int, executor=None
) -> TrialResult:
    """Simulate the ensemble under ``regimens`` and attach per-member cost and QALYs.

    ``executor``: an engine executor (:mod:`immunotwin.engine.executors`) that parallelises
    the solver over members; results do not depend on it."""
    from immunotwin.trials.engine import _model_and_kernel

    model, _ = _model_and_kernel()
    spec = forecast_spec(regimens, ensemble.tumour.key, ensemble.size, seed)
    result = run_trial(
        spec,
        calibration=ensemble.calibration,
        patients=ensemble.table(),
        parameters=ensemble.parameters(model),
        executor=executor,
    )
    attach_economics(result)
    return result


def attach_economics(result: TrialResult) -> list[str]:
    """Add ``cost_usd`` and ``qalys`` (economics defaults) to every arm's member table."""
    from immunotwin.economics.costs import resource_use
    from immunotwin.economics.io import check_patients
    from immunotwin.economics.models import per_patient_results
    from immunotwin.economics.settings import EconomicsSettings

    settings = EconomicsSettings()
    patients = check_patients(pd.concat([a.patients for a in result.arms], ignore_index=True))
    doses = pd.concat([a.doses for a in result.arms], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        use = resource_use(patients, doses, settings)
        per = per_patient_results(patients, use, settings).set_index("patient_id")
    for arm in result.arms:
        ids = arm.patients["patient_id"]
        arm.patients["cost_usd"] = per.loc[ids, "cost_total"].to_numpy()
        arm.patients["qalys"] = per.loc[ids, "qalys"].to_numpy()
    return sorted({str(w.message) for w in caught})


def weighted_km(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """Weighted Kaplan-Meier survival at ``grid`` (same unit as ``time``)."""
    order = np.lexsort((~event.astype(bool), time))  # events before censorings at a tie
    t, e, w = time[order], event[order].astype(bool), weights[order]
    at_risk = np.cumsum(w[::-1])[::-1]
    factors = np.where(e, 1.0 - w / np.maximum(at_risk, 1e-300), 1.0)
    surv = np.cumprod(factors)
    idx = np.searchsorted(t, grid, side="right") - 1
    return np.where(idx >= 0, surv[np.clip(idx, 0, None)], 1.0)


def km_quantile_months(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray, level: float
) -> float | None:
    """First time the weighted KM curve falls to ``level`` or below (None: not reached)."""
    grid = np.unique(time)
    surv = weighted_km(time, event, weights, grid)
    hit = np.nonzero(surv <= level + 1e-12)[0]
    return float(grid[hit[0]]) if hit.size else None


def _wmean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * x))


def _quantiles(values: np.ndarray, weights: np.ndarray, qs=(0.1, 0.5, 0.9)) -> list[float]:
    ok = np.isfinite(values)
    v, w = values[ok], weights[ok]
    if v.size == 0:
        return [float("nan")] * len(qs)
    order = np.argsort(v)
    cw = np.cumsum(w[order]) / w.sum()
    return [float(v[order][min(np.searchsorted(cw, q), v.size - 1)]) for q in qs]


@dataclass(frozen=True)
class RegimenForecast:
    """One regimen's forecast for the twin (weighted over members)."""

    key: str
    summary: dict
    curves: dict
    burden: dict


def summarise_arm(arm, regimen: Regimen, weights: np.ndarray) -> RegimenForecast:
    """Per-regimen probabilities, survival, toxicity, cost and QALYs under ``weights``."""
    p = arm.patients
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    bor = p["best_overall_response"].to_numpy()
    responder = np.isin(bor, ["CR", "PR"])
    grades = [p[f"worst_grade_{o}"].to_numpy() for o in ORGANS if f"worst_grade_{o}" in p]
    irae3 = np.any([g >= 3 for g in grades], axis=0) if grades else np.zeros(len(p), bool)
    summary = {
        "key": regimen.key,
        "name": regimen.name,
        "role": regimen.role,
        "p_response": _wmean(responder, w),
        "p_complete_response": _wmean(bor == "CR", w),
        "p_grade3plus_irae": _wmean(irae3, w),
        "p_grade3plus_any_ae": _wmean(p["grade3plus_ae"].to_numpy(bool), w),
        "p_grade3plus_crs": _wmean(p["crs_grade"].to_numpy() >= 3, w) if "crs_grade" in p else None,
        "p_grade3plus_icans": _wmean(p["icans_grade"].to_numpy() >= 3, w)
        if "icans_grade" in p
        else None,
        "expected_cost_usd": _wmean(p["cost_usd"].to_numpy(), w),
        "expected_qalys": _wmean(p["qalys"].to_numpy(), w),
        "failed_members": int((p["solver_status"].to_numpy() != 0).sum()),
        "source": regimen.source,
    }
    curves = {"months": CURVE_MONTHS.tolist()}
    for ep in ("pfs", "os"):
        t = p[f"{ep}_months"].to_numpy(float)
        e = p[f"{ep}_event"].to_numpy(bool)
        summary[f"median_{ep}_months"] = km_quantile_months(t, e, w, 0.5)
        summary[f"{ep}_interval80_months"] = [
            km_quantile_months(t, e, w, 0.9),
            km_quantile_months(t, e, w, 0.1),
        ]
        curves[ep] = weighted_km(t, e, w, CURVE_MONTHS).round(4).tolist()
    visits = arm.visits
    ids = visits["patient_id"].to_numpy() - p["patient_id"].to_numpy().min()
    burden = {"days": [], "q10": [], "q50": [], "q90": []}
    for day, rows in visits.groupby("day").groups.items():
        rows = np.asarray(list(rows))
        sel = visits.index.get_indexer(rows)
        q = _quantiles(visits["sld_mm"].to_numpy(float)[sel], w[ids[sel]])
        burden["days"].append(float(day))
        for name, value in zip(("q10", "q50", "q90"), q, strict=True):
            burden[name].append(round(value, 2))
    return RegimenForecast(regimen.key, summary, curves, burden)


def add_comparisons(summaries: list[dict], soc_key: str | None, wtp_per_qaly: float) -> None:
    """ICER and net monetary benefit of each regimen versus the standard of care (in place)."""
    from immunotwin.economics.decision import icer

    soc = next((s for s in summaries if s["key"] == soc_key), None)
    for s in summaries:
        s["net_monetary_benefit"] = wtp_per_qaly * s["expected_qalys"] - s["expected_cost_usd"]
        if soc is None or s is soc:
            s["icer_vs_soc"] = None
            s["icer_status"] = None if soc is None else "comparator"
            continue
        result = icer(
            s["expected_cost_usd"] - soc["expected_cost_usd"],
            s["expected_qalys"] - soc["expected_qalys"],
        )
        s["icer_vs_soc"] = result["icer"]
        s["icer_status"] = result["status"]


def rank(summaries: list[dict], criterion: str = DEFAULT_RANK_CRITERION) -> list[dict]:
    """Summaries sorted best first by ``criterion`` (higher is better; a median not reached
    counts as the follow-up); ties broken by lower P(grade >= 3 AE), then by lower cost."""
    if criterion not in RANK_CRITERIA:
        from immunotwin.errors import InputError

        raise InputError(
            f"unknown ranking criterion '{criterion}'",
            location="--rank-by",
            fix="one of " + ", ".join(RANK_CRITERIA),
        )

    def key(s: dict):
        value = s[criterion]
        if value is None:
            value = FOLLOW_UP_MONTHS
        return (-value, s["p_grade3plus_any_ae"], s["expected_cost_usd"])

    ranked = sorted(summaries, key=key)
    for i, s in enumerate(ranked, start=1):
        s["rank"] = i
    return ranked


def responders(arm) -> np.ndarray:
    """Boolean CR/PR per member of an arm."""
    return np.isin(arm.patients["best_overall_response"].to_numpy(), ["CR", "PR"])


def months_to_days(months: float) -> float:
    return months * DAYS_PER_MONTH
