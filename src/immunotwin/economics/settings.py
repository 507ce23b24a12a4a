"""Settings of a health-economic analysis: prices, resource costs, utilities, methods.

Every default comes from a packaged, sourced table in ``immunotwin/data/economics/``
(``prices.csv``, ``cost_items.csv``, ``utilities.csv``; provenance in the README there).
A value without a source is left missing (``None``) so that the analysis can say which cost
components it could not price instead of inventing a number. Users override anything through
a YAML/JSON file (see :func:`immunotwin.economics.io.load_settings`).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from immunotwin.errors import CatalogError

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "economics"

#: adverse-event keys, the patients.parquet column each is read from, and its meaning
AE_COLUMNS: dict[str, str] = {
    "colitis": "worst_grade_colitis",
    "pneumonitis": "worst_grade_pneumonitis",
    "hepatitis": "worst_grade_hepatitis",
    "thyroiditis": "worst_grade_thyroiditis",
    "dermatitis": "worst_grade_dermatitis",
    "crs": "crs_grade",
    "icans": "icans_grade",
    "capillary_leak": "capillary_leak_grade",
}
#: a patient with grade >= 3 CRS *and* ICANS is costed with this key when it has a value
AE_CRS_AND_ICANS = "crs_and_icans"

PriceUnit = Literal["per_mg", "per_iu", "per_pfu", "per_administration", "per_infusion_day"]
Confidence = Literal["verified", "derived", "recall", "missing", "user"]


class DrugPrice(BaseModel):
    """Acquisition price of one drug, with provenance.

    ``price_unit`` says what one ``price_usd`` buys: one mg, one IU, one plaque-forming unit
    (oncolytic virus), one administration (cell therapies, vaccines) or one day of a continuous
    infusion (blinatumomab; needs an ``infusion_days`` column in doses.parquet).
    ``vial_sizes_mg`` are used only when vial wastage is on.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    drug: str
    price_usd: float | None = Field(default=None, ge=0)
    price_unit: PriceUnit = "per_mg"
    price_year: str | None = None
    confidence: Confidence = "user"
    source: str | None = None
    derivation: str | None = None
    vial_sizes_mg: tuple[float, ...] = ()
    administration_cost_applies: bool = True


class SubsequentTherapy(BaseModel):
    """Therapy given after progression in one arm: a one-off cost at the time of progression.

    ``cost_per_patient_usd`` is the undiscounted cost of the whole course for a treated patient;
    ``fraction_treated`` of the patients who progress receive it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cost_per_patient_usd: float = Field(ge=0)
    fraction_treated: float = Field(default=1.0, ge=0, le=1)
    source: str | None = None


class PsaSettings(BaseModel):
    """Probabilistic sensitivity analysis options.

    Costs are drawn from gamma and utilities from beta distributions with the base value as
    mean and ``*_se_fraction`` x mean as standard error (the tables give no standard errors, so
    these spreads are assumptions; set them from your sources). Patients are bootstrapped within
    arms to carry the virtual-trial sampling uncertainty.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_draws: int = Field(default=1000, ge=0)
    seed: int = 20240607
    cost_se_fraction: float = Field(default=0.2, ge=0)
    utility_se_fraction: float = Field(default=0.1, ge=0)
    bootstrap_patients: bool = True
    vary_drug_prices: bool = False
    ceac_max_wtp_per_qaly: float | None = None
    ceac_points: int = Field(default=31, ge=2)


