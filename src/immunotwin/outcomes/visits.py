"""Tumour-assessment visit schedule.

RECIST is judged only at scheduled assessments, so the schedule shapes every response and
progression date (progression is interval-censored between visits). The default follows the
common immunotherapy-trial pattern named in issue 4 and the model brief §4.2: imaging every
6 weeks to week 48, then every 12 weeks until the end of follow-up.
"""

from __future__ import annotations

import numpy as np

from immunotwin.errors import InputError

__all__ = ["visit_days"]


def visit_days(
    follow_up_days: float,
    every_days_early: float = 42,
    until_day: float = 336,
    every_days_late: float = 84,
    *,
    include_baseline: bool = False,
) -> np.ndarray:
    """Days of scheduled tumour assessments after the start of treatment (day 0).

    Parameters
    ----------
    follow_up_days : last day of follow-up; visits after it are not scheduled (days).
    every_days_early : interval during the early phase (days; default 42 = 6 weeks).
    until_day : last day of the early phase (days; default 336 = week 48, included when it
        falls on the early grid).
    every_days_late : interval after ``until_day`` (days; default 84 = 12 weeks).
    include_baseline : prepend day 0 (the baseline scan).

    Returns
    -------
    numpy.ndarray of float, strictly increasing visit days, all ``<= follow_up_days``.

    Examples
    --------
    >>> visit_days(400).tolist()
    [42.0, 84.0, 126.0, 168.0, 210.0, 252.0, 294.0, 336.0]
    >>> visit_days(520).tolist()[-3:]
    [336.0, 420.0, 504.0]
    """
    for name, value in (
        ("every_days_early", every_days_early),
        ("every_days_late", every_days_late),
    ):
        if not np.isfinite(value) or value <= 0:
            raise InputError(
                f"visit interval must be a positive number of days, got {value!r}",
                source="visit schedule",
                location=name,
                fix="give an interval in days greater than 0, e.g. 42 for every 6 weeks",
            )
    if not np.isfinite(follow_up_days) or follow_up_days < 0:
        raise InputError(
            f"follow-up must be a non-negative number of days, got {follow_up_days!r}",
            source="visit schedule",
            location="follow_up_days",
            fix="pass the trial follow-up in days, e.g. 36 months * 30.4375 = 1095.75",
        )
    if until_day < 0:
        raise InputError(
            f"end of the early phase must be >= 0 days, got {until_day!r}",
            source="visit schedule",
            location="until_day",
            fix="pass the day the early schedule ends, e.g. 336 for week 48",
        )
    early_end = min(until_day, follow_up_days)
    n_early = int(np.floor(early_end / every_days_early + 1e-9))
    early = every_days_early * np.arange(1, n_early + 1, dtype=float)
    last_early = early[-1] if early.size else 0.0
    n_late = int(np.floor((follow_up_days - last_early) / every_days_late + 1e-9))
    late = last_early + every_days_late * np.arange(1, max(n_late, 0) + 1, dtype=float)
    # Late visits only start after the early phase has ended.
    late = late[late > until_day] if until_day < follow_up_days else late[:0]
    days = np.concatenate([early, late])
    if include_baseline:
        days = np.concatenate([[0.0], days])
    return days
