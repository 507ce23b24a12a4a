import numpy as np
import pytest

from immunotwin.errors import InputError
from immunotwin.outcomes.visits import visit_days


def test_default_schedule_q6w_to_week48_then_q12w():
    days = visit_days(3 * 365.25)
    assert days[:8].tolist() == [42, 84, 126, 168, 210, 252, 294, 336]
    assert np.all(np.diff(days[7:]) == 84)
    assert days[-1] <= 3 * 365.25 < days[-1] + 84


def test_follow_up_shorter_than_first_visit_gives_no_visits():
    assert visit_days(41).size == 0
    assert visit_days(42).tolist() == [42.0]


def test_override_and_baseline():
    days = visit_days(
        200, every_days_early=56, until_day=112, every_days_late=28, include_baseline=True
    )
    assert days.tolist() == [0, 56, 112, 140, 168, 196]


def test_bad_interval_raises_with_fix():
    with pytest.raises(InputError, match="every_days_early"):
        visit_days(100, every_days_early=0)