def _read_csv(name: str) -> list[dict[str, str]]:
    path = DATA_DIR / name
    if not path.exists():
        raise CatalogError(
            "packaged economics table is missing",
            source=str(path),
            fix="reinstall immunotwin; the data folder ships with the package",
        )
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _optional_float(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


@cache
def packaged_drug_prices() -> dict[str, DrugPrice]:
    """Drug prices from ``data/economics/prices.csv`` keyed by catalogue drug key."""
    prices: dict[str, DrugPrice] = {}
    for row in _read_csv("prices.csv"):
        vials = tuple(float(v) for v in row["vial_sizes_mg"].split(";") if v.strip())
        prices[row["drug"]] = DrugPrice(
            drug=row["drug"],
            price_usd=_optional_float(row["price_usd"]),
            price_unit=row["price_unit"],  # type: ignore[arg-type]
            price_year=row["price_year"] or None,
            confidence=row["confidence"],  # type: ignore[arg-type]
            source=row["source"] or None,
            derivation=row["derivation"] or None,
            vial_sizes_mg=vials,
        )
    return prices


@cache
def packaged_cost_items() -> dict[str, dict[str, str]]:
    """Rows of ``data/economics/cost_items.csv`` keyed by ``key`` (value, unit, year, source)."""
    return {row["key"]: row for row in _read_csv("cost_items.csv")}


@cache
def packaged_utilities() -> dict[str, dict[str, str]]:
    """Rows of ``data/economics/utilities.csv`` keyed by ``key``."""
    return {row["key"]: row for row in _read_csv("utilities.csv")}


def _cost(key: str) -> float | None:
    return _optional_float(packaged_cost_items()[key]["value_usd"])


def _utility(key: str) -> float:
    return float(packaged_utilities()[key]["value"])


def _default_ae_costs() -> dict[str, float | None]:
    costs: dict[str, float | None] = dict.fromkeys(AE_COLUMNS)
    costs[AE_CRS_AND_ICANS] = _cost("ae_crs_and_icans_grade3plus")
    return costs


def _default_ae_disutilities() -> dict[str, float]:
    return {
        "colitis": _utility("disutility_colitis"),
        "dermatitis": _utility("disutility_dermatitis"),
    }


class EconomicsSettings(BaseModel):
    """Everything a cost-effectiveness analysis of a trial run depends on.

    Money is in ``currency`` (US dollars by default; prices are *not* inflated to a common
    year: ``price_year`` records the mix). Rates are per year; times in days unless named.
    Defaults: discount 3 %/year on costs and outcomes and a 20-year horizon as in the
    KEYNOTE-024 US model (Huang 2017, doi:10.1007/s40273-017-0527-z); willingness-to-pay
    150,000 USD/QALY (issue brief). ``None`` means "no sourced value": the component is
    costed at zero and reported under ``missing_cost_items``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    currency: str = "USD"
    price_year: str = (
        "mixed, not inflated: resource costs 2016 USD (Huang 2017); list prices c. 2019-2020 "
        "(checkpoint inhibitors) and launch years (cell therapies)"
    )
    discount_rate_costs_per_year: float = Field(default=0.03, ge=0, le=1)
    discount_rate_outcomes_per_year: float = Field(default=0.03, ge=0, le=1)
    discounting: Literal["continuous", "annual"] = "continuous"
    wtp_per_qaly: float = Field(default=150_000.0, ge=0)
    horizon_years: float = Field(default=20.0, gt=0)
    grid_days: float = Field(default=7.0, gt=0)
    tail_fit_fraction: float = Field(default=1 / 3, gt=0, le=1)
    vial_wastage: bool = False
    use_recall_prices: bool = True
    drug_prices: dict[str, DrugPrice] = Field(default_factory=packaged_drug_prices)
    administration_cost_per_infusion_usd: float | None = Field(
        default_factory=lambda: _cost("administration_per_infusion"), ge=0
    )
    monitoring_cost_per_week_pf_usd: float | None = Field(
        default_factory=lambda: _cost("monitoring_pf_per_week"), ge=0
    )
    monitoring_cost_per_week_pf_by_arm: dict[str, float] = Field(default_factory=dict)
    monitoring_cost_per_week_pd_usd: float | None = Field(
        default_factory=lambda: _cost("monitoring_pd_per_week"), ge=0
    )
    end_of_life_cost_usd: float | None = Field(
        default_factory=lambda: _cost("end_of_life_per_death"), ge=0
    )
    ae_costs_usd: dict[str, float | None] = Field(default_factory=_default_ae_costs)
    subsequent_therapy: dict[str, SubsequentTherapy] = Field(default_factory=dict)
    utility_progression_free_stable: float = Field(
        default_factory=lambda: _utility("utility_progression_free_stable"), ge=-1, le=1
    )
    utility_progression_free_response: float = Field(
        default_factory=lambda: _utility("utility_progression_free_response"), ge=-1, le=1
    )
    utility_progressed: float = Field(
        default_factory=lambda: _utility("utility_progressed"), ge=-1, le=1
    )
    ae_disutilities: dict[str, float] = Field(default_factory=_default_ae_disutilities)
    ae_disutility_duration_days: float = Field(default=30.4375, ge=0)
    psa: PsaSettings = Field(default_factory=PsaSettings)
    tornado_fraction: float = Field(default=0.25, ge=0, lt=1)
    tornado_discount_rates: tuple[float, float] = (0.0, 0.05)

    @field_validator("ae_costs_usd", "ae_disutilities")
    @classmethod
    def _known_ae_keys(cls, value: dict) -> dict:
        allowed = set(AE_COLUMNS) | {AE_CRS_AND_ICANS}
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise ValueError(f"unknown adverse-event keys {unknown}; allowed: {sorted(allowed)}")
        return value

    @field_validator("drug_prices", mode="before")
    @classmethod
    def _merge_prices(cls, value: object) -> object:
        """Let users give only the drugs they change; the packaged table fills the rest."""
        if not isinstance(value, dict):
            return value
        merged: dict[str, object] = dict(packaged_drug_prices())
        for drug, entry in value.items():
            if isinstance(entry, dict):
                entry = {"drug": drug, "confidence": "user", **entry}
            merged[drug] = entry
        return merged

    def with_updates(self, **updates: object) -> EconomicsSettings:
        """A validated copy with some fields replaced (``model_copy`` does not validate)."""
        data = self.model_dump()
        data.update(updates)
        return EconomicsSettings.model_validate(data)


def assumptions(settings: EconomicsSettings) -> list[str]:
    """Modelling choices that are assumptions, not sourced values (reported in the output)."""
    return [
        f"AE disutilities last {settings.ae_disutility_duration_days:g} days from day 0 "
        "(duration not reported by the source)",
        "AE management costs are incurred at day 0 (event dates are not in patients.parquet)",
        f"PSA spreads: cost SE = {settings.psa.cost_se_fraction:g} x mean, utility SE = "
        f"{settings.psa.utility_se_fraction:g} x mean (no published SEs in the tables)",
        "drug administration costs: one administration cost per dose row, cell-therapy "
        "infusions included",
        "drug and administration costs are counted only for doses in the simulated follow-up",
        "no background (general-population) mortality is applied to the extrapolated tails",
        "prices and resource costs are not inflated to a common year",
    ]
