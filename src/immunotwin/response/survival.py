"""Survival-risk models after checkpoint blockade, and predictive versus prognostic signal.

Cox proportional-hazards models (lifelines ``CoxPHFitter``; Cox 1972) on the LORIS core features.
``prognostic_vs_predictive`` fits one Cox model on ICB-treated plus non-ICB patients (MSK_nonICB)
with feature x ICB interaction terms, stratified by cancer type: a main effect is *prognostic*
(it changes survival whatever the treatment); an interaction is *predictive* (it changes
survival differently under ICB). Same design as the LORIS paper's non-ICB control analysis
(Chang et al. 2024, doi:10.1038/s43018-024-00772-7).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.utils import concordance_index

from .features import build_features

SURVIVAL_FEATURES: tuple[str, ...] = (
    "tmb_capped",
    "albumin_g_per_dl",
    "nlr_capped",
    "age_capped",
    "prior_systemic_therapy",
)


def survival_design(df: pd.DataFrame, medians: dict[str, float] | None = None) -> pd.DataFrame:
    """Survival covariates (missing values filled with the given training medians)."""
    X = build_features(df)[list(SURVIVAL_FEATURES)]
    if medians is not None:
        X = X.fillna(medians)
    return X


def fit_cox(
    X: pd.DataFrame, months: np.ndarray, event: np.ndarray, penalizer: float = 0.01
) -> dict:
    """Fit a Cox model; returns a JSON-able dict of features, centring means and coefficients."""
    data = X.copy()
    data["_T"] = np.asarray(months, float)
    data["_E"] = np.asarray(event, float)
    data = data.dropna(subset=["_T", "_E"])
    cph = CoxPHFitter(penalizer=penalizer)
    cph.fit(data, duration_col="_T", event_col="_E")
    return {
        "features": list(X.columns),
        "mean": [float(data[c].mean()) for c in X.columns],
        "coef": [float(cph.params_[c]) for c in X.columns],
        "penalizer": penalizer,
        "n_train": len(data),
        "n_events": int(data["_E"].sum()),
    }


def cox_risk(model: dict, X: pd.DataFrame) -> np.ndarray:
    """Log relative hazard (higher = shorter survival) relative to the training average."""
    Z = X[model["features"]].to_numpy(float) - np.asarray(model["mean"])
    return Z @ np.asarray(model["coef"])


def c_index(months: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C for a risk score (higher risk = earlier event); rows with NaN dropped."""
    months = np.asarray(months, float)
    event = np.asarray(event, float)
    risk = np.asarray(risk, float)
    keep = ~(np.isnan(months) | np.isnan(event) | np.isnan(risk))
    return float(concordance_index(months[keep], -risk[keep], event[keep]))


def prognostic_vs_predictive(
    icb: pd.DataFrame, non_icb: pd.DataFrame, penalizer: float = 0.01
) -> pd.DataFrame:
    """Cox model of OS on ICB + non-ICB patients with feature x ICB interactions.

    Returns one row per feature: prognostic log-HR (main effect, per SD) with its p-value, and
    predictive log-HR (interaction with ICB, per SD) with its p-value. Stratified by cancer type.
    """
    parts = []
    for df, treated in ((icb, 1.0), (non_icb, 0.0)):
        X = survival_design(df)
        X["icb"] = treated
        X["CancerType"] = df["CancerType"].to_numpy()
        X["_T"] = df["OS_Months"].to_numpy(float)
        X["_E"] = df["OS_Event"].to_numpy(float)
        parts.append(X)
    data = pd.concat(parts, ignore_index=True).dropna()
    feats = list(SURVIVAL_FEATURES)
    sd = data[feats].std()
    data[feats] = (data[feats] - data[feats].mean()) / sd
    for f in feats:
        data[f"{f}:icb"] = data[f] * data["icb"]
    cph = CoxPHFitter(penalizer=penalizer)
    cph.fit(data, duration_col="_T", event_col="_E", strata=["CancerType"])
    s = cph.summary
    rows = []
    for f in feats:
        rows.append(
            {
                "feature": f,
                "prognostic_log_hr_per_sd": float(s.loc[f, "coef"]),
                "prognostic_p": float(s.loc[f, "p"]),
                "predictive_log_hr_per_sd": float(s.loc[f"{f}:icb", "coef"]),
                "predictive_p": float(s.loc[f"{f}:icb", "p"]),
            }
        )
    return pd.DataFrame(rows)
