from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from immunotwin.response.cli import app
from immunotwin.response.io import read_named_cohort
from immunotwin.response.survival import prognostic_vs_predictive

runner = CliRunner()


def test_predict_csv_keeps_id(icb_dir, tmp_path):
    src = pd.read_csv(icb_dir / "LORIS_AllData__MSK2.csv").head(15)
    src.to_csv(tmp_path / "in.csv", index=False)
    res = runner.invoke(
        app, ["predict", str(tmp_path / "in.csv"), "--out", str(tmp_path / "out.csv")]
    )
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out["SAMPLE_ID"]) == list(src["SAMPLE_ID"])
    for col in ("response_probability", "os_risk_log_hr", "pfs_risk_log_hr"):
        assert out[col].notna().all()


def test_predict_single_patient_and_bad_input():
    pat = {
        "TMB": 12,
        "Albumin": 4.1,
        "NLR": 3,
        "Age": 64,
        "CancerType": "NSCLC",
        "PDL1_TPS(%)": 60,
        "Systemic_therapy_history": 0,
    }
    res = runner.invoke(app, ["predict", "--patient", json.dumps(pat)])
    assert res.exit_code == 0, res.output
    assert 0 < json.loads(res.output)["response_probability"] < 1
    res = runner.invoke(app, ["predict", "--patient", json.dumps({**pat, "Albumin": 41})])
    assert res.exit_code == 2 and "g/dL" in res.output


def test_evaluate_command(icb_dir):
    res = runner.invoke(
        app, ["evaluate", str(icb_dir / "LORIS_AllData__MSK2.csv"), "--n-boot", "50"]
    )
    assert res.exit_code == 0, res.output
    assert "loris_pan_cancer" in res.output and "Brier" in res.output


def test_albumin_nlr_prognostic_in_both_arms(icb_dir):
    pvp = prognostic_vs_predictive(
        read_named_cohort(icb_dir, "Chowell_train"), read_named_cohort(icb_dir, "MSK_nonICB")
    ).set_index("feature")
    # low albumin and high NLR shorten survival whatever the treatment (prognostic)
    assert pvp.loc["albumin_g_per_dl", "prognostic_log_hr_per_sd"] < 0
    assert pvp.loc["nlr_capped", "prognostic_log_hr_per_sd"] > 0
    assert pvp.loc["albumin_g_per_dl", "prognostic_p"] < 0.01
