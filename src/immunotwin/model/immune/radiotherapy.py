"""Radiotherapy parameters (brief §2.6, §2.7): linear-quadratic fractions as events.

A fraction of dose d is an instantaneous event, not a rate: the trial layer
(:func:`immunotwin.trials.therapy_map.plan_arm`) turns each fraction into engine events

- TRANSFER of f_field*(1 - SF) of ``tumor_presenting`` and ``tumor_escape`` to ``tumor_doomed``,
  SF = exp(-alpha d - beta d^2), beta = alpha/(alpha/beta) (doomed cells die at k_z and release
  antigen with ``immunogenicity_doomed`` = ``rt_immunogenicity`` in radiotherapy arms);
- SCALE_STATE of the in-field tumour-resident lymphoid cells (Tt, Tf, Tx, Rt, NK) by
  1 - f_field*(1 - SF_L(d)) and of circulating lymphocytes and systemic effectors (L, Tb, Tbr)
  by SF_L(d_blood), SF_L(x) = exp(-alpha_L x), d_blood = (d_blood/d)*d.

This module only adds the parameters to the model (so they are sampled per patient, calibrated
and exported with it); no rate law reads them, so arms without radiotherapy are untouched.
"""

from __future__ import annotations

from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "rt_alpha",
    "rt_alpha_beta",
    "rt_field_fraction",
    "rt_lymphocyte_alpha",
    "rt_blood_dose_fraction",
    "rt_immunogenicity",
)
IN_FIELD_LYMPHOID = ("teff_tumor", "teff_fresh_tumor", "texh_tumor", "treg_tumor", "nk_tumor")
CIRCULATING = ("lymphocytes", "teff_systemic", "teff_recall_systemic")


def add_radiotherapy(model: Model) -> Model:
    """Add the linear-quadratic and lymphocyte-kill parameters (read by the trial layer)."""
    return with_parameters(model, PARAMETERS)
