"""Tumour dynamics -> death: a burden-driven hazard plus background mortality (brief §4.3).

h(t) = h_tumour * (B(t)/B(0))^kappa + h_background(age + t), where B is the simulated tumour
burden. This is the brief's "alternative mechanistic link" (hazard proportional to burden):
overall survival follows from the dynamics of each virtual patient rather than from a curve
fitted per arm. Background mortality is Gompertz: h = a*exp(b*age).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class SurvivalLink:
    """Parameters of the death hazard (all rates per day unless stated).

    ``tumour_hazard_per_day``: hazard at baseline burden [assumption: 1/(3 years), calibrated
    to control-arm OS by ``immunotwin calibrate``; a column (n, 1) gives each patient its own,
    as in a basket arm]; ``burden_exponent``: kappa [assumption 1];
    ``gompertz_a_per_year``, ``gompertz_b_per_year``: adult mortality a*exp(b*age), b = 0.085/y
    (Gompertz law of adult mortality) and a set so that annual mortality at age 65 is ~1.5 %
    (approximately the US 2019 period life table; assumption).
    """

    tumour_hazard_per_day: float | np.ndarray = 1.0 / (3 * DAYS_PER_YEAR)
    burden_exponent: float = 1.0
    gompertz_a_per_year: float = 0.015 / float(np.exp(0.085 * 65))
    gompertz_b_per_year: float = 0.085

    def hazard(
        self, days: np.ndarray, burden_ratio: np.ndarray, age_years: np.ndarray
    ) -> np.ndarray:
        """Hazard (per day) on ``days`` for each patient: shape (n_patients, n_days)."""
        ratio = np.nan_to_num(np.maximum(burden_ratio, 0.0), nan=np.inf, posinf=1e12)
        tumour = self.tumour_hazard_per_day * ratio**self.burden_exponent
        age = age_years[:, None] + days[None, :] / DAYS_PER_YEAR
        background = self.gompertz_a_per_year * np.exp(self.gompertz_b_per_year * age)
        return tumour + background / DAYS_PER_YEAR


def death_days(
    link: SurvivalLink,
    days: np.ndarray,
    burden_ratio: np.ndarray,
    age_years: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Day of death per patient (``inf`` if alive at the last grid day).

    Inverse-transform sampling: death when the cumulative hazard (trapezoid on the grid,
    linear in between) first exceeds an Exp(1) draw.
    """
    hazard = link.hazard(days, burden_ratio, age_years)
    steps = np.diff(days)[None, :] * (hazard[:, 1:] + hazard[:, :-1]) / 2.0
    cumulative = np.concatenate([np.zeros((hazard.shape[0], 1)), np.cumsum(steps, axis=1)], axis=1)
    threshold = rng.exponential(1.0, hazard.shape[0])
    out = np.full(hazard.shape[0], np.inf)
    for i in range(hazard.shape[0]):
        k = int(np.searchsorted(cumulative[i], threshold[i]))
        if k == 0:
            out[i] = days[0]
        elif k < days.size:
            c0, c1 = cumulative[i, k - 1], cumulative[i, k]
            out[i] = days[k - 1] + (threshold[i] - c0) / (c1 - c0) * (days[k] - days[k - 1])
    return out
