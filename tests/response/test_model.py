from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from immunotwin.errors import InputError
from immunotwin.response import PatternLogisticClassifier, check_cohort
from immunotwin.response.artifact import (
    dumps,
    load_artifact,
    model_from_dict,
    predict_cohort,
    shipped_artifact_path,
    train,
)
from immunotwin.response.features import build_features
from immunotwin.response.hook import responder_agreement, score_virtual_patients
from immunotwin.response.io import read_named_cohort
from immunotwin.response.metrics import (
    auc_with_ci,
    brier_score,
    calibration_slope_intercept,
    paired_auc_difference,
)


@pytest.fixture(scope="module")
def train_small(icb_dir):
    df = read_named_cohort(icb_dir, "Chowell_train").iloc[:400].reset_index(drop=True)
    return build_features(df), df["Response"].to_numpy(float)


def test_estimator_contract(train_small):
    X, y = train_small
    m = PatternLogisticClassifier(C=0.3, optional_groups=("prior_therapy", "pdl1"))
    assert m.fit(X, y) is m
    assert hasattr(m, "submodels_") and hasattr(m, "core_median_")
    assert clone(m).get_params() == m.get_params()
    p = m.predict_proba(X)
    assert p.shape == (len(X), 2) and np.allclose(p.sum(axis=1), 1)
    assert 0.6 < m.score(X, y) < 1.0


def test_bad_hyperparameter_rejected(train_small):
    X, y = train_small
    with pytest.raises(ValueError):
        PatternLogisticClassifier(C=-1).fit(X, y)


def test_missing_optional_feature_uses_smaller_submodel(train_small):
    X, y = train_small
    m = PatternLogisticClassifier(optional_groups=("prior_therapy", "pdl1"), min_patients=30).fit(
        X, y
    )
    Z = X.iloc[:5].copy()
    Z["pdl1_tps_percent"] = 50.0
    Z.loc[Z.index[:2], "prior_systemic_therapy"] = np.nan
    _, contrib, used = m.explain(Z)
    assert used[0] == ("pdl1",) and used[4] == ("prior_therapy", "pdl1")
    assert np.isnan(contrib["prior_systemic_therapy"].iloc[0])


def test_nsclc_only_pdl1_submodel(train_small):
    X, y = train_small
    m = PatternLogisticClassifier(
        optional_groups=("prior_therapy", "pdl1"),
        nsclc_only_groups=("pdl1",),
        pdl1_transform="sqrt",
        min_patients=30,
    ).fit(X, y)
    pdl1_sub = m.submodels_[("prior_therapy", "pdl1")]
    nsclc = (X["type_NSCLC"] == 1) & X["pdl1_tps_percent"].notna()
    assert pdl1_sub["n_train"] == int((nsclc & X["prior_systemic_therapy"].notna()).sum())
    Z = X.iloc[:2].copy()
    Z["pdl1_tps_percent"] = 50.0
    Z["type_NSCLC"] = [1.0, 0.0]
    Z.loc[Z.index[1], [c for c in Z if c.startswith("type_")]] = 0.0
    Z.loc[Z.index[1], "type_Melanoma"] = 1.0
    _, _, used = m.explain(Z)
    assert used == [("prior_therapy", "pdl1"), ("prior_therapy",)]
    # a higher TPS raises the NSCLC probability (the sqrt transform keeps the order)
    hi = Z.iloc[[0]].copy()
    hi["pdl1_tps_percent"] = 90.0
    assert m.predict_proba(hi)[0, 1] > m.predict_proba(Z.iloc[[0]])[0, 1]


def test_explanations_add_up_to_log_odds(train_small):
    X, y = train_small
    m = PatternLogisticClassifier().fit(X, y)
    logit, contrib, used = m.explain(X.iloc[:20])
    for i in range(20):
        sub = m.submodels_[used[i]]
        assert sub["intercept"] + contrib.iloc[i].sum() == pytest.approx(logit[i], abs=1e-9)


PATIENT = {
    "TMB": 2.0,
    "Albumin": 4.0,
    "NLR": 3.0,
    "Age": 65.0,
    "CancerType": "Melanoma",
    "Systemic_therapy_history": 0,
}


