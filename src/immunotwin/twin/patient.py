"""The patient file of the digital twin (schema in docs/patient.md): JSON or YAML, validated.

Every field except ``tumor_type`` is optional: what is missing is imputed from the tumour
type's virtual population (:mod:`immunotwin.twin.ensemble`) and listed in the twin's output.
Units are in the field names (fractions 0-1 for PD-L1 TPS, g/L for albumin, mm for the sum of
diameters). Reading a file turns every validation error into an :class:`InputError` that names
the file, the field and the fix.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from immunotwin.errors import InputError, SpecError
from immunotwin.io.specfile import read_structured
from immunotwin.trials.spec import RegimenItem


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Biomarkers(_Frozen):
    """Tumour and germline biomarkers (all optional)."""

    pdl1_tps: float | None = Field(default=None, ge=0, le=1, description="fraction 0-1")
    pdl1_cps: float | None = Field(default=None, ge=0, le=100, description="0-100")
    tmb_mut_per_mb: float | None = Field(default=None, ge=0, le=1000)
    msi_high: bool | None = None
    hla_genotype: tuple[str, ...] | None = Field(
        default=None, description="class I alleles, e.g. ['HLA-A*02:01', 'HLA-B*07:02']"
    )
    hla_loh: bool | None = None
    b2m_loss: bool | None = None
    fcgr3a: Literal["VV", "VF", "FF"] | None = None
    target_antigens: dict[str, bool | str | float] = Field(
        default_factory=dict,
        description="catalogue target-antigen columns, "
        "e.g. {'her2_ihc': '3+', 'cd19_positive': true}",
    )


class Measurement(_Frozen):
    """One dated tumour assessment: the sum of target-lesion diameters (mm)."""

    date: dt.date
    sld_mm: float = Field(ge=0, le=2000)


class TreatmentGiven(_Frozen):
    """A regimen given from ``start_date`` (items as in a trial spec; their ``start`` offsets
    count from ``start_date``); ``end_date`` stops it (doses after it are not given)."""

    start_date: dt.date
    end_date: dt.date | None = None
    regimen: Annotated[tuple[RegimenItem, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _ordered(self) -> TreatmentGiven:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class Patient(_Frozen):
    """One patient (DESIGN.md §1 clinical researcher; docs/patient.md)."""

    id: str = Field(default="patient", min_length=1, max_length=80)
    tumor_type: str = Field(min_length=1, description="tumour-catalogue key, e.g. 'nsclc'")
    line: int | None = Field(default=None, ge=1, le=10, description="line the forecast is for")
    stage: str | None = None
    age_years: float | None = Field(default=None, ge=18, le=110)
    sex: Literal["female", "male"] | None = None
    weight_kg: float | None = Field(default=None, gt=25, le=300)
    height_cm: float | None = Field(default=None, gt=100, le=230)
    ecog: int | None = Field(default=None, ge=0, le=4)
    albumin_g_per_l: float | None = Field(default=None, gt=5, le=70)
    nlr: float | None = Field(default=None, gt=0, le=200)
    ldh_u_per_l: float | None = Field(default=None, gt=0, le=20000)
    prior_systemic_therapy: bool | None = None
    prior_anti_pd1: bool | None = None
    baseline_sld_mm: float | None = Field(default=None, gt=0, le=2000)
    biomarkers: Biomarkers = Field(default_factory=Biomarkers)
    neoantigens: str | None = Field(
        default=None,
        description="epitopes.tsv or neoantigens.json from `immunotwin neoantigens` "
        "(path relative to the patient file)",
    )
    vcf: str | None = Field(
        default=None, description="VEP-annotated VCF (needs biomarkers.hla_genotype)"
    )
    measurements: tuple[Measurement, ...] = ()
    treatments: tuple[TreatmentGiven, ...] = ()

    @field_validator("tumor_type")
    @classmethod
    def _known_tumour(cls, v: str) -> str:
        from immunotwin.population.catalog import load_tumor_catalog

        catalog = load_tumor_catalog()
        if v not in catalog:
            raise ValueError(f"unknown tumour type '{v}'; known: {', '.join(catalog.keys())}")
        return v

    @model_validator(mode="after")
    def _history(self) -> Patient:
        dates = [m.date for m in self.measurements]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("measurements must have distinct dates in increasing order")
        if len(self.measurements) >= 2 and not self.treatments:
            pass  # untreated growth is evidence too
        if self.treatments and not self.measurements:
            raise ValueError("treatments given need dated measurements to update the twin")
        if self.treatments and self.treatments[0].start_date < self.measurements[0].date:
            raise ValueError(
                "the first measurement (baseline) must be on or before the first treatment"
            )
        if self.vcf and not self.biomarkers.hla_genotype:
            raise ValueError("'vcf' needs biomarkers.hla_genotype (the class I alleles)")
        return self

    @property
    def origin(self) -> dt.date | None:
        """Day 0 of the history: the first measurement's date."""
        return self.measurements[0].date if self.measurements else None


def _fix_for(loc: str) -> str:
    hints = {
        "tumor_type": "use a key of `immunotwin catalog tumors`, e.g. 'nsclc'",
        "pdl1_tps": "PD-L1 TPS is a fraction 0-1 (50 % -> 0.5)",
        "albumin_g_per_l": "albumin is in g/L (3.8 g/dL -> 38)",
        "measurements": "give {date: YYYY-MM-DD, sld_mm: number} in date order",
        "treatments": "give {start_date, regimen: [{drug, dose, every, ...}]} (docs/patient.md)",
        "drug": "drug keys are lower-case INN names (`immunotwin catalog drugs`)",
    }
    for key, hint in hints.items():
        if key in loc:
            return hint
    return "see docs/patient.md for the schema and an example"


def patient_from_dict(data: dict, source: str = "patient") -> Patient:
    """Validate a patient mapping; InputError names the field and the fix."""
    if not isinstance(data, dict):
        raise InputError(
            f"a patient file must hold one mapping (JSON object), not {type(data).__name__}",
            source=source,
            location="top level",
            fix="see examples/patients/*.json",
        )
    try:
        return Patient.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"{first['msg']} ({len(exc.errors())} problem(s) in total)",
            source=source,
            location=loc,
            fix=_fix_for(loc),
        ) from exc


def read_patient(path: str | Path) -> Patient:
    """Read and validate a patient file (``.json``, ``.yaml`` or ``.yml``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "patient file not found", source=str(path), fix="give the path of a JSON/YAML file"
        )
    try:
        data, _ = read_structured(path)
    except SpecError as exc:
        raise InputError(
            exc.message,
            source=exc.source,
            location=exc.location or "top level",
            fix="write valid JSON (or YAML with a .yaml suffix); see examples/patients/",
        ) from exc
    patient = patient_from_dict(data, source=str(path))
    update = {}
    for name in ("neoantigens", "vcf"):
        value = getattr(patient, name)
        if value and not Path(value).is_absolute():
            update[name] = str(path.parent / value)
    return patient.model_copy(update=update) if update else patient
