"""Regimen items -> administration days and per-patient amounts.

Pure functions: the trial engine turns these into engine events. Body-size dosing follows the
labels: mg/kg and IU/kg on body weight, mg/m2 and MIU/m2 on body-surface area, carboplatin
``AUC n`` by the Calvert formula, radiotherapy as equal fractions on weekdays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from immunotwin.therapies.dose import DAYS_PER_MONTH, DoseUnit
from immunotwin.trials.spec import RegimenItem

GFR_CAP_ML_PER_MIN = 125.0
"""Calvert GFR cap for carboplatin (FDA carboplatin dosing communication, 2010)."""


def bsa_m2_from_weight(weight_kg: np.ndarray) -> np.ndarray:
    """Body-surface area from weight alone: 0.1173 * W^0.6466 m2.

    Livingston & Lee, Am J Physiol Endocrinol Metab 2001;281:E586 (weight-only formula, used
    because the virtual patients carry no height).
    """
    return 0.1173 * np.asarray(weight_kg, dtype=float) ** 0.6466


def calvert_dose_mg(target_auc_mg_min_per_ml: float, gfr_ml_per_min: np.ndarray) -> np.ndarray:
    """Carboplatin dose (mg) = target AUC x (GFR + 25), GFR capped at 125 mL/min.

    Calvert et al., J Clin Oncol 1989;7:1748.
    """
    gfr = np.minimum(np.asarray(gfr_ml_per_min, dtype=float), GFR_CAP_ML_PER_MIN)
    return target_auc_mg_min_per_ml * (gfr + 25.0)


@dataclass(frozen=True)
class Administration:
    """When one regimen item is given and how much each patient receives per administration.

    ``amount`` is in ``amount_unit`` (mg, IU, cells, Gy per fraction, PFU, dose, or ug/day for a
    continuous infusion whose length is ``infusion_days``).
    """

    drug: str
    days: np.ndarray
    amount: np.ndarray  # (n_patients,)
    amount_unit: str
    infusion_days: float | None = None


def administration_days(item: RegimenItem, horizon_days: float) -> np.ndarray:
    """Days (from day 0 = start of treatment) on which ``item`` is administered."""
    start = item.start_day
    if item.fractions is not None:  # radiotherapy: one fraction per weekday
        weekdays = [d for d in range(7 * item.fractions) if d % 7 < 5][: item.fractions]
        return start + np.array(weekdays, dtype=float)
    within_cycle = (
        np.array(item.cycle_days, dtype=float) - 1.0
        if item.cycle_days
        else np.arange(item.consecutive_days, dtype=float)
    )
    within_day = np.arange(item.doses_per_day, dtype=float) / item.doses_per_day
    if item.every_days is None:
        cycle_starts = np.array([start])
    else:
        n_cycles = (
            item.cycles or item.max_cycles or int(np.ceil(horizon_days / item.every_days)) + 1
        )
        cycle_starts = start + item.every_days * np.arange(n_cycles)
    days = cycle_starts[:, None, None] + within_cycle[None, :, None] + within_day[None, None, :]
    days = np.sort(days.ravel())
    last = horizon_days
    if item.max_duration_months is not None:
        last = min(last, start + item.max_duration_months * DAYS_PER_MONTH)
    return days[days < last]


def amounts_per_administration(
    item: RegimenItem,
    *,
    weight_kg: np.ndarray,
    bsa_m2: np.ndarray,
    gfr_ml_per_min: np.ndarray,
) -> tuple[np.ndarray, str]:
    """Per-patient amount of one administration and its unit."""
    value, unit = item.dose.value, item.dose.unit
    n = np.asarray(weight_kg).shape[0]
    ones = np.ones(n)
    table = {
        DoseUnit.MG: (value * ones, "mg"),
        DoseUnit.MG_PER_KG: (value * weight_kg, "mg"),
        DoseUnit.MG_PER_M2: (value * bsa_m2, "mg"),
        DoseUnit.AUC: (calvert_dose_mg(value, gfr_ml_per_min), "mg"),
        DoseUnit.IU_PER_KG: (value * weight_kg, "IU"),
        DoseUnit.MIU_PER_M2: (value * 1e6 * bsa_m2, "IU"),
        DoseUnit.CELLS_PER_KG: (value * weight_kg, "cells"),
        DoseUnit.CELLS: (value * ones, "cells"),
        DoseUnit.GY: (value / (item.fractions or 1) * ones, "Gy"),
        DoseUnit.UG_PER_DAY: (value * ones, "ug/day"),
        DoseUnit.UG_PER_M2_PER_DAY: (value * bsa_m2, "ug/day"),
        DoseUnit.PFU: (value * ones, "PFU"),
        DoseUnit.DOSE: (value * ones, "dose"),
    }
    amount, amount_unit = table[unit]
    return np.asarray(amount, dtype=float), amount_unit


def administrations(
    item: RegimenItem,
    horizon_days: float,
    *,
    weight_kg: np.ndarray,
    bsa_m2: np.ndarray,
    gfr_ml_per_min: np.ndarray,
) -> Administration:
    """Days and per-patient amounts of one regimen item over the horizon."""
    amount, unit = amounts_per_administration(
        item, weight_kg=weight_kg, bsa_m2=bsa_m2, gfr_ml_per_min=gfr_ml_per_min
    )
    infusion = None
    if item.duration is not None:
        from immunotwin.therapies.dose import parse_duration_days

        infusion = parse_duration_days(item.duration)
    return Administration(
        drug=item.drug,
        days=administration_days(item, horizon_days),
        amount=amount,
        amount_unit=unit,
        infusion_days=infusion,
    )
