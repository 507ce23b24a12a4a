"""Per-patient resource use from a trial run: billable drug units, administrations, AEs.

The functions here turn ``doses.parquet`` and ``patients.parquet`` tables into *value-free*
arrays (discounted billable units per drug, discounted number of administrations, grade >= 3
adverse-event indicators). Prices multiply them later, so probabilistic and one-way
sensitivity analyses can vary prices without re-reading the tables.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from immunotwin.economics._warnings import MissingPriceWarning
from immunotwin.economics.discounting import discount_factor
from immunotwin.economics.settings import (
    AE_COLUMNS,
    AE_CRS_AND_ICANS,
    DrugPrice,
    EconomicsSettings,
)

#: which ``amount_unit`` in doses.parquet each price unit needs (None: any, one per dose row)
_UNIT_FOR_PRICE = {
    "per_mg": "mg",
    "per_iu": "IU",
    "per_pfu": "PFU",
    "per_administration": None,
    "per_infusion_day": "ug/day",
}
#: doses.parquet column with the length (days) of a continuous-infusion dose row
INFUSION_DAYS_COLUMN = "infusion_days"


@cache
def _min_vial_total(amount_mg: float, vial_sizes_mg: tuple[float, ...]) -> float:
    sizes = sorted(vial_sizes_mg, reverse=True)
    if amount_mg <= 1e-9:
        return 0.0
    largest, rest = sizes[0], tuple(sizes[1:])
    if not rest:
        return math.ceil(amount_mg / largest - 1e-9) * largest
    best = math.inf
    for n_largest in range(math.ceil(amount_mg / largest - 1e-9) + 1):
        remainder = amount_mg - n_largest * largest
        total = n_largest * largest + (_min_vial_total(remainder, rest) if remainder > 0 else 0)
        best = min(best, total)
    return best


def billable_amount_mg(amount_mg: float, vial_sizes_mg: tuple[float, ...]) -> float:
    """Drug amount billed when opened vials cannot be shared (wastage).

    The smallest total content of whole vials (any mix of the available sizes) that covers the
    dose; with no vial sizes the dose itself. Example: 160 mg from 100-mg vials bills 200 mg.
    """
    if amount_mg < 0:
        raise ValueError("a dose amount cannot be negative")
    if not vial_sizes_mg:
        return float(amount_mg)
    return float(_min_vial_total(round(float(amount_mg), 9), tuple(vial_sizes_mg)))


def usable_price(price: DrugPrice | None, settings: EconomicsSettings) -> float | None:
    """The price a drug is costed at, or None (no price, or a recall price when not allowed)."""
    if price is None or price.price_usd is None:
        return None
    if price.confidence == "recall" and not settings.use_recall_prices:
        return None
    return price.price_usd


@dataclass(frozen=True)
class ResourceUse:
    """Value-free resource use per patient (rows follow ``patient_id``).

    ``drug_units_discounted[i, j]``: billable units (mg, IU, PFU, administrations or infusion
    days, per the price unit of ``drugs[j]``) given to patient ``i`` within the horizon, each
    dose multiplied by its cost discount factor. ``administrations_discounted[i]``: same for
    administrations that incur an administration cost. ``ae_events[i, k]``: 1 if patient
    ``i`` had a grade >= 3 event of kind ``ae_keys[k]`` (CRS and ICANS together count once
    under ``crs_and_icans`` when that has a cost). ``ae_grade3plus[i, m]``: raw grade >= 3
    indicator of ``AE_COLUMNS`` key ``m`` (used for disutilities).
    """

    patient_id: NDArray[np.int64]
    drugs: tuple[str, ...]
    drug_units_discounted: NDArray[np.float64]
    drug_units_undiscounted: NDArray[np.float64]
    administrations_discounted: NDArray[np.float64]
    ae_keys: tuple[str, ...]
    ae_events: NDArray[np.float64]
    ae_grade3plus: NDArray[np.float64]
    last_dose_day: NDArray[np.float64]
    unpriced_drugs: dict[str, str]


def _drug_units(
    doses: pd.DataFrame, settings: EconomicsSettings, horizon_days: float
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Billable units per dose row and the drugs that could not be priced (with reasons)."""
    unpriced: dict[str, str] = {}
    rows = doses[doses["day"] <= horizon_days]
    units = np.full(len(rows), np.nan)
    for drug, index in rows.groupby("drug").indices.items():
        price = settings.drug_prices.get(drug)
        value = usable_price(price, settings)
        if price is None:
            unpriced[drug] = "not in the price table"
            continue
        if value is None:
            unpriced[drug] = (
                "recall price disabled (use_recall_prices: false)"
                if price.price_usd is not None
                else "no verified price; supply drug_prices." + drug + ".price_usd"
            )
            continue
        needed = _UNIT_FOR_PRICE[price.price_unit]
        sub = rows.iloc[index]
        if needed is None:
            units[index] = 1.0
            continue
        bad = sub["amount_unit"] != needed
        if bad.any():
            unpriced[drug] = (
                f"priced {price.price_unit} but doses are in {sorted(set(sub['amount_unit'][bad]))}"
            )
            continue
        if price.price_unit == "per_infusion_day":
            days = (
                pd.to_numeric(sub[INFUSION_DAYS_COLUMN], errors="coerce").to_numpy(dtype=float)
                if INFUSION_DAYS_COLUMN in sub.columns
                else np.full(len(sub), np.nan)
            )
            if not np.all(np.isfinite(days) & (days >= 0)):
                unpriced[drug] = (
                    "priced per_infusion_day but doses.parquet has no infusion_days "
                    "(length of each continuous infusion) for it"
                )
                continue
            units[index] = days
            continue
        amounts = sub["amount"].to_numpy(dtype=float)
        if settings.vial_wastage and price.price_unit == "per_mg" and price.vial_sizes_mg:
            amounts = np.array([billable_amount_mg(a, price.vial_sizes_mg) for a in amounts])
        units[index] = amounts
    out = rows.assign(billable_units=units)
    return out, unpriced


