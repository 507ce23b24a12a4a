"""immunotwin's response model: pattern-submodel logistic regression.

Missing values are handled by *pattern submodels* (Mercaldo SF & Blume JD, Biostatistics
21:236-252, 2020, doi:10.1093/biostatistics/kxy040): for every combination of optional feature
groups, one L2-penalised logistic regression is fitted on the training patients in whom all of
those groups were measured, using only those features plus the core features. A new patient is
scored by the submodel that matches what was measured for them, so nothing is imputed for the
optional groups. Missing *core* values are replaced by the training median (and reported).
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import Interval, StrOptions

from ..errors import InputError
from .features import CORE_FEATURES, OPTIONAL_GROUPS

_GROUP_NAMES = tuple(OPTIONAL_GROUPS)
_NSCLC_COLUMN = "type_NSCLC"


class PatternLogisticClassifier(ClassifierMixin, BaseEstimator):
    """Logistic response model that predicts with whichever optional features are measured.

    Parameters
    ----------
    C : inverse L2 penalty strength on standardised features (sklearn ``LogisticRegression``).
    optional_groups : names of optional feature groups the model may use (subset of
        ``features.OPTIONAL_GROUPS``: pdl1, prior_therapy, fcna, drug, sex, platelets).
    min_patients : a submodel is fitted only if at least this many training patients have all
        its groups measured; otherwise the pattern falls back to the largest fitted sub-pattern.
    max_iter : iterations of the lbfgs solver.
    tmb_transform : ``"linear"`` (capped TMB, as LORIS) or ``"log"`` (log1p of capped TMB).
    pdl1_transform : ``"linear"`` (TPS in %) or ``"sqrt"`` (square root of TPS in %, which
        spreads the many low values and compresses the 50-100 % plateau).
    nsclc_only_groups : optional groups whose submodels are fitted on, and applied to, NSCLC
        patients only (PD-L1 TPS is validated and routinely measured in NSCLC; in other types
        the same patient falls back to the largest submodel without these groups). The NSCLC
        submodels play the role of NSCLC-LORIS (Chang et al. 2024) inside the pattern scheme.

    Attributes
    ----------
    submodels_ : dict pattern -> dict(features, mean, scale, coef, intercept, n_train).
    core_median_ : training medians of the core features (used for missing core values).
    classes_ : array([0, 1]).
    """

    _parameter_constraints: dict = {
        "C": [Interval(numbers.Real, 0, None, closed="neither")],
        "optional_groups": [tuple, list],
        "min_patients": [Interval(numbers.Integral, 10, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 10, None, closed="left")],
        "tmb_transform": [StrOptions({"linear", "log"})],
        "pdl1_transform": [StrOptions({"linear", "sqrt"})],
        "nsclc_only_groups": [tuple, list],
    }

    def __init__(
        self,
        C: float = 0.1,
        optional_groups: tuple[str, ...] = _GROUP_NAMES,
        min_patients: int = 100,
        max_iter: int = 5000,
        tmb_transform: str = "linear",
        pdl1_transform: str = "linear",
        nsclc_only_groups: tuple[str, ...] = (),
    ) -> None:
        self.C = C
        self.optional_groups = optional_groups
        self.min_patients = min_patients
        self.max_iter = max_iter
        self.tmb_transform = tmb_transform
        self.pdl1_transform = pdl1_transform
        self.nsclc_only_groups = nsclc_only_groups

    # ----------------------------------------------------------------- helpers
    def _check_X(self, X: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise InputError(
                "X must be a DataFrame from features.build_features",
                source="PatternLogisticClassifier",
                fix="call build_features(check_cohort(df)) first",
            )
        need = list(CORE_FEATURES) + [c for g in self.optional_groups for c in OPTIONAL_GROUPS[g]]
        missing = [c for c in need if c not in X.columns]
        if missing:
            raise InputError(
                f"feature columns {missing} are missing",
                source="PatternLogisticClassifier",
                location="X",
                fix="build X with immunotwin.response.features.build_features",
            )
        X = X[need].astype(float).copy()
        if self.tmb_transform == "log":
            X["tmb_capped"] = np.log1p(X["tmb_capped"])
        if self.pdl1_transform == "sqrt" and "pdl1_tps_percent" in X:
            X["pdl1_tps_percent"] = np.sqrt(X["pdl1_tps_percent"])
        return X

    def _nsclc_rows(self, X: pd.DataFrame) -> np.ndarray:
        return (X[_NSCLC_COLUMN] == 1.0).to_numpy()

    def _patterns(self, X: pd.DataFrame) -> list[tuple[str, ...]]:
        """Tuple of measured optional groups for each row."""
        have = {
            g: X[list(OPTIONAL_GROUPS[g])].notna().all(axis=1).to_numpy()
            for g in self.optional_groups
        }
        nsclc = self._nsclc_rows(X)
        only = set(self.nsclc_only_groups)
        return [
            tuple(g for g in self.optional_groups if have[g][i] and (nsclc[i] or g not in only))
            for i in range(len(X))
        ]

    def _resolve(self, pattern: tuple[str, ...]) -> tuple[str, ...]:
        """The fitted pattern used for a requested one (largest fitted subset)."""
        if pattern in self.submodels_:
            return pattern
        best: tuple[str, ...] = ()
        for fitted in self.submodels_:
            if set(fitted) <= set(pattern) and len(fitted) > len(best):
                best = fitted
        return best

    # ----------------------------------------------------------------- API
    def fit(self, X: pd.DataFrame, y: np.ndarray) -> PatternLogisticClassifier:
        """Fit one standardised logistic regression per optional-group pattern; returns self."""
        self._validate_params()
        unknown = (set(self.optional_groups) | set(self.nsclc_only_groups)) - set(_GROUP_NAMES)
        if unknown:
            raise InputError(
                f"unknown optional groups {sorted(unknown)}",
                location="optional_groups",
                fix=f"use a subset of {_GROUP_NAMES}",
            )
        X = self._check_X(X)
        y = np.asarray(y, dtype=float)
        if not np.isin(y, [0.0, 1.0]).all():
            raise InputError(
                "response labels must be 0/1",
                location="y",
                fix="use Response (1 = CR/PR, 0 = SD/PD)",
            )
        self.classes_ = np.array([0, 1])
        core = list(CORE_FEATURES)
        self.core_median_ = {c: float(np.nanmedian(X[c])) for c in core}
        X[core] = X[core].fillna(self.core_median_)
        self.submodels_: dict[tuple[str, ...], dict] = {}
        groups = tuple(self.optional_groups)
        for k in range(len(groups) + 1):
            for pattern in itertools.combinations(groups, k):
                cols = core + [c for g in pattern for c in OPTIONAL_GROUPS[g]]
                rows = X[cols].notna().all(axis=1).to_numpy()
                if set(pattern) & set(self.nsclc_only_groups):
                    rows &= self._nsclc_rows(X)
                if rows.sum() < self.min_patients or len(np.unique(y[rows])) < 2:
                    continue
                Z = X.loc[rows, cols].to_numpy(float)
                mean = Z.mean(axis=0)
                scale = Z.std(axis=0)
                scale[scale == 0] = 1.0
                lr = LogisticRegression(C=self.C, max_iter=self.max_iter)
                lr.fit((Z - mean) / scale, y[rows])
                self.submodels_[pattern] = {
                    "features": cols,
                    "mean": mean,
                    "scale": scale,
                    "coef": lr.coef_[0].copy(),
                    "intercept": float(lr.intercept_[0]),
                    "n_train": int(rows.sum()),
                }
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.array(X.columns, dtype=object)
        return self

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Log-odds of objective response for each row."""
        return self.explain(X)[0]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Columns: P(no response), P(objective response)."""
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where P(response) >= 0.5."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def score(self, X: pd.DataFrame, y: np.ndarray, sample_weight: None = None) -> float:
        """ROC AUC of P(response) against y (ranking is what a response score is for)."""
        return float(roc_auc_score(y, self.predict_proba(X)[:, 1]))

    def explain(self, X: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame, list[tuple[str, ...]]]:
        """Log-odds, per-feature contributions and the pattern used, for each row.

        A contribution is coef_j * (x_j - mean_j) / scale_j of the submodel that scored the row:
        how far that feature moved the log-odds away from the training-average patient of the
        submodel (exact for a linear model: intercept + sum of contributions = log-odds).
        Features not used for a row are NaN.
        """
        X = self._check_X(X)
        core = list(CORE_FEATURES)
        X[core] = X[core].fillna(self.core_median_)
        patterns = self._patterns(X)
        logit = np.empty(len(X))
        contrib = pd.DataFrame(np.nan, index=X.index, columns=X.columns)
        used: list[tuple[str, ...]] = [()] * len(X)
        for pattern in sorted(set(patterns)):
            rows = np.flatnonzero([p == pattern for p in patterns])
            fitted = self._resolve(pattern)
            sub = self.submodels_[fitted]
            Z = (X.iloc[rows][sub["features"]].to_numpy(float) - sub["mean"]) / sub["scale"]
            terms = Z * sub["coef"]
            logit[rows] = sub["intercept"] + terms.sum(axis=1)
            contrib.iloc[rows, [X.columns.get_loc(c) for c in sub["features"]]] = terms
            for r in rows:
                used[r] = fitted
        return logit, contrib, used
