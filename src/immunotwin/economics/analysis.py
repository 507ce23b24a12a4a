"""Whole cost-effectiveness analysis of a finished trial run -> ``economics.json``.

:func:`analyse_run` is pure (tables in, dict out); :func:`run_economics` reads the run
directory, calls it and writes ``economics.json`` atomically.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunotwin import __version__
from immunotwin.economics._warnings import MissingPriceWarning
from immunotwin.economics.costs import resource_use, usable_price
from immunotwin.economics.decision import (
    efficiency_frontier,
    finite_or_none,
    incremental_table,
    net_monetary_benefit,
)
from immunotwin.economics.discounting import DAYS_PER_MONTH
from immunotwin.economics.io import read_trial_run, write_json_atomic
from immunotwin.economics.models import (
    ArmOutcomes,
    evaluate,
    partitioned_survival,
    state_transition,
    transition_hazards_per_day,
    unit_values,
    within_trial,
)
from immunotwin.economics.settings import (
    AE_COLUMNS,
    AE_CRS_AND_ICANS,
    EconomicsSettings,
    assumptions,
    packaged_cost_items,
)
from immunotwin.economics.uncertainty import (
    one_way_sensitivity,
    probabilistic_sensitivity,
    psa_summary,
)
from immunotwin.errors import InputError

logger = logging.getLogger(__name__)

MODELS = ("partitioned_survival", "state_transition", "within_trial")
BASE_CASE = "partitioned_survival"


def _missing_items(
    settings: EconomicsSettings, patients: pd.DataFrame, arms: tuple[str, ...]
) -> list[str]:
    """Cost components that occur in the run but have no value (costed at 0)."""
    missing = []
    for name, value in (
        ("administration_cost_per_infusion_usd", settings.administration_cost_per_infusion_usd),
        ("monitoring_cost_per_week_pf_usd", settings.monitoring_cost_per_week_pf_usd),
        ("monitoring_cost_per_week_pd_usd", settings.monitoring_cost_per_week_pd_usd),
        ("end_of_life_cost_usd", settings.end_of_life_cost_usd),
    ):
        if value is None:
            missing.append(name)
    crs3 = patients[AE_COLUMNS["crs"]] >= 3
    icans3 = patients[AE_COLUMNS["icans"]] >= 3
    joint = settings.ae_costs_usd.get(AE_CRS_AND_ICANS) is not None
    for key, col in AE_COLUMNS.items():
        events = patients[col] >= 3
        if key in ("crs", "icans") and joint:
            events = events & ~(crs3 & icans3)
        if events.any() and settings.ae_costs_usd.get(key) is None:
            missing.append(f"ae_costs_usd.{key} ({int(events.sum())} grade>=3 patients)")
    flagged = patients.get("grade3plus_ae")
    if flagged is not None:
        specific = np.zeros(len(patients), bool)
        for col in AE_COLUMNS.values():
            specific |= (patients[col] >= 3).to_numpy()
        other = flagged.fillna(False).astype(bool).to_numpy() & ~specific
        if other.any():
            missing.append(
                f"other grade>=3 AEs without a type ({int(other.sum())} patients; not costed)"
            )
    for arm in arms:
        if arm not in settings.subsequent_therapy:
            missing.append(f"subsequent_therapy.{arm} (not configured: no post-progression cost)")
    return missing


def _prices_used(settings: EconomicsSettings, drugs: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for d in drugs:
        p = settings.drug_prices[d]
        out.append(
            {
                "drug": d,
                "price_usd": usable_price(p, settings),
                "price_unit": p.price_unit,
                "price_year": p.price_year,
                "confidence": p.confidence,
                "source": p.source,
                "derivation": p.derivation,
            }
        )
    return out


def analyse_run(
    patients: pd.DataFrame,
    doses: pd.DataFrame,
    arm_names: tuple[str, ...],
    control_arm: str | None,
    settings: EconomicsSettings,
    *,
    follow_up_months: float | None = None,
) -> dict[str, Any]:
    """Costs, LYs, QALYs, ICERs, frontier, PSA and tornado of every arm (JSON-ready dict).

    The base case is the partitioned-survival model; the state-transition and within-trial
    views are reported beside it. The reference for incremental results is ``control_arm``,
    or the least costly arm (base case) when the run has no control. Warnings (crossing curves,
    flat tails, missing prices) are collected in ``warnings`` and logged, never raised.
    """
    present = [a for a in arm_names if (patients["arm"] == a).any()]
    if not present:
        raise InputError("no patients in any arm", source="patients.parquet", location="arm")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        use = resource_use(patients, doses, settings)
        arm_rows = {a: np.flatnonzero((patients["arm"] == a).to_numpy()) for a in present}
        arm_inputs = {
            a: (ArmOutcomes.from_patients(patients.iloc[idx]), idx) for a, idx in arm_rows.items()
        }
        quantities = {
            a: {
                "partitioned_survival": partitioned_survival(out, use, idx, settings, label=a),
                "state_transition": state_transition(out, use, idx, settings),
                "within_trial": within_trial(out, use, idx, settings),
            }
            for a, (out, idx) in arm_inputs.items()
        }
    base_warnings = [str(w.message) for w in caught]
    values = {a: unit_values(settings, use, a) for a in present}
    arms_out = []
    results = {a: {m: evaluate(quantities[a][m], values[a]) for m in MODELS} for a in present}
    for a in present:
        out, idx = arm_inputs[a]
        entry: dict[str, Any] = {"name": a, "n": int(idx.size)}
        for m in MODELS:
            res = results[a][m]
            res["net_monetary_benefit"] = float(
                net_monetary_benefit(res["total_cost"], res["qalys"], settings.wtp_per_qaly)
            )
            entry[m] = res
        entry["state_transition"]["hazards_per_month"] = {
            k: v * DAYS_PER_MONTH for k, v in transition_hazards_per_day(out).items()
        }
        entry["drug_units_per_patient"] = {
            d: float(x)
            for d, x in zip(use.drugs, use.drug_units_undiscounted[idx].mean(0), strict=True)
        }
        entry["grade3plus_ae_rates"] = {
            k: float(x) for k, x in zip(AE_COLUMNS, use.ae_grade3plus[idx].mean(0), strict=True)
        }
        arms_out.append(entry)

    names = tuple(present)
    base_costs = np.array([results[a][BASE_CASE]["total_cost"] for a in names])
    base_qalys = np.array([results[a][BASE_CASE]["qalys"] for a in names])
    reference = control_arm if control_arm in names else names[int(np.argmin(base_costs))]
    incremental = {
        m: incremental_table(
            names,
            [results[a][m]["total_cost"] for a in names],
            [results[a][m]["qalys"] for a in names],
            [results[a][m]["life_years"] for a in names],
            reference,
            settings.wtp_per_qaly,
        )
        for m in MODELS
    }
    frontier = efficiency_frontier(names, base_costs, base_qalys)

    extra_warnings: list[str] = []
    if follow_up_months:
        late = use.last_dose_day >= (follow_up_months * DAYS_PER_MONTH - 30.0)
        if late.any():
            extra_warnings.append(
                f"{int(late.sum())} patients were still dosed in the last 30 days of follow-up; "
                "drug costs after follow-up are not counted (treatment is not extrapolated)"
            )
    if doses.empty:
        extra_warnings.append("doses.parquet missing or empty: no drug or administration costs")

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        psa = (
            psa_summary(probabilistic_sensitivity(arm_inputs, use, settings), reference, settings)
            if settings.psa.n_draws > 0 and len(names) > 1
            else None
        )
        tornado = (
            one_way_sensitivity(
                arm_inputs,
                use,
                settings,
                reference,
                {a: quantities[a][BASE_CASE] for a in names},
            )
            if len(names) > 1
            else []
        )
    all_warnings = list(dict.fromkeys(base_warnings + extra_warnings))
    for message in all_warnings:
        logger.info("economics warning: %s", message)
    for row in incremental[BASE_CASE]:
        row["icer"] = finite_or_none(row["icer"])
    return {
        "immunotwin_version": __version__,
        "currency": settings.currency,
        "price_year": settings.price_year,
        "horizon_years": settings.horizon_years,
        "discount_rate_costs_per_year": settings.discount_rate_costs_per_year,
        "discount_rate_outcomes_per_year": settings.discount_rate_outcomes_per_year,
        "discounting": settings.discounting,
        "wtp_per_qaly": settings.wtp_per_qaly,
        "base_case_model": BASE_CASE,
        "reference_arm": reference,
        "reference_is_control": reference == control_arm,
        "arms": arms_out,
        "incremental": incremental,
        "frontier": frontier,
        "optimal_arm_at_wtp": names[
            int(np.argmax(net_monetary_benefit(base_costs, base_qalys, settings.wtp_per_qaly)))
        ],
        "psa": psa,
        "tornado": tornado,
        "prices_used": _prices_used(settings, use.drugs),
        "unpriced_drugs": use.unpriced_drugs,
        "missing_cost_items": _missing_items(settings, patients, names),
        "warnings": all_warnings,
        "assumptions": assumptions(settings),
        "sources": {k: v["source"] for k, v in packaged_cost_items().items()},
        "settings": settings.model_dump(mode="json"),
    }


def run_economics(
    run_dir: str | os.PathLike[str], settings: EconomicsSettings | None = None
) -> dict[str, Any]:
    """Analyse a finished trial run and write ``run_dir/economics.json``; return the dict.

    Example
    -------
    >>> settings = EconomicsSettings(wtp_per_qaly=100_000)  # doctest: +SKIP
    >>> econ = run_economics("runs/kn024", settings)  # doctest: +SKIP
    >>> econ["incremental"]["partitioned_survival"][0]["icer"]  # doctest: +SKIP
    """
    settings = settings or EconomicsSettings()
    run = read_trial_run(run_dir)
    result = analyse_run(
        run.patients,
        run.doses,
        run.arm_names,
        run.control_arm,
        settings,
        follow_up_months=run.follow_up_months,
    )
    result["run_dir"] = str(Path(run_dir))
    write_json_atomic(result, Path(run_dir) / "economics.json")
    return result


__all__ = ["analyse_run", "run_economics", "MissingPriceWarning"]
