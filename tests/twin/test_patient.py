import json

import pytest

from immunotwin.errors import InputError
from immunotwin.twin.patient import patient_from_dict, read_patient


def test_example_patients_validate(examples_dir):
    files = sorted(examples_dir.glob("*.json"))
    assert len(files) == 5
    kinds = {read_patient(f).tumor_type for f in files}
    assert kinds == {"nsclc", "crc_msi_h", "melanoma", "dlbcl", "her2_breast"}


def test_percent_pdl1_names_field_and_fix():
    with pytest.raises(InputError) as err:
        patient_from_dict({"tumor_type": "nsclc", "biomarkers": {"pdl1_tps": 80}}, "p.json")
    text = str(err.value)
    assert "biomarkers.pdl1_tps" in text and "fraction 0-1" in text and "p.json" in text


def test_unknown_tumour_and_unknown_field():
    with pytest.raises(InputError, match="unknown tumour type 'lung'"):
        patient_from_dict({"tumor_type": "lung"})
    with pytest.raises(InputError, match="tmb"):
        patient_from_dict({"tumor_type": "nsclc", "tmb": 10})


def test_history_rules():
    with pytest.raises(InputError, match="increasing order"):
        patient_from_dict(
            {
                "tumor_type": "nsclc",
                "measurements": [
                    {"date": "2025-02-01", "sld_mm": 50},
                    {"date": "2025-01-01", "sld_mm": 40},
                ],
            }
        )
    with pytest.raises(InputError, match="need dated measurements"):
        patient_from_dict(
            {
                "tumor_type": "nsclc",
                "treatments": [
                    {
                        "start_date": "2025-01-01",
                        "regimen": [{"drug": "docetaxel", "dose": "75 mg/m2"}],
                    }
                ],
            }
        )


def test_file_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_patient(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="invalid JSON") as err:
        read_patient(bad)
    assert err.value.location == "line 1, column 2"


def test_yaml_and_relative_neoantigen_path(tmp_path):
    (tmp_path / "p.yaml").write_text("tumor_type: melanoma\nneoantigens: neo.json\n")
    p = read_patient(tmp_path / "p.yaml")
    assert p.neoantigens == str(tmp_path / "neo.json")
    assert json.loads(p.model_dump_json())["tumor_type"] == "melanoma"


def test_forecast_line_follows_prior_systemic_therapy_when_no_line_is_given():
    from immunotwin.twin.build import forecast_line

    def line_of(**fields):
        return forecast_line(patient_from_dict({"tumor_type": "nsclc", **fields}), 1)

    assert line_of() == 1
    assert line_of(prior_systemic_therapy=True) == 2
    assert line_of(prior_systemic_therapy=False) == 1
    assert line_of(line=3, prior_systemic_therapy=False) == 3
    assert forecast_line(patient_from_dict({"tumor_type": "nsclc"}), 2) == 2
