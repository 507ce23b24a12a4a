"""Population-level calibration: the parameter set the trial engine uses, and how it is applied.

A *parameter set* holds a few population-level hyper-parameters fitted by
``immunotwin calibrate`` to the published arms of ``../shared/data/calibration/trials.csv``
(see :mod:`immunotwin.population.fit`):

- ``multipliers``: factors on model parameters (every virtual patient's sampled value is
  multiplied, so the population spread is kept and its centre moves), e.g. ``cd8_kill_rate``,
  ``exhaustion_rate``, ``chemo_a_kill_tumor``, ``tumor_growth_rate``;
- ``tumour_hazard_per_day``: the burden-driven death hazard at baseline burden of
  :class:`immunotwin.trials.survival_link.SurvivalLink`;
- ``new_lesion_rate_per_day``: the new-lesion hazard at baseline burden of the trial engine;
- ``drug_potency``: per-drug factors on a chemotherapy's cancer-cell kill (brief §5.4 item 6:
  calibrate chemotherapy K-PD per drug), applied by the arm plan to the slot the drug occupies
  (hyper-parameter names ``potency:<drug key>``).

The trial engine applies the shipped set (``immunotwin/data/calibration/parameter_set.json``)
by default, right after the biomarker maps (:func:`apply_calibration`). Reading and writing the
JSON file lives in :mod:`immunotwin.population.calibration_io`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from immunotwin.errors import CatalogError
from immunotwin.model.spec import Model
from immunotwin.trials.survival_link import SurvivalLink

log = logging.getLogger(__name__)

DEFAULT_NEW_LESION_RATE_PER_DAY = 1.0 / 1500.0
"""Uncalibrated new-lesion hazard at baseline burden, brief §4.1 h_new = lambda*(C/C0)^kappa
(assumption: one new lesion per ~four years at constant burden; calibrate to the share of
progression driven by new lesions)."""


POTENCY_PREFIX = "potency:"
"""Hyper-parameter name prefix of a per-drug potency (``potency:carboplatin``)."""
HAZARD_PREFIX = "hazard:"
PRETREATED_HAZARD = "pretreated_hazard_multiplier"
"""Hyper-parameter name of the later-line death-hazard multiplier."""
"""Hyper-parameter name prefix of a tumour type's death-hazard multiplier (``hazard:melanoma``)."""


class ParameterSet(BaseModel):
    """A versioned set of calibrated population-level hyper-parameters (with its provenance)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(description="parameter-set version, e.g. '2025.1'")
    created: str = Field(default="", description="ISO date the fit finished")
    immunotwin_version: str = ""
    model_name: str = ""
    model_hash: str = Field(default="", description="content hash of the model it was fitted on")
    method: str = ""
    seed: int | None = None
    patients_per_arm: int | None = None
    multipliers: dict[str, float] = Field(default_factory=dict)
    drug_potency: dict[str, float] = Field(
        default_factory=dict, description="x cancer-cell kill of a chemotherapy, by drug key"
    )
    tumour_hazard_per_day: float = Field(default=SurvivalLink().tumour_hazard_per_day, gt=0)
    tumour_hazard_multiplier: dict[str, float] = Field(
        default_factory=dict,
        description="x tumour_hazard_per_day by tumour type key (that population's prognosis)",
    )
    new_lesion_rate_per_day: float = Field(default=DEFAULT_NEW_LESION_RATE_PER_DAY, gt=0)
    pretreated_hazard_multiplier: float = Field(
        default=1.0,
        gt=0,
        description="x death hazard of a patient treated after progression on systemic therapy "
        "(line >= 2): the prognosis of later lines beyond their measurable burden",
    )
    objective: dict[str, Any] = Field(default_factory=dict)
    fitted_to: list[dict[str, str]] = Field(default_factory=list)
    notes: str = ""

    @field_validator("multipliers", "drug_potency", "tumour_hazard_multiplier")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not (np.isfinite(x) and x > 0)}
        if bad:
            raise ValueError(f"multipliers must be positive and finite; got {bad}")
        return v

    @field_validator("tumour_hazard_multiplier")
    @classmethod
    def _known_tumour_types(cls, v: dict[str, float]) -> dict[str, float]:
        from immunotwin.population.catalog import load_tumor_catalog

        known = set(load_tumor_catalog().keys())
        unknown = sorted(set(v) - known)
        if unknown:
            raise ValueError(
                f"unknown tumour type(s) {unknown}; use keys of `immunotwin catalog tumors` "
                f"({', '.join(sorted(known))})"
            )
        return v

    @classmethod
    def identity(cls) -> ParameterSet:
        """The uncalibrated model: no multipliers, catalogue hazards."""
        return cls(version="uncalibrated", method="none")

    def survival_link(
        self, tumor_type: str | np.ndarray | None = None, pretreated: np.ndarray | None = None
    ) -> SurvivalLink:
        """The death-hazard link with this set's tumour hazard (x the tumour type's multiplier,
        x ``pretreated_hazard_multiplier`` for patients with ``pretreated`` true).

        ``tumor_type`` may be one key per patient (a basket arm); with one key per patient or
        a ``pretreated`` flag per patient the link carries a per-patient hazard column (n, 1)."""
        if isinstance(tumor_type, np.ndarray):
            factor = np.array([self.tumour_hazard_multiplier.get(t, 1.0) for t in tumor_type])
        else:
            factor = np.asarray(
                self.tumour_hazard_multiplier.get(tumor_type, 1.0) if tumor_type else 1.0
            )
        if pretreated is not None:
            flag = np.asarray(pretreated, dtype=float)
            factor = factor * self.pretreated_hazard_multiplier**flag
        if factor.ndim:
            return SurvivalLink(tumour_hazard_per_day=self.tumour_hazard_per_day * factor[:, None])
        return SurvivalLink(tumour_hazard_per_day=self.tumour_hazard_per_day * float(factor))

    def with_values(self, values: dict[str, float]) -> ParameterSet:
        """A copy with hyper-parameters replaced: keys ``tumour_hazard_per_day``,
        ``new_lesion_rate_per_day``, ``potency:<drug>``, ``hazard:<tumour type>`` or a model
        parameter name (a multiplier). The copy is validated like a loaded set."""
        multipliers = dict(self.multipliers)
        potency = dict(self.drug_potency)
        hazard = dict(self.tumour_hazard_multiplier)
        update: dict[str, Any] = {}
        for key, value in values.items():
            if key in ("tumour_hazard_per_day", "new_lesion_rate_per_day", PRETREATED_HAZARD):
                update[key] = float(value)
            elif key.startswith(POTENCY_PREFIX):
                potency[key.removeprefix(POTENCY_PREFIX)] = float(value)
            elif key.startswith(HAZARD_PREFIX):
                hazard[key.removeprefix(HAZARD_PREFIX)] = float(value)
            else:
                multipliers[key] = float(value)
        update["multipliers"] = multipliers
        update["drug_potency"] = potency
        update["tumour_hazard_multiplier"] = hazard
        return type(self).model_validate({**self.model_dump(), **update})

    def hyper_parameters(self) -> dict[str, float]:
        """Every fitted value by name (multipliers and hazards) - the fit's coordinates."""
        return {
            **self.multipliers,
            **{f"{POTENCY_PREFIX}{drug}": v for drug, v in self.drug_potency.items()},
            **{f"{HAZARD_PREFIX}{t}": v for t, v in self.tumour_hazard_multiplier.items()},
            "tumour_hazard_per_day": self.tumour_hazard_per_day,
            "new_lesion_rate_per_day": self.new_lesion_rate_per_day,
            PRETREATED_HAZARD: self.pretreated_hazard_multiplier,
        }


