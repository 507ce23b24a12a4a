"""Honest validation: model selection grid, per-cohort evaluation against LORIS/TMB/PD-L1.

Protocol (docs/response.md): hyper-parameters are scored by 5-fold CV inside Chowell_train and
by AUC on the model-selection cohorts Chowell_test, MSK2 and Vanguri_NSCLC (probable MSK
duplicates removed). MSK1 is the untouched cohort, evaluated only with the frozen model.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from ..io.atomic import atomic_path
from .artifact import model_from_dict, predict_cohort
from .baselines import loris_nsclc, loris_pan_cancer, pdl1_score, tmb_score
from .features import build_features
from .io import read_named_cohort
from .metrics import (
    auc_with_ci,
    brier_score,
    calibration_slope_intercept,
    paired_auc_difference,
    reliability_curve,
)
from .model import PatternLogisticClassifier
from .survival import c_index

SELECTION_COHORTS = ("Chowell_test", "MSK2", "Vanguri_NSCLC")
HOLDOUT_COHORT = "MSK1"
GRID_GROUPS: tuple[tuple[str, ...], ...] = (
    ("prior_therapy", "pdl1"),
    ("prior_therapy", "pdl1", "drug"),
    ("prior_therapy", "pdl1", "fcna"),
)
GRID_C = (0.1, 0.3, 1.0)
GRID_TMB = ("linear", "log")
GRID_PDL1 = ("linear", "sqrt")
GRID_NSCLC_ONLY: tuple[tuple[str, ...], ...] = ((), ("pdl1",))


def select_model(data_dir: str | Path, seed: int = 0) -> pd.DataFrame:
    """Score every grid point: CV AUC in Chowell_train and AUC on each selection cohort.

    The holdout cohort (MSK1) is not read. Rows sorted by mean selection-cohort AUC.
    """
    train = read_named_cohort(data_dir, "Chowell_train")
    X, y = build_features(train), train["Response"].to_numpy(float)
    cohorts = {k: read_named_cohort(data_dir, k) for k in SELECTION_COHORTS}
    rows = []
    grid = itertools.product(GRID_GROUPS, GRID_C, GRID_TMB, GRID_PDL1, GRID_NSCLC_ONLY)
    for groups, C, tmb, pdl1, only in grid:
        params = {
            "C": C,
            "optional_groups": groups,
            "tmb_transform": tmb,
            "pdl1_transform": pdl1,
            "nsclc_only_groups": only,
        }
        folds = StratifiedKFold(5, shuffle=True, random_state=seed)
        cv = [
            PatternLogisticClassifier(**params).fit(X.iloc[a], y[a]).score(X.iloc[b], y[b])
            for a, b in folds.split(X, y)
        ]
        model = PatternLogisticClassifier(**params).fit(X, y)
        row = {
            "optional_groups": "+".join(groups),
            "C": C,
            "tmb_transform": tmb,
            "pdl1_transform": pdl1,
            "pdl1_nsclc_only": bool(only),
            "cv5_auc_train": float(np.mean(cv)),
        }
        for name, df in cohorts.items():
            row[f"auc_{name}"] = model.score(build_features(df), df["Response"].to_numpy(float))
        row["auc_selection_mean"] = float(np.mean([row[f"auc_{k}"] for k in SELECTION_COHORTS]))
        rows.append(row)
    return (
        pd.DataFrame(rows)
        .sort_values("auc_selection_mean", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def evaluate(df: pd.DataFrame, artifact: dict, n_boot: int = 1000, seed: int = 0) -> dict:
    """AUC (bootstrap 95 % CI) of immunotwin, LORIS, NSCLC-LORIS, TMB, PD-L1; calibration; C.

    Every score is evaluated on the patients for whom it is defined (n given), and next to it
    immunotwin's AUC on exactly those patients (``immunotwin_auc_same_patients``) and the paired
    difference immunotwin - score with its paired bootstrap 95 % CI (``immunotwin_minus_this``).
    """
    pred = predict_cohort(df, artifact)
    y = df["Response"].to_numpy(float) if "Response" in df else None
    scores = {
        "immunotwin": pred["response_probability"].to_numpy(),
        "loris_pan_cancer": loris_pan_cancer(df),
        "loris_nsclc": loris_nsclc(df),
        "tmb": tmb_score(df),
        "pdl1": pdl1_score(df),
    }
    out: dict = {"n_patients": len(df)}
    if y is not None and len(np.unique(y[~np.isnan(y)])) == 2:
        out["response_rate"] = float(np.nanmean(y))
        out["auc"] = {}
        for name, s in scores.items():
            ok = ~np.isnan(s) & ~np.isnan(y)
            if ok.sum() >= 10 and len(np.unique(y[ok])) == 2:
                auc, lo, hi = auc_with_ci(y[ok], s[ok], n_boot=n_boot, seed=seed)
                out["auc"][name] = {
                    "auc": auc,
                    "ci95": [lo, hi],
                    "n": int(ok.sum()),
                    "immunotwin_auc_same_patients": _auc(y[ok], scores["immunotwin"][ok]),
                }
                if name != "immunotwin":
                    d, dlo, dhi = paired_auc_difference(
                        y[ok], scores["immunotwin"][ok], s[ok], n_boot=n_boot, seed=seed
                    )
                    out["auc"][name]["immunotwin_minus_this"] = {"diff": d, "ci95": [dlo, dhi]}
        p = scores["immunotwin"]
        ok = ~np.isnan(y)
        a, b = calibration_slope_intercept(y[ok], p[ok])
        out["calibration"] = {
            "brier": brier_score(y[ok], p[ok]),
            "brier_loris_pan_cancer": _brier_ok(y, scores["loris_pan_cancer"]),
            "mean_predicted": float(p[ok].mean()),
            "intercept": a,
            "slope": b,
            "reliability": reliability_curve(y[ok], p[ok]),
        }
    out["c_index"] = {}
    for end in ("OS", "PFS"):
        t, e = f"{end}_Months", f"{end}_Event"
        if t in df and e in df and df[[t, e]].notna().all(axis=1).sum() > 20:
            risk = pred[f"{end.lower()}_risk_log_hr"].to_numpy()
            out["c_index"][end] = {
                "immunotwin_cox": c_index(df[t], df[e], risk),
                "loris_pan_cancer": c_index(df[t], df[e], -scores["loris_pan_cancer"]),
                "n": int(df[[t, e]].notna().all(axis=1).sum()),
            }
    return out


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def _brier_ok(y: np.ndarray, p: np.ndarray) -> float | None:
    ok = ~np.isnan(y) & ~np.isnan(p)
    return brier_score(y[ok], p[ok]) if ok.any() else None


def full_report(data_dir: str | Path, artifact: dict, n_boot: int = 1000, seed: int = 0) -> dict:
    """Evaluate the frozen artifact on every ICB cohort; MSK1 reported as the holdout."""
    report: dict = {"selection": {}, "holdout": {}}
    for name in ("Chowell_train",) + SELECTION_COHORTS:
        report["selection"][name] = evaluate(
            read_named_cohort(data_dir, name), artifact, n_boot=n_boot, seed=seed
        )
    report["holdout"][HOLDOUT_COHORT] = evaluate(
        read_named_cohort(data_dir, HOLDOUT_COHORT), artifact, n_boot=n_boot, seed=seed
    )
    return report


def plot_calibration(data_dir: str | Path, artifact: dict, out_png: str | Path) -> None:
    """Reliability curves (quintiles) of immunotwin on each ICB validation cohort, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model_from_dict(artifact["response_model"])  # fail early on a bad artifact
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect")
    for name in SELECTION_COHORTS + (HOLDOUT_COHORT,):
        df = read_named_cohort(data_dir, name)
        p = predict_cohort(df, artifact)["response_probability"].to_numpy()
        bins = reliability_curve(df["Response"].to_numpy(float), p)
        ax.plot(
            [b["mean_predicted"] for b in bins],
            [b["observed_rate"] for b in bins],
            marker="o",
            label=f"{name} (n={len(df)})",
        )
    ax.set_xlabel("predicted response probability (quintile mean)")
    ax.set_ylabel("observed objective response rate")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("immunotwin response model: reliability")
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
