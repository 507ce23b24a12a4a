"""Discounting of costs and health outcomes (pure numpy).

Two conventions, both with an *annual* rate ``r`` (3 %/year = 0.03):

``"continuous"``
    A value at time ``t`` years is worth ``(1 + r) ** -t`` today; a stream is integrated
    exactly: ``D(t) = integral_0^t (1+r)^-s ds = (1 - (1+r)^-t) / ln(1+r)``.
``"annual"``
    Per-cycle discounting with one-year cycles: everything within year ``k`` (``k = 0, 1, ...``)
    is discounted by ``(1 + r) ** -k`` (year 0 undiscounted), as in spreadsheet cohort models.

Times are in days; a year is 365.25 days. Reference: Drummond MF et al., *Methods for the
Economic Evaluation of Health Care Programmes*, 4th ed., OUP 2015, ch. 4.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = 30.4375
DAYS_PER_WEEK = 7.0

Method = Literal["continuous", "annual"]


def discount_factor(
    time_days: ArrayLike, rate_per_year: float, method: Method = "continuous"
) -> NDArray[np.float64]:
    """Present-value factor of a value occurring at ``time_days`` (dimensionless, <= 1)."""
    years = np.asarray(time_days, dtype=float) / DAYS_PER_YEAR
    if method == "annual":
        years = np.floor(years)
    elif method != "continuous":
        raise ValueError(f"unknown discounting method {method!r}")
    return np.power(1.0 + rate_per_year, -years)


def discounted_time_years(
    time_days: ArrayLike, rate_per_year: float, method: Method = "continuous"
) -> NDArray[np.float64]:
    """Discounted length, in years, of a unit-rate stream from day 0 to ``time_days``.

    ``D(t) = integral_0^t factor(s) ds``; with ``rate_per_year = 0`` it is ``t / 365.25``.
    Differences ``D(b) - D(a)`` give the discounted duration of any interval.
    """
    years = np.maximum(np.asarray(time_days, dtype=float), 0.0) / DAYS_PER_YEAR
    r = float(rate_per_year)
    if r < 1e-10:  # limit r -> 0 (avoids 0/0 for denormal rates; error < r * t**2)
        return years
    v = 1.0 / (1.0 + r)
    if method == "continuous":
        log_growth = np.log1p(r)
        return -np.expm1(-years * log_growth) / log_growth
    if method == "annual":
        whole = np.floor(years)
        return (1.0 - np.power(v, whole)) / (1.0 - v) + (years - whole) * np.power(v, whole)
    raise ValueError(f"unknown discounting method {method!r}")


def discounted_interval_years(
    start_days: ArrayLike,
    end_days: ArrayLike,
    rate_per_year: float,
    method: Method = "continuous",
) -> NDArray[np.float64]:
    """Discounted duration (years) of the intervals ``[start_days, end_days]`` (0 if reversed)."""
    start = np.asarray(start_days, dtype=float)
    end = np.maximum(np.asarray(end_days, dtype=float), start)
    return discounted_time_years(end, rate_per_year, method) - discounted_time_years(
        start, rate_per_year, method
    )


def discounted_piecewise_constant(
    breakpoints_days: ArrayLike,
    values_per_year: ArrayLike,
    rate_per_year: float,
    method: Method = "continuous",
) -> float:
    """Discounted total of a piecewise-constant stream.

    ``values_per_year[i]`` (e.g. a utility, or cost per year) applies on
    ``[breakpoints_days[i], breakpoints_days[i+1])``; ``len(breakpoints) == len(values) + 1``.
    Used for QALYs of a utility profile: utility x discounted years in each piece.
    """
    edges = np.asarray(breakpoints_days, dtype=float)
    values = np.asarray(values_per_year, dtype=float)
    if edges.ndim != 1 or values.shape != (edges.size - 1,):
        raise ValueError("need one value per interval: len(breakpoints) == len(values) + 1")
    durations = discounted_interval_years(edges[:-1], edges[1:], rate_per_year, method)
    return float(np.sum(values * durations))
