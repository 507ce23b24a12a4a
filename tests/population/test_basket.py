"""Basket arms: several tumour types in one arm, each patient keeping its own type."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.engine import SolveStatus
from immunotwin.errors import SpecError
from immunotwin.population.basket import (
    enrolled_shares,
    sample_basket_patients,
    tumour_mix,
)
from immunotwin.population.calibration import ParameterSet
from immunotwin.population.virtual_patients import filter_acceptance
from immunotwin.trials.engine import run_trial
from immunotwin.trials.load import validate_trial_spec

MIX = {"sclc": 2.0, "cervical": 1.0, "melanoma": 1.0}


def _spec(**update):
    data = {
        "name": "basket",
        "tumor_type": "basket",
        "tumor_mix": MIX,
        "population": {"line": 2},
        "patients_per_arm": 12,
        "seed": 3,
        "follow_up_months": 6,
        "arms": [
            {
                "name": "pembro",
                "regimen": [{"drug": "pembrolizumab", "dose": "200 mg", "every": "3 weeks"}],
            }
        ],
    }
    return {**data, **update}


TMB_HIGH = validate_trial_spec(_spec(population={"tmb": {"min": 10.0}})).population


def test_without_filters_the_enrolled_mix_is_the_given_mix():
    patients = sample_basket_patients(tumour_mix(MIX), 4000, seed=1)
    shares = patients["tumor_type"].value_counts(normalize=True)
    assert shares["sclc"] == pytest.approx(0.5, abs=0.03)
    assert shares["cervical"] == pytest.approx(0.25, abs=0.03)


def test_a_filter_keeps_each_type_in_proportion_to_its_own_prevalence():
    mix = tumour_mix(MIX)
    shares = enrolled_shares(mix, seed=1, filters=TMB_HIGH)
    passing = np.array(
        [
            filter_acceptance(m, seed=1, filters=TMB_HIGH, stream=k + 1)
            for k, m in enumerate(mix.members)
        ]
    )
    expected = np.array(mix.shares) * passing
    np.testing.assert_allclose(shares, expected / expected.sum())
    patients = sample_basket_patients(mix, 600, seed=1, filters=TMB_HIGH)
    assert (patients["tmb"] >= 10.0).all()
    observed = patients["tumor_type"].value_counts(normalize=True)
    for member, share in zip(mix.members, shares, strict=True):
        assert observed.get(member.key, 0.0) == pytest.approx(share, abs=0.06)


def test_enrolled_shares_are_used_as_given_after_the_filters():
    mix = tumour_mix(MIX, counts="enrolled")
    np.testing.assert_allclose(enrolled_shares(mix, seed=1, filters=TMB_HIGH), [0.5, 0.25, 0.25])
    patients = sample_basket_patients(mix, 800, seed=1, filters=TMB_HIGH)
    assert (patients["tmb"] >= 10.0).all()
    observed = patients["tumor_type"].value_counts(normalize=True)
    assert observed["sclc"] == pytest.approx(0.5, abs=0.05)
    assert observed["melanoma"] == pytest.approx(0.25, abs=0.05)


def test_an_enrolled_type_that_never_passes_the_filters_is_named():
    mix = tumour_mix({"crc_mss": 1.0, "crc_msi_h": 1.0}, counts="enrolled")
    with pytest.raises(SpecError, match="crc_mss"):
        enrolled_shares(mix, seed=1, filters={"msi": "high"})


def test_patient_i_does_not_depend_on_the_arm_size():
    mix = tumour_mix(MIX)
    small = sample_basket_patients(mix, 40, seed=7, filters=TMB_HIGH)
    large = sample_basket_patients(mix, 200, seed=7, filters=TMB_HIGH)
    assert small.equals(large.iloc[:40].reset_index(drop=True))


def test_each_patient_is_drawn_from_its_own_type():
    patients = sample_basket_patients(tumour_mix(MIX), 400, seed=2)
    cervical = patients["tumor_type"] == "cervical"
    assert patients.loc[cervical, "sex_female"].all()
    assert patients.loc[cervical, "pdl1_cps"].notna().all()
    assert patients.loc[~cervical, "sex_female"].mean() < 0.9


def test_each_patient_has_its_own_types_death_hazard():
    types = np.array(["sclc", "cervical", "sclc"])
    link = ParameterSet.identity().with_values({"hazard:sclc": 2.0}).survival_link(types)
    base = ParameterSet.identity().tumour_hazard_per_day
    np.testing.assert_allclose(link.tumour_hazard_per_day[:, 0], [2 * base, base, 2 * base])


@pytest.mark.parametrize(
    ("update", "fragment"),
    [
        ({"tumor_mix": None}, "needs 'tumor_mix'"),
        ({"tumor_type": "sclc"}, "tumor_type must be 'basket'"),
        ({"tumor_mix": {"sclc": 1.0}}, "at least two tumour types"),
        ({"tumor_mix": {"sclc": 1.0, "cervicall": 1.0}}, "unknown tumour type 'cervicall'"),
        ({"tumor_mix": {"sclc": 1.0, "cervical": -1.0}}, "tumor_mix.cervical"),
        ({"tumor_mix": {"sclc": 1.0, "dlbcl": 1.0}}, "mixes response criteria"),
        ({"tumor_type": "sclc", "tumor_mix": None, "tumor_mix_counts": "enrolled"}, "basket arm"),
        ({"tumor_mix_counts": "after"}, "tumor_mix_counts"),
    ],
)
def test_bad_baskets_are_refused_with_the_field(update, fragment):
    with pytest.raises(SpecError, match=fragment.replace("(", r"\(")):
        validate_trial_spec(_spec(**update))


def test_a_basket_trial_runs_and_reports_each_patients_type():
    spec = validate_trial_spec(_spec())
    patients = run_trial(spec).arms[0].patients
    assert len(patients) == 12
    assert set(patients["tumor_type"]) <= set(MIX)
    assert (patients["solver_status"] == int(SolveStatus.OK)).all()


def test_a_basket_run_reports_each_tumour_type(tmp_path):
    """summary.json gives a basket arm's endpoints per tumour type (schema-valid), the
    per-type counts add up to the arm, and report.html shows the table."""
    import json
    from pathlib import Path

    import jsonschema

    from immunotwin.trials.run import run_spec

    spec = validate_trial_spec(_spec(patients_per_arm=16))
    summary = run_spec(spec, tmp_path)
    schema = Path(__file__).resolve().parents[2] / "src/immunotwin/data/schemas/summary.schema.json"
    jsonschema.validate(summary, json.loads(schema.read_text()))
    arm = summary["arms"][0]
    assert set(arm["by_tumor_type"]) <= set(MIX)
    assert sum(row["n"] for row in arm["by_tumor_type"].values()) == arm["n"]
    assert "by tumour type" in (tmp_path / "report.html").read_text()
    # a run streamed in chunks gives the same summary, per-type rows included
    from immunotwin.trials.stream import run_streamed

    streamed = run_streamed(spec, tmp_path / "streamed", chunk_patients=5)
    assert streamed["arms"] == summary["arms"]
