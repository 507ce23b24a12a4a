"""The trial specification (DESIGN.md §5) as validated, frozen data.

A spec is checked completely before anything runs: structure and types (pydantic), dose units,
schedules, drug and tumour keys against the packaged catalogues, and cross-field rules (the
control arm exists, arm names are unique). Reading a YAML file with line numbers lives in
:mod:`immunotwin.io.specfile`.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from immunotwin.therapies.dose import Dose, DoseUnit, parse_duration_days, parse_start_day

BIOMARKER_FILTERS = {
    "pdl1_tps": "PD-L1 tumour proportion score, fraction 0-1",
    "pdl1_cps": "PD-L1 combined positive score, 0-100",
    "tmb": "tumour mutational burden, mutations/Mb",
    "msi": "microsatellite status: 'high' or 'stable'",
    "line": "line of therapy, 1 = first line",
    "ecog": "ECOG performance status 0-4",
    "age": "age, years",
    "hla_loh": "HLA loss of heterozygosity (true/false)",
    "b2m_loss": "beta-2-microglobulin loss (true/false)",
    "her2": "HER2 status: 'positive' or 'negative'",
    "hla_a0201": "carries HLA-A*02:01 (true/false)",
    "mage_a4_positive": "tumour expresses MAGE-A4 (true/false; TCR-T eligibility)",
    "prior_anti_pd1": "progressed on prior anti-PD-(L)1 (true/false)",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RangeFilter(_Frozen):
    """Keep patients with min <= value <= max (either bound optional)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RangeFilter:
        if self.min is None and self.max is None:
            raise ValueError("give 'min', 'max' or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


FilterValue = RangeFilter | bool | int | float | str


class RegimenItem(_Frozen):
    """One drug's schedule within an arm."""

    drug: Annotated[str, Field(min_length=1)]
    dose: Dose
    every: str | None = Field(default=None, description="cycle length, e.g. '3 weeks'")
    max_cycles: int | None = Field(default=None, ge=1)
    cycles: int | None = Field(default=None, ge=1, description="exact number of cycles")
    start: str = Field(default="day 0", description="'day N', 'week N' or 'month N'")
    max_duration_months: float | None = Field(default=None, gt=0)
    doses_per_day: int = Field(default=1, ge=1, le=24)
    cycle_days: tuple[int, ...] | None = Field(
        default=None, description="days within each cycle, 1-based (e.g. [1, 8, 15])"
    )
    fractions: int | None = Field(default=None, ge=1, le=60, description="radiotherapy fractions")
    duration: str | None = Field(
        default=None, description="continuous-infusion length per cycle, e.g. '28 days'"
    )
    consecutive_days: int = Field(
        default=1, ge=1, le=28, description="doses on N consecutive days (e.g. 3 for flu/cy)"
    )

    @field_validator("drug")
    @classmethod
    def _key_shape(cls, v: str) -> str:
        if v != v.lower() or " " in v or "-" in v:
            raise ValueError(
                f"drug keys are lower-case with underscores, e.g. "
                f"'{v.lower().replace(' ', '_').replace('-', '_')}'"
            )
        return v

    @field_validator("every")
    @classmethod
    def _every(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration_days(v, what="'every'")
        return v

    @field_validator("duration")
    @classmethod
    def _duration(cls, v: str | None) -> str | None:
        if v is not None:
            parse_duration_days(v, what="'duration'")
        return v

    @field_validator("start")
    @classmethod
    def _start(cls, v: str) -> str:
        parse_start_day(v)
        return v

    @model_validator(mode="after")
    def _coherent(self) -> RegimenItem:
        if self.cycles is not None and self.max_cycles is not None:
            raise ValueError("give either 'cycles' or 'max_cycles', not both")
        if self.every is None and (self.cycles or 1) > 1:
            raise ValueError("'cycles' > 1 needs 'every' (the cycle length)")
        if self.dose.unit is DoseUnit.GY and self.fractions is None:
            raise ValueError("a radiotherapy dose in Gy needs 'fractions' (e.g. fractions: 30)")
        if self.fractions is not None and self.dose.unit is not DoseUnit.GY:
            raise ValueError("'fractions' applies only to doses in Gy")
        if self.cycle_days is not None:
            if self.every is None:
                raise ValueError("'cycle_days' needs 'every' (the cycle length)")
            length = parse_duration_days(self.every)
            if min(self.cycle_days) < 1 or max(self.cycle_days) > length:
                raise ValueError(f"'cycle_days' must lie within 1..{length:g} (the cycle)")
        return self

    @property
    def every_days(self) -> float | None:
        return parse_duration_days(self.every) if self.every else None

    @property
    def start_day(self) -> float:
        return parse_start_day(self.start)


class VisitSchedule(_Frozen):
    """Tumour assessments: first at ``first_week`` (default ``every_weeks_early``), then every
    ``every_weeks_early`` to ``until_week``, then every ``every_weeks_late`` (default q6w to
    week 48, then q12w); or the early scans listed one by one in ``weeks``, then every
    ``every_weeks_late``. A calibration arm states its trial's protocol schedule, since the
    scans decide where a median PFS can fall."""

    first_week: float | None = Field(default=None, gt=0, le=52)
    every_weeks_early: float = Field(default=6.0, gt=0, le=52)
    until_week: float = Field(default=48.0, ge=0)
    every_weeks_late: float = Field(default=12.0, gt=0, le=104)
    weeks: tuple[Annotated[float, Field(gt=0)], ...] | None = Field(
        default=None,
        min_length=1,
        description="early scan weeks one by one (e.g. [6, 12, 21, 30, 39, 48]), "
        "instead of first_week/every_weeks_early/until_week",
    )

    @model_validator(mode="after")
    def _one_early_form(self) -> VisitSchedule:
        if self.weeks is not None:
            if self.first_week is not None:
                raise ValueError("give either weeks or first_week, not both")
            if any(b <= a for a, b in pairwise(self.weeks)):
                raise ValueError(f"weeks must increase, got {list(self.weeks)}")
        return self

    def early_days(self) -> list[float] | None:
        """The listed early scans in days (None when the schedule is a grid)."""
        return None if self.weeks is None else [7 * w for w in self.weeks]


BASKET = "basket"
"""The ``tumor_type`` of a basket arm, whose patients come from ``tumor_mix``
(:mod:`immunotwin.population.basket`)."""


class Arm(_Frozen):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    regimen: Annotated[tuple[RegimenItem, ...], Field(min_length=1)]
    description: str = ""


class TrialSpec(_Frozen):
    """A virtual trial: population, arms and follow-up (DESIGN.md §5)."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    tumor_type: Annotated[str, Field(min_length=1)]
    tumor_mix: dict[str, Annotated[float, Field(gt=0)]] | None = Field(
        default=None,
        description="basket arm (tumor_type: basket): tumour type -> share of enrolment, "
        "before the population filters unless tumor_mix_counts is 'enrolled'",
    )
    tumor_mix_counts: Literal["screened", "enrolled"] = Field(
        default="screened",
        description="what the tumor_mix shares count: 'screened' (every type's cohort before the "
        "population filters, e.g. KEYNOTE-158 cohorts A-J before TMB testing) or 'enrolled' "
        "(patients who passed them, e.g. the MSI-H cohort's tumour types)",
    )
    description: str = ""
    population: dict[str, FilterValue] = Field(default_factory=dict)
    patients_per_arm: int = Field(default=200, ge=1, le=10_000_000)
    seed: int = Field(default=0, ge=0)
    follow_up_months: float = Field(default=24.0, gt=0, le=240)
    paired_patients: bool = Field(
        default=True, description="every arm sees the same virtual patients (paired comparison)"
    )
    response_criteria: Literal["recist11", "irecist", "lugano"] | None = Field(
        default=None, description="default: the tumour type's criteria (RECIST 1.1 or Lugano)"
    )
    confirm_response: bool = Field(
        default=False, description="CR/PR need confirmation >= 4 weeks later (single-arm trials)"
    )
    visit_schedule: VisitSchedule = Field(default_factory=lambda: VisitSchedule())
    arms: Annotated[tuple[Arm, ...], Field(min_length=1)]
    control_arm: str | None = Field(default=None, description="hazard ratios are against it")

    @field_validator("population")
    @classmethod
    def _known_filters(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(v) - set(BIOMARKER_FILTERS))
        if unknown:
            known = ", ".join(sorted(BIOMARKER_FILTERS))
            raise ValueError(f"unknown population filter(s) {unknown}; known filters: {known}")
        return v

    @model_validator(mode="after")
    def _basket(self) -> TrialSpec:
        basket = self.tumor_type == BASKET
        if basket and not self.tumor_mix:
            raise ValueError(
                "tumor_type 'basket' needs 'tumor_mix': the share of enrolment of each tumour "
                "type, e.g. {sclc: 107, cervical: 98}"
            )
        if self.tumor_mix and not basket:
            raise ValueError(
                f"'tumor_mix' is given, so tumor_type must be 'basket' (is '{self.tumor_type}')"
            )
        if self.tumor_mix is not None and len(self.tumor_mix) < 2:
            raise ValueError("a basket's 'tumor_mix' needs at least two tumour types")
        if self.tumor_mix_counts == "enrolled" and not basket:
            raise ValueError("'tumor_mix_counts' applies to a basket arm (tumor_type: basket)")
        return self

    @model_validator(mode="after")
    def _arms(self) -> TrialSpec:
        names = [a.name for a in self.arms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"arm names must be unique; repeated: {dupes}")
        return self

    @field_validator("control_arm")
    @classmethod
    def _control_is_an_arm(cls, v: str | None, info: ValidationInfo) -> str | None:
        names = [a.name for a in info.data.get("arms", ())]
        if v is not None and names and v not in names:
            raise ValueError(f"control_arm '{v}' is not one of the arms {names}")
        return v

    @property
    def follow_up_days(self) -> float:
        from immunotwin.therapies.dose import DAYS_PER_MONTH

        return self.follow_up_months * DAYS_PER_MONTH
