"""Virtual-patient parameters and pre-treatment states (brief §2.8-§2.9).

``sample_parameters`` draws each parameter from its catalogue distribution.
``baseline_state`` gives each patient's untreated state at its sampled tumour size with the
brief's cheap initialisation (§2.9 b): start from the tumour scaled back by the expected net
growth over a burn-in period, integrate the untreated model so that the immune compartments
reach their quasi-steady set point for that burden, then rescale the tumour (and the cells that
live in it) to the exact target size and re-split presenting/escape cells by the sampled escape
fraction. Finally it sets ``tumor_loss_setpoint`` (lambda_0), the per-cell loss rate (basal
death, NK, macrophage and CD8 killing) at that set point: the model's ``tumor_growth_rate`` is the
net untreated growth that clinical doubling times measure, and the gross proliferation
k_g + lambda_0 keeps the untreated tumour on its sampled doubling time.
"""

from __future__ import annotations

import logging

import numpy as np

from immunotwin.engine import simulate
from immunotwin.errors import InputError
from immunotwin.model.compile import CompiledModel
from immunotwin.model.spec import Model

log = logging.getLogger(__name__)

TUMOR_STATES = ("tumor_presenting", "tumor_escape", "tumor_doomed", "tumor_dead")
RESIDENT_STATES = (
    "teff_tumor",
    "teff_fresh_tumor",
    "texh_tumor",
    "treg_tumor",
    "mdsc_tumor",
    "macrophage_m1",
    "macrophage_m2",
    "nk_tumor",
)
MAX_RESIDENT_SCALE = 10.0
"""Largest factor by which burn-in resident immune cells are scaled up to the target burden
(assumption; see :func:`baseline_state`)."""
# (set-point state, clone state, kill quantities of that clone)
LOSS_SETPOINTS = (
    (
        "tumor_loss_setpoint",
        "tumor_presenting",
        ("nk_kill_presenting", "phagocytosis_presenting", "cd8_kill_presenting"),
    ),
    (
        "escape_loss_setpoint",
        "tumor_escape",
        ("nk_kill_escape", "phagocytosis_escape", "cd8_kill_escape"),
    ),
)


