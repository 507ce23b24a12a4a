from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from immunotwin.errors import InputError
from immunotwin.response import check_cohort, loris_nsclc, loris_pan_cancer, read_cohort
from immunotwin.response.io import read_named_cohort


def _patient(**kw):
    base = {
        "TMB": 10.0,
        "Albumin": 4.0,
        "NLR": 3.0,
        "Age": 60.0,
        "CancerType": "NSCLC",
        "Systemic_therapy_history": 0,
    }
    base.update(kw)
    return pd.DataFrame([base])


def test_golden_loris_matches_precomputed_column(icb_dir):
    df = read_cohort(icb_dir / "LORIS_AllData__MSK_nonICB.csv")
    diff = np.abs(loris_pan_cancer(df) - df["LORIS"].to_numpy())
    assert diff.max() < 1e-3  # the MANIFEST: README formula matches within 0.001


@pytest.mark.parametrize("cohort,published", [("Chowell_test", 0.754), ("MSK1", 0.699)])
def test_loris_reproduces_published_auc(icb_dir, cohort, published):
    df = read_named_cohort(icb_dir, cohort)
    assert roc_auc_score(df["Response"], loris_pan_cancer(df)) == pytest.approx(published, abs=6e-4)


def test_nsclc_loris_reproduces_published_vanguri_auc(icb_dir):
    df = read_named_cohort(icb_dir, "Vanguri_NSCLC", drop_overlap=False)
    s = loris_nsclc(df)
    ok = ~np.isnan(s)
    assert roc_auc_score(df["Response"][ok], s[ok]) == pytest.approx(0.768, abs=6e-4)


def test_loris_caps_and_hand_value():
    # S = 0.0371*50 - 0 + 0.5382*4 - 0.033*25 + 0.0049*85 + 0.0008 - 2.0886
    s = 0.0371 * 50 + 0.5382 * 4 - 0.033 * 25 + 0.0049 * 85 + 0.0008 - 2.0886
    df = check_cohort(_patient(TMB=80.0, NLR=40.0, Age=95.0))
    assert loris_pan_cancer(df)[0] == pytest.approx(1 / (1 + np.exp(-s)), rel=1e-12)


def test_gate_names_missing_column():
    with pytest.raises(InputError, match="Albumin"):
        check_cohort(_patient().drop(columns=["Albumin"]), source="x.csv")


def test_gate_catches_albumin_in_g_per_l():
    with pytest.raises(InputError) as err:
        check_cohort(_patient(Albumin=40.0), source="x.csv")
    assert "g/dL" in str(err.value) and "divide" in str(err.value)


def test_gate_catches_pdl1_fraction():
    df = pd.concat([_patient(**{"PDL1_TPS(%)": v}) for v in (0.1, 0.5, 0.9, 0.0, 0.3)])
    with pytest.raises(InputError, match="percent"):
        check_cohort(df.reset_index(drop=True))


def test_gate_rejects_non_binary_and_unknown_type():
    with pytest.raises(InputError, match="Systemic_therapy_history"):
        check_cohort(_patient(Systemic_therapy_history=2))
    with pytest.raises(InputError, match="cancer type"):
        check_cohort(_patient(CancerType="Lung"))


def test_gate_derives_cancer_type_from_one_hot(icb_dir):
    raw = pd.read_csv(icb_dir / "LORIS_AllData__MSK_nonICB.csv").drop(columns=["CancerType"])
    df = check_cohort(raw)
    ref = pd.read_csv(icb_dir / "LORIS_AllData__MSK_nonICB.csv")["CancerType"]
    assert (df["CancerType"] == ref).all()


def test_vanguri_duplicates_dropped(icb_dir):
    assert len(read_named_cohort(icb_dir, "Vanguri_NSCLC")) == 246 - 68
