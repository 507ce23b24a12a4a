import json

import numpy as np
import pytest
from typer.testing import CliRunner

from immunotwin.errors import SpecError
from immunotwin.trials.spec import TrialSpec
from immunotwin.twin.build import build_twin
from immunotwin.twin.patient import read_patient
from immunotwin.twin.regimens import Regimen, packaged_regimens

SPEC = {
    "name": "seam",
    "tumor_type": "nsclc",
    "patients_per_arm": 12,
    "seed": 4,
    "follow_up_months": 12,
    "arms": [
        {
            "name": "pembro",
            "regimen": [{"drug": "pembrolizumab", "dose": "200 mg", "every": "3 weeks"}],
        }
    ],
}


def test_run_trial_with_supplied_patients_reproduces_sampled_run():
    from immunotwin.population.calibration_io import shipped_parameter_set
    from immunotwin.population.catalog import load_tumor_catalog
    from immunotwin.trials.engine import arm_patients, presenting_parameters, run_trial

    spec = TrialSpec.model_validate(SPEC)
    tumour = load_tumor_catalog().get("nsclc")
    patients = arm_patients(spec, 0, tumour)
    params = presenting_parameters(spec, patients, tumour, shipped_parameter_set())
    sampled = run_trial(spec).arms[0].patients
    supplied = run_trial(spec, patients=patients, parameters=params).arms[0].patients
    assert sampled.equals(supplied)
    with pytest.raises(SpecError, match="patients_per_arm"):
        run_trial(spec, patients=patients.iloc[:5], parameters=params[:5])


@pytest.fixture(scope="module")
def her2(examples_dir):
    return read_patient(examples_dir / "her2_breast.json")


def _two():
    table = {r.key: r for r in packaged_regimens()}
    return (table["her2_trastuzumab_paclitaxel"], table["her2_trastuzumab_pembrolizumab"])


def test_twin_is_deterministic_and_complete(her2):
    kw = dict(n=10, seed=3, regimens=_two(), explain_ranking=False)
    a, b = build_twin(her2, **kw), build_twin(her2, **kw)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    row = a["ranking"][0]
    for key in (
        "p_response",
        "median_pfs_months",
        "pfs_interval80_months",
        "median_os_months",
        "p_grade3plus_irae",
        "expected_cost_usd",
        "expected_qalys",
        "icer_vs_soc",
    ):
        assert key in row
    assert a["standard_of_care"] == "her2_trastuzumab_paclitaxel"
    assert a["forecast_without_response_model"] is not None
    assert a["response_model"]["reference_regimen"] == "reference_anti_pd1"
    assert a["disclaimer"].lower().startswith("for research use, not for clinical decisions")
    values = [r["expected_qalys"] for r in a["ranking"]]
    assert values == sorted(values, reverse=True)


def test_cli_writes_json_and_html(her2, examples_dir, tmp_path):
    import typer

    from immunotwin.twin.cli import twin

    regimens = tmp_path / "r.yaml"
    regimens.write_text(
        "- key: trastuzumab\n  name: trastuzumab weekly\n  role: standard_of_care\n"
        "  items: [{drug: trastuzumab, dose: 4 mg/kg}, "
        "{drug: trastuzumab, dose: 2 mg/kg, every: 1 week, start: day 7}]\n"
    )
    app = typer.Typer()
    app.command("twin")(twin)
    app.command("other")(lambda: None)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "twin",
            str(examples_dir / "her2_breast.json"),
            "--out",
            str(out),
            "--ensemble",
            "10",
            "--regimens",
            str(regimens),
            "--no-explain",
            "--rank-by",
            "p_response",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "twin.json").read_text())
    assert data["rank_by"] == "p_response" and data["ranking"][0]["key"] == "trastuzumab"
    page = (out / "twin.html").read_text()
    assert "For research use, not for clinical decisions" in page and "Imputed inputs" in page
    assert not list(out.glob(".*.tmp"))
    bad = CliRunner().invoke(app, ["twin", str(tmp_path / "none.json"), "--out", str(out)])
    assert bad.exit_code == 2 and "not found" in bad.output


def test_no_simulable_regimen_is_reported_not_raised(examples_dir):
    p = read_patient(examples_dir / "dlbcl_after_two_lines.json")
    # osimertinib (an EGFR TKI) has no mechanism in the model: refused per regimen, not raised
    egfr_tki = Regimen(
        key="osimertinib_alone",
        name="osimertinib 80 mg daily",
        tumors=("dlbcl",),
        items=({"drug": "osimertinib", "dose": "80 mg", "every": "1 day"},),
    )
    out = build_twin(p, n=8, seed=0, regimens=(egfr_tki,), explain_ranking=False)
    assert out["ranking"] == []
    assert any("no simulable regimen" in n for n in out["notes"])
    assert np.isfinite(out["ensemble_size"])
