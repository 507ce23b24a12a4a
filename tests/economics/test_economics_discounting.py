"""Discounting and QALY integration against closed forms computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.integrate import quad

from immunotwin.economics.discounting import (
    DAYS_PER_YEAR,
    discount_factor,
    discounted_interval_years,
    discounted_piecewise_constant,
    discounted_time_years,
)


def test_discount_factor_one_year_at_3_percent():
    assert discount_factor(DAYS_PER_YEAR, 0.03) == pytest.approx(1 / 1.03)
    # annual (per-cycle) convention: everything in year 0 is undiscounted
    assert discount_factor(300.0, 0.03, "annual") == 1.0
    assert discount_factor(1.5 * DAYS_PER_YEAR, 0.03, "annual") == pytest.approx(1 / 1.03)


def test_constant_stream_continuous_closed_form():
    # 1 unit/year for 10 years at 3 %: (1 - 1.03**-10) / ln(1.03) = 8.65753...
    expected = (1 - 1.03**-10) / math.log(1.03)
    assert expected == pytest.approx(8.657526, abs=1e-5)
    assert discounted_time_years(10 * DAYS_PER_YEAR, 0.03) == pytest.approx(expected)


def test_constant_stream_annual_is_annuity_due():
    # sum_{k=0}^{9} 1.03**-k = 8.786109...
    expected = sum(1.03**-k for k in range(10))
    assert expected == pytest.approx(8.786109, abs=1e-5)
    assert discounted_time_years(10 * DAYS_PER_YEAR, 0.03, "annual") == pytest.approx(expected)
    # mid-year: 2.5 years -> 1 + 1/1.03 + 0.5/1.03**2
    assert discounted_time_years(2.5 * DAYS_PER_YEAR, 0.03, "annual") == pytest.approx(
        1 + 1 / 1.03 + 0.5 / 1.03**2
    )


def test_zero_rate_is_plain_time():
    assert discounted_time_years(730.5, 0.0) == pytest.approx(2.0)
    assert discounted_time_years(730.5, 0.0, "annual") == pytest.approx(2.0)


@given(
    t=st.floats(min_value=0.0, max_value=40 * DAYS_PER_YEAR),
    r=st.floats(min_value=0.0, max_value=0.2),
)
def test_continuous_equals_numerical_integral(t, r):
    numeric, _ = quad(lambda s: (1 + r) ** (-s / DAYS_PER_YEAR), 0, t, limit=200)
    assert discounted_time_years(t, r) == pytest.approx(numeric / DAYS_PER_YEAR, rel=1e-7, abs=1e-9)
    assert discounted_time_years(t, r) <= t / DAYS_PER_YEAR + 1e-12


def test_interval_is_difference_and_never_negative():
    a, b = 100.0, 900.0
    assert discounted_interval_years(a, b, 0.05) == pytest.approx(
        discounted_time_years(b, 0.05) - discounted_time_years(a, 0.05)
    )
    assert discounted_interval_years(b, a, 0.05) == 0.0


def test_qalys_piecewise_constant_utilities_by_hand():
    # 1 year progression-free at 0.653, then 2 years progressed at 0.473, 3 % continuous:
    # QALY = 0.653 (1 - v) / ln 1.03 + 0.473 (v - v**3) / ln 1.03, v = 1/1.03  = 1.53526...
    v, ln = 1 / 1.03, math.log(1.03)
    expected = 0.653 * (1 - v) / ln + 0.473 * (v - v**3) / ln
    assert expected == pytest.approx(1.535263, abs=1e-5)
    got = discounted_piecewise_constant(np.array([0, 1, 3]) * DAYS_PER_YEAR, [0.653, 0.473], 0.03)
    assert got == pytest.approx(expected)
    undiscounted = discounted_piecewise_constant(
        np.array([0, 1, 3]) * DAYS_PER_YEAR, [0.653, 0.473], 0.0
    )
    assert undiscounted == pytest.approx(0.653 + 2 * 0.473)


def test_piecewise_shape_mismatch_raises():
    with pytest.raises(ValueError, match="one value per interval"):
        discounted_piecewise_constant([0, 1, 2], [0.5], 0.03)
