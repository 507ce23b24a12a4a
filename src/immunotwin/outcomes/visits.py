"""Tumour-assessment visit schedule.

RECIST is judged only at scheduled assessments, so the schedule shapes every response and
progression date (progression is interval-censored between visits). The default follows the
common immunotherapy-trial pattern named in issue 4 and the model brief §4.2: imaging every
6 weeks to week 48, then every 12 weeks until the end of follow-up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from immunotwin.errors import InputError

__all__ = ["visit_days"]


def visit_days(
    follow_up_days: float,
    every_days_early: float = 42,
    until_day: float = 336,
    every_days_late: float = 84,
    *,
    first_day: float | None = None,
    early_days: Sequence[float] | None = None,
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
    first_day : day of the first assessment (days; default ``every_days_early``), for protocols
        whose first scan differs from the early interval (e.g. week 12, then every 6 weeks).
    early_days : the early scans' days, stated one by one (replaces ``first_day``,
        ``every_days_early`` and ``until_day``), for protocols whose early interval changes
        (e.g. weeks 6, 12, then every 9 weeks to week 48); late visits follow the last.
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
    >>> visit_days(200, first_day=84).tolist()
    [84.0, 126.0, 168.0]
    >>> visit_days(200, early_days=[42, 84, 147], every_days_late=28).tolist()
    [42.0, 84.0, 147.0, 175.0]
    """
    if early_days is not None:
        early_days = _checked_early_days(early_days)
        first_day, until_day = early_days[0], early_days[-1]
    first_day = every_days_early if first_day is None else first_day
    for name, value in (
        ("every_days_early", every_days_early),
        ("every_days_late", every_days_late),
        ("first_day", first_day),
    ):
        if not np.isfinite(value) or value <= 0:
            raise InputError(
                f"{name} must be a positive number of days, got {value!r}",
                source="visit schedule",
                location=name,
                fix="give a number of days greater than 0, e.g. 42 for week 6 or every 6 weeks",
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
    if early_days is not None:
        early = early_days[early_days <= follow_up_days]
    else:
        early_end = min(until_day, follow_up_days)
        n_early = int(np.floor((early_end - first_day) / every_days_early + 1e-9)) + 1
        early = first_day + every_days_early * np.arange(max(n_early, 0), dtype=float)
    last_early = early[-1] if early.size else 0.0
    n_late = int(np.floor((follow_up_days - last_early) / every_days_late + 1e-9))
    late = last_early + every_days_late * np.arange(1, max(n_late, 0) + 1, dtype=float)
    # Late visits only start after the early phase has ended.
    late = late[late > until_day] if until_day < follow_up_days else late[:0]
    days = np.concatenate([early, late])
    if include_baseline:
        days = np.concatenate([[0.0], days])
    return days


def _checked_early_days(early_days: Sequence[float]) -> np.ndarray:
    days = np.asarray(early_days, dtype=float)
    if days.ndim != 1 or days.size == 0 or not np.all(np.isfinite(days)) or days[0] <= 0:
        raise InputError(
            f"early scan days must be positive numbers, got {list(early_days)!r}",
            source="visit schedule",
            location="early_days",
            fix="list the early scans' days after day 0, e.g. [42, 84, 147]",
        )
    if np.any(np.diff(days) <= 0):
        raise InputError(
            f"early scan days must increase, got {days.tolist()!r}",
            source="visit schedule",
            location="early_days",
            fix="list each scan once, in order, e.g. [42, 84, 147]",
        )
    return days
