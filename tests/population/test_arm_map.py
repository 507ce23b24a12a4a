"""The calibration arm map and its specs: every trials.csv row is accounted for."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from immunotwin.population.calibration_io import read_arm_map, read_targets
from immunotwin.population.validation import JOIN_KEYS, calibration_arms
from immunotwin.therapies.catalog import load_drug_catalog
from immunotwin.trials.load import load_trial_spec

REPO_ROOT = Path(__file__).resolve().parents[2]

SIMULATED_CLASSES = {
    "checkpoint_inhibitor",
    "chemotherapy",
    "cancer_vaccine",
    "oncolytic_virus",
    "targeted",
    "targeted_drug",
    "targeted_antibody",
    "combination",
    "supportive",
    "car_t",
    "til",
    "tcr_t",
    "t_cell_engager",
    "cytokine",
    "radiotherapy",
}
"""Catalogue drug classes of the calibration-arm specs (issue 6: vaccines, oncolytic virus,
VEGFR-TKIs, bevacizumab, placebo, cell therapies, CD3 engagers; cytokines; radiotherapy)."""
SIMULATED_THERAPY_CLASSES = SIMULATED_CLASSES | {
    "adoptive_cell_therapy",
    "monoclonal_antibody",
    "radiotherapy",
}
"""trials.csv therapy classes of the simulated arms (monoclonal_antibody: TOWER blinatumomab)."""


@pytest.fixture(scope="module")
def arm_map() -> pd.DataFrame:
    return read_arm_map()


def test_every_trials_row_is_mapped_once(arm_map, trials_csv):
    targets = read_targets(trials_csv)
    keys = list(JOIN_KEYS)
    assert len(arm_map) == len(targets)
    merged = targets[keys].merge(arm_map[keys], on=keys, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert not arm_map.duplicated(keys).any()


def test_join_with_targets_gives_one_published_row_per_spec(arm_map, trials_csv):
    arms = calibration_arms(arm_map, read_targets(trials_csv))
    assert len(arms) == (arm_map["status"] == "simulated").sum() >= 40
    assert set(arms["therapy_class"]) <= SIMULATED_THERAPY_CLASSES


def test_not_simulable_rows_say_why(arm_map):
    rest = arm_map[arm_map["status"] != "simulated"]
    assert set(rest["status"]) == {"not_simulable"}
    assert (rest["note"].str.len() > 20).all()
    assert (rest["spec"] == "").all()


def test_specs_exist_validate_and_use_simulated_drug_classes(arm_map):
    catalog = load_drug_catalog()
    for _, row in arm_map[arm_map["status"] == "simulated"].iterrows():
        spec = load_trial_spec(REPO_ROOT / row["spec"])
        assert len(spec.arms) == 1 and spec.arms[0].name == row["arm"], row["spec"]
        for item in spec.arms[0].regimen:
            assert catalog.get(item.drug).drug_class in SIMULATED_CLASSES, (row["spec"], item)


def test_hazard_ratio_partners_see_the_same_patients(arm_map):
    paired = arm_map[arm_map["hr_control_spec"] != ""]
    assert len(paired) >= 12
    for _, row in paired.iterrows():
        a = yaml.safe_load((REPO_ROOT / row["spec"]).read_text())
        b = yaml.safe_load((REPO_ROOT / row["hr_control_spec"]).read_text())
        for key in ("tumor_type", "seed", "population", "follow_up_months"):
            assert a.get(key) == b.get(key), (row["spec"], key)


def test_arms_of_one_trial_scan_on_one_schedule(arm_map):
    """A trial's arms are scanned alike (its protocol), so their PFS and ORR compare."""
    simulated = arm_map[arm_map["status"] == "simulated"]
    schedules = simulated.assign(
        schedule=[
            load_trial_spec(REPO_ROOT / spec).visit_schedule.model_dump_json()
            for spec in simulated["spec"]
        ]
    )
    per_trial = schedules.groupby("trial_id")["schedule"].nunique()
    assert (per_trial == 1).all(), per_trial[per_trial > 1]
    declared = sum(
        "visit_schedule" in yaml.safe_load((REPO_ROOT / s).read_text()) for s in simulated["spec"]
    )
    assert declared >= 45  # the arms of the 28 trials whose schedule is known


@pytest.mark.parametrize(
    ("spec", "line"),
    [
        ("examples/calibration/keynote024_pembrolizumab.yaml", 1),
        ("examples/calibration/keynote045_pembrolizumab.yaml", 2),
        ("examples/calibration/keynote158_tmb_high_pembrolizumab.yaml", 2),
    ],
)
def test_each_arm_has_the_line_its_patients_are_sampled_at(spec, line):
    from immunotwin.population.fit import arm_line

    assert arm_line(spec, root=REPO_ROOT) == line
