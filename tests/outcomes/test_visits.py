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


def test_first_scan_later_than_the_early_interval():
    """Week 12, then every 6 weeks to week 48, then every 12 (KEYNOTE-006's protocol)."""
    days = visit_days(600, every_days_early=42, until_day=336, every_days_late=84, first_day=84)
    assert days.tolist() == [84, 126, 168, 210, 252, 294, 336, 420, 504, 588]


def test_listed_early_scans_then_the_late_interval():
    """Weeks 6 and 12, then every 9 weeks to week 48, then every 12 (KEYNOTE-189's protocol)."""
    weeks = [6, 12, 21, 30, 39, 48]
    days = visit_days(400, every_days_late=84, early_days=[7 * w for w in weeks])
    assert days.tolist() == [7 * w for w in weeks]
    days = visit_days(600, every_days_late=84, early_days=[7 * w for w in weeks])
    assert days.tolist()[6:] == [420, 504, 588]
    assert visit_days(100, early_days=[42, 84, 147]).tolist() == [42, 84]


@pytest.mark.parametrize("bad", [[], [0, 42], [84, 42], [42, float("nan")]])
def test_bad_early_scans_raise_with_fix(bad):
    with pytest.raises(InputError, match="early_days") as info:
        visit_days(300, early_days=bad)
    assert info.value.fix
