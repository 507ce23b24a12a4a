"""The prevention specification: a vaccinated cohort, type-specific efficacy and outcomes.

A preventive vaccine does not act on an existing tumour (brief §2.4 "Vaccines"): it lowers the
incidence hazard of lesions driven by the vaccine's virus types in vaccinated, type-naive
people. The spec names the cohort (age at vaccination, horizon), coverage, per-type efficacy and,
per outcome (e.g. CIN2+ or cervical cancer), age-banded incidence and the share attributable to
each type, each with its source.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TypeEfficacy(_Frozen):
    """Vaccine efficacy against lesions caused by one virus type in type-naive recipients."""

    efficacy: float = Field(ge=0.0, le=1.0, description="1 - relative risk, 0-1")
    source: str = Field(min_length=3)


class IncidenceBand(_Frozen):
    """Incidence of the outcome without vaccination between two ages (cases/100,000/year)."""

    age_from: float = Field(ge=0, le=120)
    age_to: float = Field(gt=0, le=120)
    per_100k_per_year: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> IncidenceBand:
        if self.age_to <= self.age_from:
            raise ValueError(f"age_to ({self.age_to}) must exceed age_from ({self.age_from})")
        return self


class Outcome(_Frozen):
    """An HPV-driven outcome: its unvaccinated incidence and the share caused by each type."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    incidence: Annotated[tuple[IncidenceBand, ...], Field(min_length=1)]
    incidence_source: str = Field(min_length=3)
    type_attribution: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]]
    attribution_source: str = Field(min_length=3)

    @model_validator(mode="after")
    def _shares(self) -> Outcome:
        total = sum(self.type_attribution.values())
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"type_attribution of '{self.name}' sums to {total:.3f} > 1 (shares of cases "
                "caused by each type; cases with several types count once, under one type)"
            )
        return self


class PreventionSpec(_Frozen):
    """A preventive-vaccination scenario (``immunotwin prevention SPEC --out DIR``)."""

    mode: Literal["prevention"] = "prevention"
    name: Annotated[str, Field(min_length=1, max_length=120)]
    description: str = ""
    vaccine: str = Field(default="hpv_vaccine", pattern=r"^[a-z][a-z0-9_]*$")
    age_at_vaccination_years: float = Field(ge=0, le=100)
    horizon_years: float = Field(gt=0, le=100)
    coverage: float = Field(ge=0.0, le=1.0, description="fraction of the cohort fully vaccinated")
    naive_fraction: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="fraction naive to the vaccine types when vaccinated",
    )
    efficacy_waning_per_year: float = Field(
        default=0.0, ge=0.0, description="exponential waning rate of efficacy (0 = lifelong)"
    )
    types: dict[str, TypeEfficacy] = Field(min_length=1)
    outcomes: Annotated[tuple[Outcome, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _known_types(self) -> PreventionSpec:
        for outcome in self.outcomes:
            unknown = sorted(set(outcome.type_attribution) - set(self.types))
            if unknown:
                # a type not in the vaccine is allowed only with an explicit efficacy of 0
                raise ValueError(
                    f"outcome '{outcome.name}' attributes cases to {unknown}, which are not in "
                    f"'types' {sorted(self.types)}; add them with efficacy 0 if not covered"
                )
        names = [o.name for o in self.outcomes]
        if len(set(names)) != len(names):
            raise ValueError(f"outcome names must be unique: {names}")
        return self