MULTIPLIER_GROUPS: dict[str, tuple[str, ...]] = {
    "chemo_kill_tumor": (
        "chemo_a_kill_tumor",
        "chemo_b_kill_tumor",
        "chemo_c_kill_tumor",
        "chemo_d_kill_tumor",
    ),
    "antibody_effector_kill": ("adcc_max", "adcp_max", "antitarget_cdc_rate"),
}
"""A multiplier named after a group applies to each member (the four chemotherapy slots share
one potency: the drug catalogue gives no drug-specific potency yet)."""


def apply_calibration(model: Model, params: np.ndarray, parameter_set: ParameterSet) -> np.ndarray:
    """A copy of ``params`` (n_patients x n_params) with the set's multipliers applied.

    Raises CatalogError if a multiplier names a parameter the model does not have (the set was
    fitted on another model version: re-run ``immunotwin calibrate``).
    """
    out = np.array(params, dtype=float, copy=True)
    names = set(model.parameter_names)
    for key, factor in parameter_set.multipliers.items():
        for name in MULTIPLIER_GROUPS.get(key, (key,)):
            if name not in names:
                raise CatalogError(
                    f"parameter set '{parameter_set.version}' multiplies '{name}', which the "
                    f"model '{model.name}' does not have",
                    source="calibration parameter set",
                    location=f"multipliers.{key}",
                    fix="re-run `immunotwin calibrate` for this model version",
                )
            out[:, model.parameter_index(name)] *= factor
    if parameter_set.model_hash and parameter_set.model_hash != model.content_hash():
        log.info(
            "parameter set %s was fitted on model hash %s; this model is %s",
            parameter_set.version,
            parameter_set.model_hash[:12],
            model.content_hash()[:12],
        )
    return out


def effective_parameters(
    model: Model, rng, patients, tumor, parameter_set: ParameterSet
) -> np.ndarray:
    """Virtual patients' effective parameters, (n_patients, n_params): catalogue draws from
    ``rng`` -> biomarker maps of ``tumor`` (of each patient's own type in a basket arm) ->
    ``parameter_set``'s multipliers (the order the trial engine uses)."""
    from immunotwin.model.immune.baseline import sample_parameters
    from immunotwin.population.basket import tumour_groups
    from immunotwin.population.biomarker_map import apply_biomarkers

    sampled = sample_parameters(model, rng, len(patients))
    mapped = sampled.copy()
    for tumour, rows in tumour_groups(patients, tumor):
        mapped[rows] = apply_biomarkers(model, sampled[rows], patients.iloc[rows], tumour)
    return apply_calibration(model, mapped, parameter_set)
