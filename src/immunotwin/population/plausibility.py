"""Plausibility of virtual patients (brief §2.9 a): a trial enrols progressing disease.

A parameter draw whose untreated tumour shrinks over the first 12 weeks from its pre-treatment
set point (:func:`immunotwin.model.immune.baseline.untreated_shrinks`) describes a tumour under
immune control - immunoediting elimination or equilibrium (Schreiber, Old & Smyth 2011 Science
331:1565, doi:10.1126/science.1203486) - not a patient who presents with advanced, measurable,
progressing cancer. Left in, such draws responded without any drug (about 10 % of an untreated
arm, mostly complete responses), where the calibration file's placebo arms report none
(IMPACT placebo 0/171) or almost none (MDX010-20 gp100 1.5 %).

The patient's clinical covariates and biomarkers are kept; only the unobserved model
parameters are drawn again (conditioning the catalogue prior on presentation, as Allen 2016's
plausible-patient step does), from the next stream of the same seed, up to
``MAX_REDRAWS`` times. Patients still regressing then are kept and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from immunotwin.model.compile import CompiledModel
from immunotwin.model.immune.baseline import baseline_state, untreated_shrinks

log = logging.getLogger(__name__)

MAX_REDRAWS = 5
"""Redraws of a regressing patient's model parameters before it is kept as it is."""


@dataclass(frozen=True)
class Plausible:
    """Parameters of presenting patients and what it took to get them."""

    params: np.ndarray
    """(n, n_params) effective parameters, regressing draws replaced."""
    redraws: np.ndarray
    """(n,) how many times each patient's parameters were drawn again."""
    regressing: np.ndarray
    """(n,) bool: still regressing untreated after ``MAX_REDRAWS`` redraws (kept)."""


def plausible_parameters(
    compiled: CompiledModel,
    draw: Callable[[int], np.ndarray],
    tumor_cells: Callable[[np.ndarray], np.ndarray],
    *,
    max_redraws: int = MAX_REDRAWS,
) -> Plausible:
    """Effective parameters whose untreated tumours progress.

    ``draw(k)`` returns every patient's effective parameters from the k-th stream (k = 0 is
    the usual draw); ``tumor_cells(params)`` every patient's baseline cancer cells (n,).
    Patient ``i``'s result depends only on its own rows of the draws, so it does not depend on
    how patients are chunked.
    """
    params = np.array(draw(0), dtype=np.float64, copy=True)
    redraws = np.zeros(params.shape[0], dtype=int)
    rows = np.arange(params.shape[0])
    for attempt in range(1, max_redraws + 1):
        y0 = baseline_state(compiled, params[rows], tumor_cells(params)[rows])
        rows = rows[untreated_shrinks(compiled, y0, params[rows])]
        if rows.size == 0:
            break
        params[rows] = draw(attempt)[rows]
        redraws[rows] += 1
    regressing = np.zeros(params.shape[0], dtype=bool)
    if rows.size:
        y0 = baseline_state(compiled, params[rows], tumor_cells(params)[rows])
        regressing[rows] = untreated_shrinks(compiled, y0, params[rows])
    if redraws.any():
        log.info(
            "%d of %d virtual patients regressed untreated and were redrawn; %d still regress "
            "after %d redraws and are kept",
            int((redraws > 0).sum()),
            params.shape[0],
            int(regressing.sum()),
            max_redraws,
        )
    return Plausible(params, redraws, regressing)
