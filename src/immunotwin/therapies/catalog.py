"""The packaged drug catalogue: identity, PK, covariates, label regimens, prices and sources.

The catalogue is data (``immunotwin/data/drugs.toml``); this module holds its schema (pydantic v2,
frozen, ``extra="forbid"``) and the reader. Every numeric value sits in a block that names its
unit (in the field name), its ``source`` and its ``confidence``:

- ``"curated"``: read from a curated popPK model file or source code (the model brief's [H]);
- ``"literature"``: from a label or paper, cross-checked (the brief's [M]);
- ``"recall"``: from a label or paper as remembered, not re-read in this project; verify;
- ``"assumption"``: a proposed default (the brief's [L]); ``basis`` must say what it rests on.

Run ``python -m immunotwin.therapies.catalog --markdown`` to print the catalogue as Markdown
tables (used for ``docs/catalogs.md``).
"""

from __future__ import annotations

import difflib
import math
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from immunotwin.errors import CatalogError
from immunotwin.therapies.dose import DoseUnit

__all__ = [
    "CONFIDENCE_LEVELS",
    "DOSE_UNITS",
    "DRUG_CLASSES",
    "REGIMEN_ITEM_KEYS",
    "BindingAffinity",
    "CellKineticsPK",
    "Covariate",
    "Drug",
    "DrugCatalog",
    "KPdPK",
    "LabelRegimen",
    "NoPK",
    "OneCompartmentPK",
    "PKModel",
    "Price",
    "TargetMediatedClearance",
    "ThreeCompartmentSaturablePK",
    "TimeVaryingClearance",
    "TwoCompartmentPK",
    "drug_catalog_markdown",
    "load_drug_catalog",
]

_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

Confidence = Literal["curated", "literature", "recall", "assumption"]
CONFIDENCE_LEVELS: tuple[str, ...] = ("curated", "literature", "recall", "assumption")

DrugClass = Literal[
    "checkpoint_inhibitor",
    "cancer_vaccine",
    "preventive_vaccine",
    "oncolytic_virus",
    "car_t",
    "til",
    "tcr_t",
    "targeted_antibody",
    "t_cell_engager",
    "cytokine",
    "chemotherapy",
    "radiotherapy",
    "targeted_drug",
    "supportive",
]
DRUG_CLASSES: tuple[str, ...] = DrugClass.__args__  # type: ignore[attr-defined]

DOSE_UNITS: tuple[str, ...] = tuple(u.value for u in DoseUnit)

#: Keys a regimen item may carry (DESIGN.md §5 trial-spec format, plus ``duration`` for
#: continuous infusions such as blinatumomab, e.g. ``duration: 28 days``).
REGIMEN_ITEM_KEYS: frozenset[str] = frozenset(
    {
        "drug",
        "dose",
        "every",
        "max_cycles",
        "cycles",
        "start",
        "fractions",
        "max_duration_months",
        "doses_per_day",
        "duration",
    }
)

