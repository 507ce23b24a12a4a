"""Virtual patients present with progressing disease (brief §2.9 a; population/plausibility.py)."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.model.immune.baseline import baseline_state, untreated_shrinks
from immunotwin.population.calibration import effective_parameters
from immunotwin.population.calibration_io import shipped_parameter_set
from immunotwin.population.catalog import load_tumor_catalog
from immunotwin.population.plausibility import plausible_parameters
from immunotwin.trials.engine import (
    _model_and_kernel,
    _tumour_cells_from_sld,
    arm_patients,
    presenting_parameters,
)
from immunotwin.trials.spec import TrialSpec


@pytest.fixture(scope="module")
def untreated():
    spec = TrialSpec.model_validate(
        {
            "name": "untreated NSCLC",
            "tumor_type": "nsclc",
            "population": {"line": 2},
            "patients_per_arm": 64,
            "seed": 11,
            "follow_up_months": 12,
            "arms": [
                {
                    "name": "placebo",
                    "regimen": [
                        {"drug": "placebo", "dose": "5e7 cells", "every": "2 weeks", "cycles": 3}
                    ],
                }
            ],
        }
    )
    tumour = load_tumor_catalog().get(spec.tumor_type)
    return spec, tumour, arm_patients(spec, 0, tumour), shipped_parameter_set()


def _cells(model, patients, params):
    return _tumour_cells_from_sld(
        patients["baseline_sld_mm"].to_numpy(),
        params[:, model.parameter_index("cancer_cell_volume")],
        params[:, model.parameter_index("tumor_cell_volume_fraction")],
    )


def test_presenting_patients_do_not_regress_untreated(untreated):
    spec, tumour, patients, calibration = untreated
    model, compiled = _model_and_kernel()
    params = presenting_parameters(spec, patients, tumour, calibration, block=16)
    y0 = baseline_state(compiled, params, _cells(model, patients, params))
    assert not untreated_shrinks(compiled, y0, params).any()


def test_only_regressing_draws_are_replaced(untreated):
    spec, tumour, patients, calibration = untreated
    model, compiled = _model_and_kernel()
    draws = {}

    def draw(k):
        rng = np.random.default_rng([spec.seed, k])
        draws[k] = effective_parameters(model, rng, patients, tumour, calibration)
        return draws[k]

    result = plausible_parameters(compiled, draw, lambda p: _cells(model, patients, p))
    first = draws[0]
    y0 = baseline_state(compiled, first, _cells(model, patients, first))
    regressing = untreated_shrinks(compiled, y0, first)
    # the draw has regressing patients (about 1 in 10) and exactly those were redrawn
    assert regressing.any()
    np.testing.assert_array_equal(result.redraws > 0, regressing)
    np.testing.assert_array_equal(result.params[~regressing], first[~regressing])
    assert not result.regressing.any()


def test_redraws_do_not_depend_on_chunking(untreated):
    spec, tumour, patients, calibration = untreated
    whole = presenting_parameters(spec, patients, tumour, calibration, block=16)
    first = presenting_parameters(spec, patients.iloc[:32], tumour, calibration, 0, block=16)
    second = presenting_parameters(spec, patients.iloc[32:], tumour, calibration, 32, block=16)
    np.testing.assert_array_equal(whole, np.vstack([first, second]))