def sample_parameters(model: Model, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` patients' parameters, shape (n, n_params), in catalogue units.

    lognormal: value*exp(sigma*z); loguniform/uniform: between low and high; fixed: value.
    """
    out = np.empty((n, len(model.parameters)))
    for k, p in enumerate(model.parameters):
        d = p.distribution
        if d.kind == "lognormal":
            out[:, k] = p.value * np.exp(d.sigma * rng.standard_normal(n))
        elif d.kind == "loguniform":
            out[:, k] = np.exp(rng.uniform(np.log(d.low), np.log(d.high), n))
        elif d.kind == "uniform":
            out[:, k] = rng.uniform(d.low, d.high, n)
        else:
            out[:, k] = p.value
    return out


def baseline_state(
    compiled: CompiledModel,
    params: np.ndarray,
    tumor_cells: np.ndarray,
    *,
    burn_in_days: float = 365.0,
    rtol: float = 1e-5,
) -> np.ndarray:
    """Pre-treatment states, shape (n_patients, n_states), at ``tumor_cells`` living cancer cells.

    Parameters
    ----------
    compiled : the compiled ``immunotwin`` model.
    params : (n_patients, n_params) patient parameters.
    tumor_cells : (n_patients,) target number of living cancer cells (e.g. from the sampled
        diameter: cells = phi_T * V / v_C).
    burn_in_days : untreated integration that brings immune states to their set point.
    """
    model = compiled.model
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    target = np.asarray(tumor_cells, dtype=np.float64).reshape(-1)
    n = params.shape[0]
    if target.shape[0] != n or np.any(~np.isfinite(target)) or np.any(target <= 0):
        raise InputError(
            "tumor_cells must hold one positive finite value per patient",
            source="baseline_state()",
            fix=f"pass an array of shape ({n},)",
        )
    pi = model.parameter_index
    idx = {name: model.state_index(name) for name in TUMOR_STATES + RESIDENT_STATES}
    net = np.maximum(
        params[:, pi("tumor_growth_rate")] - params[:, pi("tumor_basal_death_rate")], 0
    )
    start = target * np.maximum(np.exp(-net * burn_in_days), 1e-3)
    escape = params[:, pi("escape_fraction_initial")]
    y0 = np.tile(compiled.default_initial_state(), (n, 1))
    y0[:, idx["tumor_presenting"]] = start * (1 - escape)
    y0[:, idx["tumor_escape"]] = start * escape
    result = simulate(compiled, y0, params, np.array([burn_in_days]), rtol=rtol)
    y = result.states[:, -1, :].copy()
    failed = ~result.ok | ~np.all(np.isfinite(y), axis=1)
    if np.any(failed):
        log.warning("baseline burn-in failed for %d patients; they start from y0", failed.sum())
        y[failed] = y0[failed]
    living = y[:, idx["tumor_presenting"]] + y[:, idx["tumor_escape"]] + y[:, idx["tumor_doomed"]]
    scale = target / np.maximum(living, 1.0)
    for name in TUMOR_STATES:
        y[:, idx[name]] *= scale
    # resident immune cells keep their per-cancer-cell density, except where the burn-in tumour
    # was immune-controlled far below the target (a density of a regressing micro-tumour is not
    # that of a clinically progressing one): cap the rescaling at MAX_RESIDENT_SCALE
    resident_scale = np.minimum(scale, MAX_RESIDENT_SCALE)
    for name in RESIDENT_STATES:
        y[:, idx[name]] *= resident_scale
    y[:, idx["tumor_presenting"]] = target * (1 - escape)
    y[:, idx["tumor_escape"]] = target * escape
    y[:, idx["tumor_doomed"]] = 0.0
    for name, rate in setpoint_loss_rates(compiled, y, params).items():
        y[:, model.state_index(name)] = rate
    far = (scale > 10) | (scale < 0.1)
    if np.any(far):
        log.info(
            "%d patients' burn-in tumours missed the target by >10x (immune control "
            "or very fast growth)",
            far.sum(),
        )
    return y


def setpoint_loss_rates(
    compiled: CompiledModel, y: np.ndarray, params: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-cell loss rates lambda_0,i (1/day) of each clone at states ``y`` (n, n_states).

    lambda_0,i = k_d0 + (NK + M1 kill of clone i) / C_i: the rate that the gross proliferation
    adds to the net growth k_g so that the untreated clone grows at k_g whatever its innate
    and CD8 killing at the set point. CD8 killing is compensated too (issue 5): a clinical
    doubling time is measured on a tumour already under its pre-treatment immune pressure
    (immunoediting equilibrium/escape, Schreiber, Old & Smyth 2011 Science 331:1565,
    doi:10.1126/science.1203486), and leaving it out made untreated tumours regress (a
    spontaneous-response floor); therapy acts through the change of killing from this set point.
    Returns {set-point state name: (n,) rates}.
    """
    model = compiled.model
    y = np.array(y, dtype=np.float64)
    for name, _, _ in LOSS_SETPOINTS:
        y[:, model.state_index(name)] = 0.0
    # a clone absent at baseline is evaluated as one cell (kills are proportional to C_i)
    for _, clone, _ in LOSS_SETPOINTS:
        k = model.state_index(clone)
        y[:, k] = np.maximum(y[:, k], 1.0)
    q = compiled.quantities(y, params)
    basal = params[:, model.parameter_index("tumor_basal_death_rate")]
    out = {}
    for name, clone, kills in LOSS_SETPOINTS:
        loss = basal + sum(q[k] for k in kills) / y[:, model.state_index(clone)]
        out[name] = np.where(np.isfinite(loss), np.maximum(loss, 0.0), 0.0)
    return out


PRESENTATION_WINDOW_DAYS = 84.0
"""Untreated follow-up over which a presenting tumour must not shrink: 12 weeks, the usual
interval to the first RECIST assessment (see :func:`untreated_shrinks`)."""


def untreated_shrinks(
    compiled: CompiledModel,
    y0: np.ndarray,
    params: np.ndarray,
    *,
    days: float = PRESENTATION_WINDOW_DAYS,
    rtol: float = 1e-5,
) -> np.ndarray:
    """Per patient: does the untreated tumour hold fewer living cancer cells ``days`` after
    the pre-treatment state ``y0`` than at it? (n,) bool.

    Such a tumour is under immune control (immunoediting elimination/equilibrium), not the
    progressing disease a trial enrols, so it fails the brief's plausibility step (§2.9 a).
    A patient whose check fails to integrate is not flagged (the trial run reports it).
    """
    model = compiled.model
    y0 = np.atleast_2d(np.asarray(y0, dtype=np.float64))
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    living = [model.state_index(name) for name in TUMOR_STATES[:3]]
    result = simulate(compiled, y0, params, np.array([days]), rtol=rtol)
    before = y0[:, living].sum(axis=1)
    after = result.states[:, -1, living].sum(axis=1)
    return result.ok & np.isfinite(after) & (after < before)