def test_higher_tmb_raises_probability():
    art = load_artifact()
    base = PATIENT
    df = check_cohort(pd.DataFrame([base, {**base, "TMB": 40.0}]))
    p = predict_cohort(df, art)["response_probability"].to_numpy()
    assert p[1] > p[0]


def test_prediction_names_the_features_that_took_the_training_median():
    base = PATIENT
    gap = {**base, "Albumin": float("nan"), "Systemic_therapy_history": float("nan")}
    out = predict_cohort(check_cohort(pd.DataFrame([base, gap])), load_artifact())
    assert out["imputed_with_training_median"].tolist() == [
        "none",
        "albumin_g_per_dl;prior_systemic_therapy",
    ]


def test_retrain_reproduces_shipped_artifact_bytes(icb_dir):
    art = train(icb_dir, seed=0)
    assert dumps(art) == shipped_artifact_path().read_text()


def test_shipped_model_auc_chowell_test(icb_dir):
    df = read_named_cohort(icb_dir, "Chowell_test")
    m = model_from_dict(load_artifact()["response_model"])
    assert m.score(build_features(df), df["Response"]) > 0.70


def test_hook_scores_virtual_patients():
    vp = pd.DataFrame(
        {
            "tmb_mut_per_mb": [1.0, 30.0, np.nan],
            "pdl1_tps": [0.0, 0.8, np.nan],
            "albumin_g_per_l": [35.0, 42.0, 40.0],
            "nlr": [8.0, 2.0, 3.0],
            "age_years": [70, 60, 55],
            "tumor_type": ["nsclc", "nsclc", "melanoma"],
        }
    )
    p = score_virtual_patients(vp)
    assert p.shape == (3,) and np.all((p > 0) & (p < 1)) and p[1] > p[0]
    with pytest.raises(InputError):
        score_virtual_patients(vp.drop(columns=["tumor_type"]))


def test_responder_agreement_on_a_virtual_arm():
    vp = pd.DataFrame(
        {
            "tmb_mut_per_mb": [1.0, 2.0, 30.0, 40.0],
            "pdl1_tps": [0.0, 0.01, 0.8, 0.9],
            "albumin_g_per_l": [35.0, 36.0, 42.0, 43.0],
            "nlr": [8.0, 7.0, 2.0, 2.5],
            "age_years": [70, 72, 60, 58],
            "tumor_type": ["nsclc"] * 4,
            "best_overall_response": ["PD", "SD", "PR", "CR"],
        }
    )
    out = responder_agreement(vp)
    assert out["n"] == 4 and out["simulated_orr"] == 0.5
    assert out["auc_predicted_vs_simulated"] == 1.0  # the favourable biomarkers respond
    assert 0 < out["mean_predicted_probability"] < 1
    assert (
        responder_agreement(vp.assign(best_overall_response="PD"))["auc_predicted_vs_simulated"]
        is None
    )
    with pytest.raises(InputError, match="best_overall_response"):
        responder_agreement(vp.drop(columns=["best_overall_response"]))


def test_metrics_known_values():
    y = np.array([0, 0, 1, 1])
    auc, lo, hi = auc_with_ci(y, np.array([0.1, 0.4, 0.35, 0.8]), n_boot=200)
    assert auc == pytest.approx(0.75) and lo <= auc <= hi
    assert brier_score(y, np.array([0, 0, 1, 1.0])) == 0.0
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, 4000)
    a, b = calibration_slope_intercept(rng.uniform(size=4000) < p, p)
    assert abs(a) < 0.15 and abs(b - 1) < 0.15


def test_paired_auc_difference_known_values():
    y = np.array([0, 0, 1, 1, 0, 1])
    good = np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7])  # AUC 1
    bad = np.array([0.9, 0.2, 0.1, 0.8, 0.3, 0.7])  # AUC 4/9
    d, lo, hi = paired_auc_difference(y, good, bad, n_boot=300)
    assert d == pytest.approx(1 - 4 / 9) and lo <= d <= hi
    d0, lo0, hi0 = paired_auc_difference(y, good, good, n_boot=50)
    assert d0 == 0.0 and lo0 == 0.0 and hi0 == 0.0
