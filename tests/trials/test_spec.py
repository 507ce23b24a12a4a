"""Trial specs: valid examples load; bad ones raise SpecError naming file, line, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from immunotwin.errors import DoseError, SpecError
from immunotwin.therapies.dose import DoseUnit, parse_dose_text, parse_duration_days
from immunotwin.trials.load import load_trial_spec
from immunotwin.trials.spec import RegimenItem

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOOD = (EXAMPLES / "keynote024_like.yaml").read_text()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_validate(path):
    spec = load_trial_spec(path)
    assert spec.arms


def test_keynote_example_fields():
    spec = load_trial_spec(EXAMPLES / "keynote024_like.yaml")
    assert spec.control_arm == "chemotherapy"
    assert spec.arms[1].regimen[0].dose.unit is DoseUnit.AUC
    assert spec.arms[0].regimen[0].every_days == 21.0
    assert spec.follow_up_days == pytest.approx(36 * 30.4375)


@pytest.mark.parametrize(
    ("old", "new", "line", "fragments"),
    [
        (
            "drug: pembrolizumab",
            "drug: pembrolizumib",
            14,
            ["unknown drug 'pembrolizumib'", "did you mean 'pembrolizumab'"],
        ),
        ("dose: 200 mg,", "dose: 200 mgg,", 14, ["unknown dose unit 'mgg'", "arms[0].regimen[0]"]),
        ("dose: 200 mg,", "dose: -200 mg,", 14, ["cannot read dose", "regimen[0].dose"]),
        ("dose: 200 mg,", "dose: 0 mg,", 14, ["must be positive"]),
        ("dose: 200 mg,", "dose: 200,", 14, ["has no unit"]),
        ("dose: 200 mg,", "dose: 3 mg/m2,", 14, ["not dosed in mg/m2", "use one of: mg, mg/kg"]),
        (
            "every: 3 weeks, max_cycles: 35",
            "every: 3 fortnights, max_cycles: 35",
            14,
            ["cannot read 'every'"],
        ),
        (
            "patients_per_arm: 300",
            "patients_per_arm: many",
            7,
            ["patients_per_arm", "valid integer"],
        ),
        (
            "tumor_type: nsclc",
            "tumor_type: nsclcc",
            3,
            ["unknown tumour type 'nsclcc'", "did you mean 'nsclc'"],
        ),
        ("control_arm: chemotherapy", "control_arm: chemo", 10, ["control_arm 'chemo'"]),
        (
            "follow_up_months: 36",
            "folow_up_months: 36",
            9,
            ["unknown field 'folow_up_months'", "did you mean 'follow_up_months'"],
        ),
        ("name: KEYNOTE-024-like\n", "", None, ["name: required field is missing"]),
        ("  pdl1_tps: {min: 0.50}", "  pdl1_tpz: {min: 0.50}", 4, ["unknown population filter"]),
        (
            "follow_up_months: 36\n",
            "follow_up_months: 36\nvisit_schedule: {weeks: [6, 12, 9]}\n",
            10,
            ["weeks must increase"],
        ),
        (
            "follow_up_months: 36\n",
            "follow_up_months: 36\nvisit_schedule: {weeks: [6, 12], first_week: 6}\n",
            10,
            ["either weeks or first_week"],
        ),
    ],
)
def test_bad_specs_name_the_field(tmp_path, old, new, line, fragments):
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(SpecError) as info:
        load_trial_spec(path)
    text = str(info.value)
    assert str(path) in text
    if line is not None:
        assert f"line {line}" in text
    assert "fix:" in text
    for fragment in fragments:
        assert fragment in text


def test_a_key_with_a_bracket_is_reported_as_an_unknown_field(tmp_path):
    """Fuzz find: a key like 'population:[  line' must not be mistaken for pydantic's own
    location tags (which contain '[') and crash the error report."""
    old = "population:\n  pdl1_tps: {min: 0.50}\n  line: 1\n"
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, "population:[  line: 1\n", 1))
    with pytest.raises(SpecError, match=r"unknown field 'population:\[  line'") as info:
        load_trial_spec(path)
    assert "line 4" in str(info.value)


def test_invalid_yaml_names_line(tmp_path):
    path = _write(tmp_path, "name: x\narms: [\n")
    with pytest.raises(SpecError, match="invalid YAML") as info:
        load_trial_spec(path)
    assert "line" in str(info.value)


def test_missing_file():
    with pytest.raises(SpecError, match="file not found"):
        load_trial_spec("/nonexistent/spec.yaml")


def test_top_level_must_be_mapping(tmp_path):
    with pytest.raises(SpecError, match="expected a mapping"):
        load_trial_spec(_write(tmp_path, "- just\n- a list\n"))


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("200 mg", 200, DoseUnit.MG),
        ("2 mg/kg", 2, DoseUnit.MG_PER_KG),
        ("500 mg/m2", 500, DoseUnit.MG_PER_M2),
        ("AUC 5", 5, DoseUnit.AUC),
        ("600000 IU/kg", 6e5, DoseUnit.IU_PER_KG),
        ("20 MIU/m2", 20, DoseUnit.MIU_PER_M2),
        ("2e6 cells/kg", 2e6, DoseUnit.CELLS_PER_KG),
        ("5e8 cells", 5e8, DoseUnit.CELLS),
        ("60 Gy", 60, DoseUnit.GY),
        ("28 ug/day", 28, DoseUnit.UG_PER_DAY),
    ],
)
def test_dose_parsing(text, value, unit):
    assert parse_dose_text(text) == {"value": value, "unit": unit}


def test_durations():
    assert parse_duration_days("3 weeks") == 21
    assert parse_duration_days("6 months") == pytest.approx(182.625)
    with pytest.raises(DoseError):
        parse_duration_days(21)


def test_regimen_rules():
    with pytest.raises(ValueError, match="needs 'fractions'"):
        RegimenItem(drug="radiotherapy", dose="60 Gy")
    with pytest.raises(ValueError, match="either 'cycles' or 'max_cycles'"):
        RegimenItem(drug="x", dose="1 mg", every="1 week", cycles=2, max_cycles=3)
    assert RegimenItem(drug="radiotherapy", dose="60 Gy", fractions=30).fractions == 30


def test_catalogue_label_regimens_are_valid_regimen_items():
    """Every label regimen shipped in the drug catalogue parses as a trial-spec regimen item."""
    from immunotwin.therapies.catalog import load_drug_catalog

    for drug in load_drug_catalog():
        for regimen in drug.label_regimens:
            for item in regimen.items:
                RegimenItem.model_validate(item)
