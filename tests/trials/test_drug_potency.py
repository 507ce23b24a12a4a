"""Per-drug potency of the parameter set: chemotherapy kill, TKI growth inhibition, antibody
Fc effector maxima (brief §5.4 item 6)."""

from pathlib import Path

import numpy as np
import pytest

from immunotwin.population.calibration import ParameterSet
from immunotwin.trials.engine import _model_and_kernel, arm_patients
from immunotwin.trials.load import load_trial_spec
from immunotwin.trials.therapy_map import plan_arm

REPO_ROOT = Path(__file__).resolve().parents[2]


def _plan(potency, spec_name="keynote407_chemotherapy.yaml"):
    spec = load_trial_spec(REPO_ROOT / "examples/calibration" / spec_name)
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


def test_tki_potency_scales_the_maximal_growth_inhibition_up_to_the_cap():
    from immunotwin.trials.therapy_map import TKI_INHIBITION_CAP

    plan, params, model = _plan({"sunitinib": 1.2}, "checkmate214_sunitinib.yaml")
    typical = params[:, model.parameter_index("tki_growth_inhibition_max")]
    np.testing.assert_allclose(plan.parameter_values["tki_growth_inhibition_max"], 1.2 * typical)
    capped, _, _ = _plan({"sunitinib": 10.0}, "checkmate214_sunitinib.yaml")
    assert (capped.parameter_values["tki_growth_inhibition_max"] == TKI_INHIBITION_CAP).all()
    other, _, _ = _plan({"sorafenib": 2.0}, "checkmate214_sunitinib.yaml")
    assert "tki_growth_inhibition_max" not in other.parameter_values


def test_antibody_potency_scales_its_fc_effector_maxima():
    from immunotwin.trials.therapy_map import ANTIBODY_EFFECTOR_MAXIMA

    plan, params, model = _plan({"rituximab": 0.5}, "mclaughlin1998_rituximab.yaml")
    for name in ANTIBODY_EFFECTOR_MAXIMA:
        typical = params[:, model.parameter_index(name)]
        np.testing.assert_allclose(plan.parameter_values[name], 0.5 * typical)
    plain, _, _ = _plan(None, "mclaughlin1998_rituximab.yaml")
    assert not set(ANTIBODY_EFFECTOR_MAXIMA) & set(plain.parameter_values)


def test_cell_product_potency_scales_kill_and_expansion_per_cell():
    plan, params, model = _plan({"tisagenlecleucel": 0.4}, "juliet_tisagenlecleucel.yaml")
    for name in ("cart_kill_rate", "cart_expansion_rate"):
        typical = params[:, model.parameter_index(name)]
        np.testing.assert_allclose(plan.parameter_values[name], 0.4 * typical)
    other, _, _ = _plan({"axicabtagene_ciloleucel": 0.4}, "juliet_tisagenlecleucel.yaml")
    assert not {"cart_kill_rate", "cart_expansion_rate"} & set(other.parameter_values)


def test_tumour_hazard_multiplier_scales_only_its_tumour_type():
    pset = ParameterSet.identity().with_values({"hazard:melanoma": 0.5})
    assert pset.tumour_hazard_multiplier == {"melanoma": 0.5}
    assert pset.hyper_parameters()["hazard:melanoma"] == 0.5
    base = pset.tumour_hazard_per_day
    assert pset.survival_link("melanoma").tumour_hazard_per_day == pytest.approx(0.5 * base)
    assert pset.survival_link("nsclc").tumour_hazard_per_day == pytest.approx(base)
    assert pset.survival_link().tumour_hazard_per_day == pytest.approx(base)


def test_a_lower_tumour_hazard_lengthens_survival_of_that_type_only():
    from immunotwin.trials.engine import run_trial

    spec = load_trial_spec(REPO_ROOT / "examples/calibration/keynote006_pembrolizumab.yaml")
    spec = spec.model_copy(update={"patients_per_arm": 40, "follow_up_months": 36})
    shipped = ParameterSet.identity()
    longer = shipped.with_values({"hazard:melanoma": 0.3})
    other = shipped.with_values({"hazard:nsclc": 0.3})
    os_of = {
        name: run_trial(spec, calibration=p).arms[0].patients["os_months"].to_numpy()
        for name, p in (("base", shipped), ("longer", longer), ("other", other))
    }
    np.testing.assert_array_equal(os_of["other"], os_of["base"])
    assert (os_of["longer"] >= os_of["base"] - 1e-9).all()
    assert os_of["longer"].mean() > os_of["base"].mean()


def test_an_unknown_tumour_type_in_the_hazard_multipliers_is_refused():
    with pytest.raises(
        ValueError, match="unknown tumour type.*melanomaa.*immunotwin catalog tumors"
    ):
        ParameterSet.model_validate(
            {"version": "x", "tumour_hazard_multiplier": {"melanomaa": 0.5}}
        )