def resource_use(
    patients: pd.DataFrame, doses: pd.DataFrame, settings: EconomicsSettings
) -> ResourceUse:
    """Discounted billable drug units, administrations and grade >= 3 AE indicators per patient.

    Doses after the horizon are dropped. Drugs without a usable price are left out of
    ``drugs`` and reported in ``unpriced_drugs`` with a :class:`MissingPriceWarning`.
    """
    horizon_days = settings.horizon_years * 365.25
    ids = patients["patient_id"].to_numpy()
    position = pd.Series(np.arange(len(ids)), index=ids)
    priced, unpriced = _drug_units(doses, settings, horizon_days)
    for drug, reason in sorted(unpriced.items()):
        warnings.warn(
            f"drug {drug!r} has no usable price ({reason}); its acquisition cost is counted as 0",
            MissingPriceWarning,
            stacklevel=2,
        )
    factor = discount_factor(
        priced["day"].to_numpy(dtype=float),
        settings.discount_rate_costs_per_year,
        settings.discounting,
    )
    rows = position.reindex(priced["patient_id"].to_numpy()).to_numpy()
    if np.isnan(rows.astype(float)).any():
        missing = sorted(set(priced["patient_id"]) - set(ids))[:5]
        from immunotwin.errors import InputError

        raise InputError(
            f"doses for patients not in patients.parquet: {missing}",
            source="doses.parquet",
            location="column patient_id",
            fix="write doses and patients from the same run",
        )
    rows = rows.astype(int)
    drugs = tuple(sorted(set(priced["drug"]) - set(unpriced)))
    n = len(ids)
    disc = np.zeros((n, len(drugs)))
    undisc = np.zeros((n, len(drugs)))
    billable = priced["billable_units"].to_numpy(dtype=float)
    drug_col = priced["drug"].to_numpy()
    for j, drug in enumerate(drugs):
        mask = drug_col == drug
        np.add.at(disc[:, j], rows[mask], billable[mask] * factor[mask])
        np.add.at(undisc[:, j], rows[mask], billable[mask])
    admin_mask = np.array(
        [
            settings.drug_prices[d].administration_cost_applies
            if d in settings.drug_prices
            else True
            for d in drug_col
        ],
        dtype=bool,
    )
    admins = np.zeros(n)
    np.add.at(admins, rows[admin_mask], factor[admin_mask])
    last_dose = np.full(n, -np.inf)
    np.maximum.at(last_dose, rows, priced["day"].to_numpy(dtype=float))
    ae_keys, ae_events, ae_raw = adverse_event_indicators(patients, settings)
    return ResourceUse(
        patient_id=ids,
        drugs=drugs,
        drug_units_discounted=disc,
        drug_units_undiscounted=undisc,
        administrations_discounted=admins,
        ae_keys=ae_keys,
        ae_events=ae_events,
        ae_grade3plus=ae_raw,
        last_dose_day=last_dose,
        unpriced_drugs=unpriced,
    )


def adverse_event_indicators(
    patients: pd.DataFrame, settings: EconomicsSettings
) -> tuple[tuple[str, ...], NDArray[np.float64], NDArray[np.float64]]:
    """Grade >= 3 indicators per AE key for costing, and raw indicators per ``AE_COLUMNS`` key.

    Missing grade columns mean grade 0.

    A patient with grade >= 3 CRS and ICANS counts once under ``crs_and_icans`` (and not under
    ``crs``/``icans``) when ``settings.ae_costs_usd['crs_and_icans']`` has a value, because that
    source costs the concurrent episode as a whole.
    """
    n = len(patients)
    grades = {
        key: (patients[col].fillna(0).to_numpy(dtype=float) if col in patients else np.zeros(n))
        for key, col in AE_COLUMNS.items()
    }
    raw = {key: (g >= 3).astype(float) for key, g in grades.items()}
    flags = dict(raw)
    both = raw["crs"] * raw["icans"]
    joint_costed = settings.ae_costs_usd.get(AE_CRS_AND_ICANS) is not None
    if joint_costed:
        flags["crs"] = raw["crs"] - both
        flags["icans"] = raw["icans"] - both
    flags[AE_CRS_AND_ICANS] = both if joint_costed else np.zeros(n)
    keys = tuple(flags)
    raw_matrix = np.column_stack([raw[k] for k in AE_COLUMNS]) if n else np.zeros((0, 8))
    cost_matrix = np.column_stack([flags[k] for k in keys]) if n else np.zeros((0, len(keys)))
    return keys, cost_matrix, raw_matrix
