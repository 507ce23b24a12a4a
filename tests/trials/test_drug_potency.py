"""Per-drug chemotherapy potency of the parameter set (brief §5.4 item 6)."""

from pathlib import Path

import numpy as np
import pytest

from immunotwin.population.calibration import ParameterSet
from immunotwin.trials.engine import _model_and_kernel, arm_patients
from immunotwin.trials.load import load_trial_spec
from immunotwin.trials.therapy_map import plan_arm

REPO_ROOT = Path(__file__).resolve().parents[2]


def _plan(potency):
    spec = load_trial_spec(REPO_ROOT / "examples/calibration/keynote407_chemotherapy.yaml")
    spec = spec.model_copy(update={"patients_per_arm": 4})
    model, _ = _model_and_kernel()
    patients = arm_patients(spec, 0)
    params = np.tile([q.model_value for q in model.parameters], (4, 1))
    kills = ("chemo_a_kill_tumor", "chemo_b_kill_tumor")
    for k, name in enumerate(kills):
        params[:, model.parameter_index(name)] = 0.1 * (k + 1)
    plan = plan_arm(model, spec.arms[0], patients, 365.0, np.random.default_rng(0), params, potency)
    return plan, params, model


def test_a_drug_potency_scales_only_the_slot_that_drug_occupies():
    plan, params, model = _plan({"carboplatin": 3.0})
    kills = {k: v for k, v in plan.parameter_values.items() if k.endswith("_kill_tumor")}
    assert len(kills) == 1  # paclitaxel's slot keeps the sampled value
    ((slot_kill, values),) = kills.items()
    np.testing.assert_allclose(values, 3.0 * params[:, model.parameter_index(slot_kill)])


def test_no_potency_leaves_the_slots_alone():
    plan, _, _ = _plan(None)
    assert not [k for k in plan.parameter_values if k.endswith("_kill_tumor")]


def test_potency_hyper_parameters_round_trip_through_the_parameter_set():
    pset = ParameterSet.identity().with_values({"potency:carboplatin": 2.5, "cd8_kill_rate": 0.5})
    assert pset.drug_potency == {"carboplatin": 2.5}
    assert pset.multipliers == {"cd8_kill_rate": 0.5}
    assert pset.hyper_parameters()["potency:carboplatin"] == 2.5
    with pytest.raises(ValueError, match="positive"):
        ParameterSet.model_validate({"version": "x", "drug_potency": {"carboplatin": -1.0}})
