"""Arm-level survival curves for the economic models: Kaplan-Meier plus an exponential tail.

The simulated follow-up ends before the economic horizon, so each Kaplan-Meier curve is
extended beyond the last observed time ``tau`` with a constant hazard fitted to the *last part*
of the follow-up: ``lambda = events / person-time`` in the window
``[tau * (1 - tail_fit_fraction), tau]`` (maximum-likelihood estimate of a piecewise-exponential
hazard on that window), and ``S(t) = S_KM(tau) * exp(-lambda (t - tau))`` for ``t > tau``.
Fitting only the tail (rather than the whole curve) respects the plateaus typical of
immunotherapy (Latimer NR, NICE DSU TSD 14, 2013; Woods B et al., NICE DSU TSD 19, 2017).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from immunotwin.economics._warnings import CurveCrossingWarning, ExtrapolationWarning


@dataclass(frozen=True)
class ExtrapolatedCurve:
    """A survival curve: Kaplan-Meier up to ``last_time_days``, exponential afterwards."""

    km_times_days: NDArray[np.float64]  # distinct event times
    km_survival: NDArray[np.float64]  # S just after each event time
    last_time_days: float
    tail_hazard_per_day: float
    tail_events: int

    def __call__(self, time_days: ArrayLike) -> NDArray[np.float64]:
        """Survival probability at ``time_days`` (right-continuous step, then exponential)."""
        t = np.asarray(time_days, dtype=float)
        idx = np.searchsorted(self.km_times_days, t, side="right")
        s_km = np.concatenate(([1.0], self.km_survival))[idx]
        s_tau = self.km_survival[-1] if self.km_survival.size else 1.0
        beyond = t > self.last_time_days
        tail = s_tau * np.exp(-self.tail_hazard_per_day * (t - self.last_time_days))
        return np.where(beyond, tail, s_km)


def kaplan_meier(
    time_days: ArrayLike, event: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Kaplan-Meier estimate: distinct event times and survival just after each.

    ``event`` is 1 for an event, 0 for censoring; events precede censorings at tied times
    (the usual convention; Kaplan & Meier, JASA 1958;53:457).
    """
    t = np.asarray(time_days, dtype=float)
    e = np.asarray(event, dtype=bool)
    if t.size == 0:
        return np.empty(0), np.empty(0)
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq, first = np.unique(t, return_index=True)
    at_risk = t.size - first
    deaths = np.add.reduceat(e.astype(float), first)
    keep = deaths > 0
    factors = 1.0 - deaths[keep] / at_risk[keep]
    return uniq[keep], np.cumprod(factors)


def fit_tail_hazard(
    time_days: ArrayLike, event: ArrayLike, tail_fit_fraction: float = 1 / 3
) -> tuple[float, int]:
    """Constant hazard (per day) on the last ``tail_fit_fraction`` of follow-up, and its events."""
    t = np.asarray(time_days, dtype=float)
    e = np.asarray(event, dtype=bool)
    if t.size == 0:
        return 0.0, 0
    tau = float(t.max())
    start = tau * (1.0 - tail_fit_fraction)
    exposure = np.clip(t - start, 0.0, None).sum()
    events = int(np.sum(e & (t > start)))
    if exposure <= 0:
        return 0.0, events
    return events / exposure, events


def extrapolated_curve(
    time_days: ArrayLike, event: ArrayLike, *, tail_fit_fraction: float = 1 / 3, label: str = ""
) -> ExtrapolatedCurve:
    """Kaplan-Meier curve of ``(time_days, event)`` with the exponential tail described above.

    Warns (:class:`ExtrapolationWarning`) when the tail window has no event, in which case the
    curve stays flat to the horizon.
    """
    t = np.asarray(time_days, dtype=float)
    times, surv = kaplan_meier(t, event)
    hazard, n_events = fit_tail_hazard(t, event, tail_fit_fraction)
    if t.size and n_events == 0 and (surv.size == 0 or surv[-1] > 0):
        warnings.warn(
            f"{label or 'curve'}: no events in the last {tail_fit_fraction:.0%} of follow-up; "
            "the extrapolated tail is flat (constant survival to the horizon)",
            ExtrapolationWarning,
            stacklevel=2,
        )
    return ExtrapolatedCurve(
        km_times_days=times,
        km_survival=surv,
        last_time_days=float(t.max()) if t.size else 0.0,
        tail_hazard_per_day=hazard,
        tail_events=n_events,
    )


def cap_pfs_at_os(
    grid_days: ArrayLike,
    pfs: ArrayLike,
    os: ArrayLike,
    *,
    label: str = "",
    tolerance: float = 1e-9,
) -> NDArray[np.float64]:
    """PFS curve capped by the OS curve; warns when the two curves cross.

    In a partitioned-survival model the progressed-state occupancy is ``OS(t) - PFS(t)``, which
    is negative where the curves cross (possible with censoring and separate extrapolations).
    Such a crossing is not a crash: it emits :class:`CurveCrossingWarning` with the first
    crossing time, and PFS is set to ``min(PFS, OS)``.
    """
    grid = np.asarray(grid_days, dtype=float)
    p = np.asarray(pfs, dtype=float)
    o = np.asarray(os, dtype=float)
    crossing = p > o + tolerance
    if np.any(crossing):
        first = float(grid[np.argmax(crossing)])
        warnings.warn(
            f"{label or 'arm'}: PFS curve lies above the OS curve from day {first:.0f} "
            f"({first / 30.4375:.1f} months; max excess {np.max(p - o):.3f}); PFS is capped at "
            "OS there. Check the extrapolation (tail_fit_fraction, horizon).",
            CurveCrossingWarning,
            stacklevel=2,
        )
    return np.minimum(p, o)
