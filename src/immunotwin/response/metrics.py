"""Discrimination and calibration metrics with bootstrap confidence intervals (pure numerics)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def _bootstrap_ci(
    y: np.ndarray, statistic, n_boot: int, seed: int, level: float
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``statistic(indices)``: patients resampled with replacement;
    resamples with one outcome class only are skipped (AUC undefined)."""
    rng = np.random.default_rng(seed)
    boots = []
    n = len(y)
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        if y[idx].min() == y[idx].max():
            continue
        boots.append(statistic(idx))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(boots, [alpha, 1.0 - alpha])
    return float(low), float(high)


def auc_with_ci(
    y: np.ndarray, score: np.ndarray, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float, float]:
    """ROC AUC and its percentile bootstrap CI (patients resampled with replacement).

    Rows with a NaN score are dropped. Returns (auc, low, high).
    """
    y = np.asarray(y, float)
    score = np.asarray(score, float)
    keep = ~np.isnan(score) & ~np.isnan(y)
    y, score = y[keep], score[keep]
    auc = float(roc_auc_score(y, score))
    low, high = _bootstrap_ci(y, lambda idx: roc_auc_score(y[idx], score[idx]), n_boot, seed, level)
    return auc, low, high


def paired_auc_difference(
    y: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """AUC(score_a) - AUC(score_b) on the same patients, with a paired percentile bootstrap CI.

    Each resample draws patients with replacement and scores both models on the same draw, so
    the CI accounts for the correlation of two scores on one cohort. Rows where either score
    (or y) is NaN are dropped. Returns (difference, low, high).
    """
    y = np.asarray(y, float)
    a = np.asarray(score_a, float)
    b = np.asarray(score_b, float)
    keep = ~np.isnan(y) & ~np.isnan(a) & ~np.isnan(b)
    y, a, b = y[keep], a[keep], b[keep]
    diff = float(roc_auc_score(y, a) - roc_auc_score(y, b))

    def paired(idx: np.ndarray) -> float:
        return roc_auc_score(y[idx], a[idx]) - roc_auc_score(y[idx], b[idx])

    low, high = _bootstrap_ci(y, paired, n_boot, seed, level)
    return diff, low, high


def brier_score(y: np.ndarray, prob: np.ndarray) -> float:
    """Mean squared difference between predicted probability and the 0/1 outcome."""
    y = np.asarray(y, float)
    prob = np.asarray(prob, float)
    return float(np.mean((prob - y) ** 2))


def reliability_curve(y: np.ndarray, prob: np.ndarray, n_bins: int = 5) -> list[dict[str, float]]:
    """Observed response rate against mean predicted probability in quantile bins.

    Returns one dict per bin: n, mean_predicted, observed_rate.
    """
    y = np.asarray(y, float)
    prob = np.asarray(prob, float)
    order = np.argsort(prob, kind="stable")
    bins = np.array_split(order, n_bins)
    return [
        {
            "n": int(len(b)),
            "mean_predicted": float(prob[b].mean()),
            "observed_rate": float(y[b].mean()),
        }
        for b in bins
        if len(b)
    ]


def calibration_slope_intercept(y: np.ndarray, prob: np.ndarray) -> tuple[float, float]:
    """Logistic recalibration: fit logit(P(y)) = a + b logit(prob); returns (a, b).

    b = 1 and a = 0 for perfect calibration (Cox 1958). Unpenalised Newton iterations.
    """
    y = np.asarray(y, float)
    p = np.clip(np.asarray(prob, float), 1e-6, 1 - 1e-6)
    x = np.log(p / (1 - p))
    A = np.column_stack([np.ones_like(x), x])
    beta = np.zeros(2)
    for _ in range(50):
        mu = 1.0 / (1.0 + np.exp(-A @ beta))
        w = mu * (1 - mu)
        step = np.linalg.solve(A.T @ (A * w[:, None]) + 1e-9 * np.eye(2), A.T @ (y - mu))
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    return float(beta[0]), float(beta[1])
