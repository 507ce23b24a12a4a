"""Therapy families beyond checkpoint antibodies and chemotherapy, run end to end (issue 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from immunotwin.engine import EventKind
from immunotwin.trials.engine import run_trial
from immunotwin.trials.load import load_trial_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _small(name: str, patients: int = 16, months: float = 12.0):
    spec = load_trial_spec(EXAMPLES / name)
    return spec.model_copy(update={"patients_per_arm": patients, "follow_up_months": months})


@pytest.fixture(scope="module")
def immune_model():
    from immunotwin.model.immune import immunotwin_model

    return immunotwin_model()


@pytest.fixture(scope="module")
def pacific():
    return run_trial(_small("pacific_like.yaml"))


def test_radiotherapy_then_durvalumab_runs(pacific):
    rt_pdl1, rt = pacific.arms
    for arm in (rt_pdl1, rt):
        assert (arm.patients["solver_status"] == 0).all()
        assert "radiotherapy" in arm.classes
        fractions = arm.doses[arm.doses["drug"] == "radiotherapy"]
        assert set(fractions["amount"]) == {2.0} and set(fractions["amount_unit"]) == {"Gy"}
    assert "durvalumab" in set(rt_pdl1.doses["drug"]) and "durvalumab" not in set(rt.doses["drug"])
    # 60 Gy in 30 fractions shrinks measurable disease in most patients
    assert (rt.patients["best_pct_change"] < -30).mean() > 0.5


def test_stopped_fractions_do_nothing(immune_model):
    from immunotwin.trials.therapy_map import ArmPlan, radiotherapy_events

    events = radiotherapy_events(immune_model, np.array([0.0, 1.0]), np.full(2, 2.0), None)
    plan = ArmPlan({}, events, None, frozenset(), False)
    params = np.zeros((2, len(immune_model.parameters)))
    kept = plan.events_until(np.array([0.5, 5.0]), params)
    for (day, kind, *_, value), (*_, original) in zip(kept, events, strict=True):
        if day == 0.0 or kind not in (EventKind.TRANSFER, EventKind.SCALE_STATE):
            continue
        neutral = 0.0 if kind == EventKind.TRANSFER else 1.0
        assert value[0] == neutral and value[1] == original[1]


def test_cytokine_arms_run():
    result = run_trial(_small("hd_il2_melanoma_like.yaml", patients=12, months=6.0))
    il2, il2_ifn = result.arms
    for arm in (il2, il2_ifn):
        assert (arm.patients["solver_status"] == 0).all()
        assert "cytokine" in arm.classes
    assert (il2.doses["drug"] == "aldesleukin").sum() <= 12 * 28
    assert "interferon_alfa_2b" in set(il2_ifn.doses["drug"])


def _il2_arm(leak_factor: float):
    from immunotwin.population.calibration import ParameterSet

    spec = load_trial_spec(EXAMPLES / "calibration/atkins1999_aldesleukin.yaml")
    spec = spec.model_copy(update={"patients_per_arm": 12, "follow_up_months": 4.0})
    calibration = ParameterSet.identity().with_values({"endothelial_il2_rate": leak_factor})
    return run_trial(spec, calibration=calibration).arms[0]


def test_il2_doses_are_withheld_during_grade_3_capillary_leak():
    severe, mild = _il2_arm(1.0), _il2_arm(1e-6)
    scheduled = (mild.doses["drug"] == "aldesleukin").groupby(mild.doses["patient_id"]).sum()
    assert (mild.patients["il2_doses_withheld"] == 0).all()  # no leak, every dose given
    assert (mild.patients["worst_grade_capillary_leak"] < 3).all()
    given = (severe.doses["drug"] == "aldesleukin").groupby(severe.doses["patient_id"]).sum()
    withheld = severe.patients.set_index("patient_id")["il2_doses_withheld"]
    np.testing.assert_array_equal(given + withheld.loc[given.index], scheduled.loc[given.index])
    leaky = severe.patients["worst_grade_capillary_leak"] >= 3
    assert leaky.any() and (severe.patients.loc[leaky, "il2_doses_withheld"] > 0).all()


def test_tumour_targeting_antibody_arms_run():
    result = run_trial(_small("her2_trastuzumab_like.yaml", patients=12, months=6.0))
    for arm in result.arms:
        assert (arm.patients["solver_status"] == 0).all()
        assert "targeted_antibody" in arm.classes
    rituximab = run_trial(_small("rituximab_follicular_like.yaml", patients=12, months=6.0))
    arm = rituximab.arms[0]
    assert (arm.patients["solver_status"] == 0).all()
    assert (arm.doses["drug"] == "rituximab").sum() == 12 * 4