PKParameter = Literal["cl", "v1", "q", "v2", "v", "vmax", "km", "expansion", "contraction"]
CovariateName = Literal[
    "weight_kg",
    "albumin_g_per_l",
    "sex_female",
    "sex_male",
    "ecog",
    "ecog_ge1",
    "bsa_m2",
    "tumor_sld_mm",
    "egfr_ml_per_min_173m2",
    "crcl_ml_per_min",
    "ldh_u_per_l",
    "alp_u_per_l",
    "alt_u_per_l",
    "igg_g_per_l",
    "bmi_kg_per_m2",
    "ideal_body_weight_kg",
    "wbc_10e9_per_l",
    "spdl1_pg_per_ml",
    "age_years",
    "ada_positive",
    "liver_metastases",
    "tumor_type_nsclc",
]
CovariateForm = Literal["power", "exponential", "linear", "proportional", "log_power"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Sourced(_Frozen):
    """A block of numbers that share one source and one confidence level."""

    source: str = Field(min_length=3)
    confidence: Confidence
    basis: str | None = None

    @model_validator(mode="after")
    def _assumption_needs_basis(self) -> _Sourced:
        if self.confidence == "assumption" and not (self.basis and self.basis.strip()):
            raise ValueError("confidence 'assumption' requires a 'basis' saying what it rests on")
        return self


class TimeVaryingClearance(_Sourced):
    """Sigmoid change of clearance with time since first dose (days).

    ``form="exponential"``: CL(t) = CL0·exp(emax·tʰ/(t50ʰ + tʰ)) (nivolumab, cemiplimab,
    tremelimumab); ``form="proportional"``: CL(t) = CL0·(1 + emax·tʰ/(t50ʰ + tʰ)) (avelumab).
    """

    emax: float
    t50_days: float = Field(gt=0)
    hill: float = Field(gt=0)
    form: Literal["exponential", "proportional"] = "exponential"

    def factor(self, days: np.ndarray) -> np.ndarray:
        """CL(t)/CL0 at ``days`` after the first dose."""
        t = np.asarray(days, dtype=float)
        shape = self.emax * t**self.hill / (self.t50_days**self.hill + t**self.hill)
        return np.exp(shape) if self.form == "exponential" else 1.0 + shape


class TargetMediatedClearance(_Sourced):
    """Extra clearance that decays with time: CL_T(t) = cl_l_per_day·exp(−decay_per_day·t)."""

    cl_l_per_day: float = Field(ge=0)
    decay_per_day: float = Field(ge=0)


class TwoCompartmentPK(_Sourced):
    """Linear two-compartment IV model, optional Michaelis–Menten and time-varying clearance.

    dXc/dt = input − (CL/V1 + Q/V1)·Xc + (Q/V2)·Xp − Vmax·Cp/(Km + Cp); Cp = Xc/V1 (mg/L).
    """

    model: Literal["two_compartment"] = "two_compartment"
    cl_l_per_day: float = Field(ge=0)
    v1_l: float = Field(gt=0)
    q_l_per_day: float = Field(gt=0)
    v2_l: float = Field(gt=0)
    vmax_mg_per_day: float | None = Field(default=None, gt=0)
    km_mg_per_l: float | None = Field(default=None, gt=0)
    time_varying_cl: TimeVaryingClearance | None = None
    target_mediated_cl: TargetMediatedClearance | None = None
    reference_weight_kg: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _mm_pair(self) -> TwoCompartmentPK:
        if (self.vmax_mg_per_day is None) != (self.km_mg_per_l is None):
            raise ValueError("vmax_mg_per_day and km_mg_per_l must be given together")
        return self

    def terminal_half_life_days(self) -> float:
        """Terminal (β) half-life of the linear part in days (own calculation)."""
        k10 = self.cl_l_per_day / self.v1_l
        k12 = self.q_l_per_day / self.v1_l
        k21 = self.q_l_per_day / self.v2_l
        s = k10 + k12 + k21
        beta = (s - math.sqrt(s * s - 4.0 * k10 * k21)) / 2.0
        return math.log(2.0) / beta if beta > 0 else math.inf


class ThreeCompartmentSaturablePK(_Sourced):
    """Three-compartment model with saturable distribution to V2 and saturable elimination.

    Structure of Chen 2014 nab-paclitaxel as coded in QSP-IO (`model/nabpaclitaxel_module.m`).
    """

    model: Literal["three_compartment_saturable"] = "three_compartment_saturable"
    v1_l: float = Field(gt=0)
    v2_l: float = Field(gt=0)
    v3_l: float = Field(gt=0)
    q3_l_per_day: float = Field(gt=0)
    vmax_distribution_mg_per_day: float = Field(gt=0)
    km_distribution_mg_per_l: float = Field(gt=0)
    vmax_elimination_mg_per_day: float = Field(gt=0)
    km_elimination_mg_per_l: float = Field(gt=0)


class OneCompartmentPK(_Sourced):
    """One-compartment model: dX/dt = input − (CL/V)·X (oral: first-order absorption ka)."""

    model: Literal["one_compartment"] = "one_compartment"
    cl_l_per_day: float = Field(gt=0)
    v_l: float = Field(gt=0)
    route: Literal["iv", "oral", "sc"] = "iv"
    ka_per_day: float | None = Field(default=None, gt=0)
    apparent: bool = Field(
        default=False, description="True when CL and V are apparent oral values (CL/F, V/F)"
    )

    def half_life_days(self) -> float:
        """Elimination half-life in days."""
        return math.log(2.0) * self.v_l / self.cl_l_per_day


class KPdPK(_Sourced):
    """Kinetic–pharmacodynamic exposure: dM/dt = −k·M; a dose adds dose/dose_ref to M.

    M is dimensionless (1 = one reference dose given just now). Used for cytotoxics, TKIs and
    vaccine depots whose plasma PK is far faster than the day-scale model (brief §2.4).
    """

    model: Literal["kpd"] = "kpd"
    elimination_per_day: float = Field(gt=0)
    dose_ref: float = Field(gt=0)
    dose_ref_unit: DoseUnit
    lymphodepletion_per_day: float | None = Field(
        default=None,
        ge=0,
        description="maximal depletion rate of circulating lymphocytes and T cells (1/day at "
        "full effect) for lymphodepleting agents (fludarabine, cyclophosphamide); replaces "
        "the slot's generic weight",
    )
    lymphodepletion_source: str | None = None


class CellKineticsPK(_Sourced):
    """Cellular kinetics of an adoptive cell product (Stein 2019-type; rates per day)."""

    model: Literal["cells"] = "cells"
    expansion_per_day: float = Field(gt=0)
    contraction_per_day: float = Field(gt=0)
    memory_decline_per_day: float = Field(ge=0)
    effector_to_memory_fraction: float | None = Field(default=None, ge=0, le=1)
    tmax_days: float | None = Field(default=None, gt=0)
    cmax_copies_per_ug: float | None = Field(default=None, gt=0)
    fold_expansion: float | None = Field(default=None, gt=0)


class NoPK(_Frozen):
    """No systemic PK is modelled (cells without kinetics data, vaccines, radiotherapy)."""

    model: Literal["none"] = "none"
    reason: str = Field(min_length=3)


PKModel = Annotated[
    TwoCompartmentPK
    | ThreeCompartmentSaturablePK
    | OneCompartmentPK
    | KPdPK
    | CellKineticsPK
    | NoPK,
    Field(discriminator="model"),
]


class Covariate(_Sourced):
    """Effect of a patient covariate x on a PK parameter P.

    Forms (ref = ``reference_value``, θ = ``coefficient``):
    ``power`` P·(x/ref)^θ; ``exponential`` P·exp(θ·(x − ref)); ``linear`` P·(1 + θ·(x − ref));
    ``proportional`` P·(1 + θ·x) for 0/1 indicators; ``log_power`` P·(ln x / ln ref)^θ.
    ``applies_above_reference`` restricts the effect to x > ref (e.g. rituximab age > 60).
    """

    parameter: PKParameter
    covariate: CovariateName
    form: CovariateForm
    coefficient: float
    reference_value: float = 0.0
    applies_above_reference: bool = False

    @model_validator(mode="after")
    def _positive_reference(self) -> Covariate:
        if self.form in ("power", "log_power") and self.reference_value <= 0:
            raise ValueError(f"form '{self.form}' needs a positive reference_value")
        return self

    def factor(self, x: float) -> float:
        """Multiplicative factor on the parameter for covariate value ``x``."""
        ref = self.reference_value
        if self.applies_above_reference and x <= ref:
            return 1.0
        if self.form == "power":
            return (x / ref) ** self.coefficient
        if self.form == "exponential":
            return math.exp(self.coefficient * (x - ref))
        if self.form == "linear":
            return 1.0 + self.coefficient * (x - ref)
        if self.form == "proportional":
            return 1.0 + self.coefficient * x
        return (math.log(x) / math.log(ref)) ** self.coefficient


class BindingAffinity(_Sourced):
    """Monovalent target affinity used by the model's occupancy algebra (nM)."""

    kd_nm: float = Field(gt=0)


class LabelRegimen(_Sourced):
    """An approved (or trial-design) regimen, as trial-spec regimen items (DESIGN.md §5)."""

    name: str = Field(min_length=1)
    indication: str = Field(min_length=1)
    items: tuple[dict[str, Any], ...] = Field(min_length=1)
    notes: str | None = None

    @field_validator("items")
    @classmethod
    def _item_keys(cls, items: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        for i, item in enumerate(items):
            unknown = set(item) - REGIMEN_ITEM_KEYS
            if unknown:
                raise ValueError(
                    f"items[{i}] has unknown keys {sorted(unknown)}; "
                    f"allowed: {sorted(REGIMEN_ITEM_KEYS)}"
                )
            if "drug" not in item or "dose" not in item:
                raise ValueError(f"items[{i}] needs 'drug' and 'dose'")
        return items


class Price(_Sourced):
    """A drug price in US dollars: a number of calibration/costs.csv, or a launch list price
    from a retrieved public page that `source` names (see data/economics/README.md)."""

    value_usd: float = Field(gt=0)
    unit: Literal["per mg", "per infusion", "per patient-year", "per course"]
    year: str


class Drug(_Frozen):
    """One catalogue entry. ``key`` is the lower-case INN with underscores (DESIGN.md §5)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    display_name: str
    drug_class: DrugClass
    targets: tuple[str, ...] = ()
    mechanism: str = Field(min_length=10)
    isotype: str | None = None
    molecular_weight_g_per_mol: float | None = Field(default=None, gt=0)
    molecular_weight_source: str | None = None
    iu_per_mg: float | None = Field(default=None, gt=0)
    iu_per_mg_source: str | None = None
    dose_units_allowed: tuple[DoseUnit, ...] = Field(min_length=1)
    pk: PKModel
    exposure: KPdPK | None = Field(
        default=None,
        description="day-scale K-PD exposure that the trial model uses when ``pk`` is a plasma "
        "model it does not simulate (nab-paclitaxel's saturable three-compartment PK)",
    )
    covariates: tuple[Covariate, ...] = ()
    iiv: dict[str, float] = Field(default_factory=dict)
    iiv_shared_with: dict[str, str] = Field(default_factory=dict)
    iiv_source: str | None = None
    binding: BindingAffinity | None = None
    infusion_minutes: float | None = Field(default=None, gt=0)
    label_regimens: tuple[LabelRegimen, ...] = ()
    price: Price | None = None
    sources: tuple[str, ...] = Field(min_length=1)
    notes: str | None = None

    @field_validator("iiv")
    @classmethod
    def _iiv_keys(cls, iiv: dict[str, float]) -> dict[str, float]:
        allowed = set(PKParameter.__args__) | {  # type: ignore[attr-defined]
            "tmax",
            "cmax",
            "fold_expansion",
            "memory_decline",
            "time_varying_emax",
            "time_varying_t50",
        }
        for name, omega2 in iiv.items():
            if name not in allowed:
                raise ValueError(f"iiv key '{name}' is not one of {sorted(allowed)}")
            if omega2 < 0:
                raise ValueError(f"iiv['{name}'] = {omega2} is a variance and must be >= 0")
        return iiv

    @model_validator(mode="after")
    def _consistency(self) -> Drug:
        if self.iiv and not self.iiv_source:
            raise ValueError("iiv given without iiv_source")
        for shared, owner in self.iiv_shared_with.items():
            if owner not in self.iiv:
                raise ValueError(f"iiv_shared_with['{shared}'] = '{owner}' which has no iiv value")
        if self.molecular_weight_g_per_mol is not None and not self.molecular_weight_source:
            raise ValueError("molecular_weight_g_per_mol given without molecular_weight_source")
        if self.iu_per_mg is not None and not self.iu_per_mg_source:
            raise ValueError("iu_per_mg given without iu_per_mg_source")
        return self

    def kpd(self) -> KPdPK | None:
        """The K-PD exposure the trial model uses: ``pk`` when it is one, else ``exposure``."""
        return self.pk if isinstance(self.pk, KPdPK) else self.exposure

    def typical_parameter(self, name: str) -> float | None:
        """Typical value of a PK field (e.g. ``"cl_l_per_day"``), or None if absent."""
        value = getattr(self.pk, name, None)
        return float(value) if isinstance(value, int | float) else None


def _closest(name: str, choices: list[str]) -> list[str]:
    return difflib.get_close_matches(name, choices, n=5, cutoff=0.5)


class DrugCatalog(_Frozen):
    """All drugs, keyed by catalogue key."""

    drugs: dict[str, Drug]

    @model_validator(mode="after")
    def _regimens_name_known_drugs(self) -> DrugCatalog:
        for key, drug in self.drugs.items():
            if drug.key != key:
                raise ValueError(f"entry '{key}' has key '{drug.key}'")
            for regimen in drug.label_regimens:
                for item in regimen.items:
                    if item["drug"] not in self.drugs:
                        raise ValueError(
                            f"{key}: regimen '{regimen.name}' names unknown drug '{item['drug']}'"
                        )
        return self

    def get(self, key: str) -> Drug:
        """Return the drug with this key or raise CatalogError listing the closest keys."""
        try:
            return self.drugs[key]
        except KeyError:
            suggestions = _closest(key.lower().replace("-", "_").replace(" ", "_"), self.keys())
            hint = f"did you mean {', '.join(suggestions)}?" if suggestions else ""
            raise CatalogError(
                f"unknown drug '{key}'" + (f"; {hint}" if hint else ""),
                source="drug catalogue",
                fix="use a key from `immunotwin catalog drugs` (lower-case INN with underscores)",
            ) from None

    def keys(self) -> list[str]:
        """Catalogue keys in file order."""
        return list(self.drugs)

    def by_class(self, drug_class: str) -> list[Drug]:
        """Drugs of one class (e.g. ``"checkpoint_inhibitor"``)."""
        if drug_class not in DRUG_CLASSES:
            raise CatalogError(
                f"unknown drug class '{drug_class}'",
                source="drug catalogue",
                fix=f"use one of {', '.join(DRUG_CLASSES)}",
            )
        return [d for d in self.drugs.values() if d.drug_class == drug_class]

    def __contains__(self, key: object) -> bool:
        return key in self.drugs

    def __iter__(self):  # type: ignore[override]
        return iter(self.drugs.values())

    def __len__(self) -> int:
        return len(self.drugs)


def _fill_covariate_provenance(entry: dict[str, Any]) -> dict[str, Any]:
    """Covariate rows inherit ``source``/``confidence`` from the PK block unless given."""
    pk = entry.get("pk", {})
    rows = []
    for row in entry.get("covariates", []):
        row = dict(row)
        row.setdefault("source", pk.get("source", ""))
        row.setdefault("confidence", pk.get("confidence", "assumption"))
        rows.append(row)
    if rows:
        entry = {**entry, "covariates": rows}
    return entry


def parse_drug_catalog(data: dict[str, Any], source: str = "drugs.toml") -> DrugCatalog:
    """Validate a parsed drug TOML document (``{"drugs": {key: {...}}}``)."""
    drugs = data.get("drugs")
    if not isinstance(drugs, dict) or not drugs:
        raise CatalogError("no [drugs.<key>] tables found", source=source, fix="add drug tables")
    entries = {}
    for key, entry in drugs.items():
        entries[key] = _fill_covariate_provenance({"key": key, **entry})
    try:
        return DrugCatalog(drugs=entries)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise CatalogError(
            first["msg"],
            source=source,
            location=loc,
            fix="correct the entry so it matches the schema in immunotwin.therapies.catalog",
        ) from exc


@cache
def load_drug_catalog() -> DrugCatalog:
    """Read and validate the packaged drug catalogue (cached)."""
    text = (_DATA_DIR / "drugs.toml").read_text(encoding="utf-8")
    return parse_drug_catalog(tomllib.loads(text), source="immunotwin/data/drugs.toml")


def _pk_summary(drug: Drug) -> str:
    pk = drug.pk
    if isinstance(pk, TwoCompartmentPK):
        text = (
            f"2-cmt CL {pk.cl_l_per_day:g} L/d, V1 {pk.v1_l:g} L, Q {pk.q_l_per_day:g} L/d, "
            f"V2 {pk.v2_l:g} L"
        )
        if pk.vmax_mg_per_day:
            text += f", Vmax {pk.vmax_mg_per_day:g} mg/d, Km {pk.km_mg_per_l:g} mg/L"
        if pk.time_varying_cl:
            text += f", time-varying CL (Emax {pk.time_varying_cl.emax:g})"
        return text
    if isinstance(pk, ThreeCompartmentSaturablePK):
        return f"3-cmt saturable, V1 {pk.v1_l:g} L"
    if isinstance(pk, OneCompartmentPK):
        prefix = "CL/F" if pk.apparent else "CL"
        return f"1-cmt {prefix} {pk.cl_l_per_day:g} L/d, V {pk.v_l:g} L"
    if isinstance(pk, KPdPK):
        return f"K-PD k {pk.elimination_per_day:g} /d per {pk.dose_ref:g} {pk.dose_ref_unit}"
    if isinstance(pk, CellKineticsPK):
        return (
            f"cells: expansion {pk.expansion_per_day:g}/d, contraction "
            f"{pk.contraction_per_day:g}/d, memory decline {pk.memory_decline_per_day:g}/d"
        )
    return f"none ({pk.reason})"


def _regimen_summary(regimen: LabelRegimen) -> str:
    parts = []
    for item in regimen.items:
        text = f"{item['drug']} {item['dose']}"
        if "every" in item:
            text += f" q{item['every']}"
        if "max_cycles" in item:
            text += f" ×{item['max_cycles']}"
        parts.append(text)
    return "; ".join(parts)


def drug_catalog_markdown(catalog: DrugCatalog | None = None) -> str:
    """Markdown tables of the drug catalogue: identity/PK and label regimens, with sources."""
    catalog = catalog or load_drug_catalog()
    lines = [
        "| key | class | targets | PK (typical) | PK confidence | PK source |",
        "|---|---|---|---|---|---|",
    ]
    for drug in catalog:
        pk = drug.pk
        conf = getattr(pk, "confidence", "-")
        src = getattr(pk, "source", "-")
        lines.append(
            f"| `{drug.key}` | {drug.drug_class} | {', '.join(drug.targets) or '-'} | "
            f"{_pk_summary(drug)} | {conf} | {src.replace('|', '/')} |"
        )
    lines += ["", "| key | regimen | items | confidence | source |", "|---|---|---|---|---|"]
    for drug in catalog:
        for regimen in drug.label_regimens:
            lines.append(
                f"| `{drug.key}` | {regimen.name} | {_regimen_summary(regimen)} | "
                f"{regimen.confidence} | {regimen.source.replace('|', '/')} |"
            )
    lines += [
        "",
        "| key | price (USD) | unit | year | confidence | source |",
        "|---|---|---|---|---|---|",
    ]
    for drug in catalog:
        if drug.price:
            p = drug.price
            lines.append(
                f"| `{drug.key}` | {p.value_usd:,.0f} | {p.unit} | {p.year} | {p.confidence} | "
                f"{p.source.replace('|', '/')} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m immunotwin.therapies.catalog [--markdown]``: list or tabulate the drugs."""
    args = sys.argv[1:] if argv is None else argv
    catalog = load_drug_catalog()
    if "--markdown" in args:
        sys.stdout.write(drug_catalog_markdown(catalog))
    else:
        for drug in catalog:
            sys.stdout.write(f"{drug.key}\t{drug.drug_class}\t{_pk_summary(drug)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
