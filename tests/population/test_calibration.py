"""The calibration parameter set, its JSON file and the engine hook that applies it."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.errors import CatalogError, InputError
from immunotwin.population.calibration import (
    MULTIPLIER_GROUPS,
    ParameterSet,
    apply_calibration,
)
from immunotwin.population.calibration_io import (
    read_parameter_set,
    shipped_parameter_set,
    write_parameter_set,
)
from immunotwin.trials.survival_link import SurvivalLink


def test_identity_is_the_uncalibrated_model():
    identity = ParameterSet.identity()
    assert identity.multipliers == {}
    assert identity.survival_link() == SurvivalLink()
    assert identity.new_lesion_rate_per_day == pytest.approx(1 / 1500)


def test_with_values_routes_hazards_and_multipliers():
    p = ParameterSet.identity().with_values(
        {"cd8_kill_rate": 2.0, "tumour_hazard_per_day": 1e-3, "new_lesion_rate_per_day": 2e-3}
    )
    assert p.multipliers == {"cd8_kill_rate": 2.0}
    assert p.survival_link().tumour_hazard_per_day == 1e-3
    assert p.new_lesion_rate_per_day == 2e-3
    assert p.hyper_parameters()["cd8_kill_rate"] == 2.0


def test_with_values_validates_the_copy():
    with pytest.raises(ValueError, match="positive"):
        ParameterSet.identity().with_values({"cd8_kill_rate": 0.0})
    with pytest.raises(ValueError, match="unknown tumour type"):
        ParameterSet.identity().with_values({"hazard:no_such_tumour": 2.0})


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_multipliers_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="positive"):
        ParameterSet(version="x", multipliers={"cd8_kill_rate": bad})


def test_apply_calibration_multiplies_columns_and_groups(model):
    rng = np.random.default_rng(1)
    params = rng.uniform(0.5, 2.0, size=(4, len(model.parameters)))
    p = ParameterSet(version="t", multipliers={"cd8_kill_rate": 3.0, "chemo_kill_tumor": 0.5})
    out = apply_calibration(model, params, p)
    changed = {model.parameter_index("cd8_kill_rate"): 3.0}
    for name in MULTIPLIER_GROUPS["chemo_kill_tumor"]:
        changed[model.parameter_index(name)] = 0.5
    for j in range(params.shape[1]):
        np.testing.assert_allclose(out[:, j], params[:, j] * changed.get(j, 1.0))
    assert not np.shares_memory(out, params)


def test_apply_calibration_refuses_unknown_parameters(model):
    p = ParameterSet(version="t", multipliers={"no_such_parameter": 2.0})
    with pytest.raises(CatalogError, match="re-run `immunotwin calibrate`"):
        apply_calibration(model, np.ones((1, len(model.parameters))), p)


def test_json_round_trip(tmp_path):
    p = ParameterSet(version="v1", seed=3, multipliers={"exhaustion_rate": 0.7})
    path = write_parameter_set(p, tmp_path / "set.json")
    assert read_parameter_set(path) == p


def test_bad_parameter_file_names_the_field(tmp_path):
    path = tmp_path / "set.json"
    path.write_text('{"version": "v", "multipliers": {"cd8_kill_rate": -2}}')
    with pytest.raises(InputError, match="multipliers"):
        read_parameter_set(path)
    with pytest.raises(InputError, match="not found"):
        read_parameter_set(tmp_path / "absent.json")


def test_shipped_set_fits_the_model_and_records_its_fit(model):
    shipped = shipped_parameter_set()
    assert shipped.version != "uncalibrated"
    assert shipped.fitted_to, "the shipped set lists the trials.csv rows it was fitted to"
    assert shipped.patients_per_arm  # seed None = each spec's own seed
    names = set(model.parameter_names)
    for key in shipped.multipliers:
        assert set(MULTIPLIER_GROUPS.get(key, (key,))) <= names
    assert shipped.objective["value"] <= shipped.objective["start_value"]


def test_later_line_patients_carry_the_pretreated_death_hazard():
    p = ParameterSet.identity().with_values(
        {"pretreated_hazard_multiplier": 1.6, "hazard:melanoma": 0.5}
    )
    assert p.hyper_parameters()["pretreated_hazard_multiplier"] == 1.6
    link = p.survival_link("melanoma", pretreated=np.array([False, True]))
    base = p.tumour_hazard_per_day * 0.5
    np.testing.assert_allclose(link.tumour_hazard_per_day[:, 0], [base, 1.6 * base])
    # no line information: the tumour type's hazard alone
    assert p.survival_link("melanoma").tumour_hazard_per_day == base
