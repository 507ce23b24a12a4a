import numpy as np
import pytest

from immunotwin.errors import InputError
from immunotwin.outcomes.measurement import (
    MeasurementNoise,
    measure_sld_mm,
    new_lesion_days,
    true_sld_mm,
    true_spd_mm2,
)

NO_NOISE = MeasurementNoise(cv=0.0, sd_mm=0.0)


class FixedExponential:
    """Stand-in generator whose Exp(1) draws are given (for exact event-time checks)."""

    def __init__(self, draws):
        self.draws = np.asarray(draws, dtype=float)

    def exponential(self, scale, size):
        return np.broadcast_to(self.draws, size).copy()


def test_sld_scales_with_cube_root_of_volume():
    # Model brief §4.1: -30 % SLD <=> -65.7 % volume; +20 % SLD <=> +72.8 % volume.
    sld = true_sld_mm(np.array([[1.0, 0.343, 1.728, 0.0]]), np.array([80.0]))
    np.testing.assert_allclose(sld, [[80.0, 56.0, 96.0, 0.0]])
    spd = true_spd_mm2(np.array([[0.125]]), np.array([400.0]))
    np.testing.assert_allclose(spd, [[100.0]])


def test_small_lesion_rules_without_noise():
    rng = np.random.default_rng(0)
    true = np.array([[40.0, 4.0, 1.9, 0.0, np.nan]])
    measured = measure_sld_mm(true, rng, NO_NOISE)
    # present but < 5 mm -> 5 mm; below 2 mm detection -> 0; eradicated -> 0; NaN kept
    np.testing.assert_array_equal(measured, [[40.0, 5.0, 0.0, 0.0, np.nan]])


def test_noise_moments_and_reproducibility():
    true = np.full(200_000, 60.0)
    a = measure_sld_mm(true, np.random.default_rng(5))
    b = measure_sld_mm(true, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert abs(a.mean() - 60.0) < 0.05
    assert abs(a.std() - np.hypot(0.10 * 60.0, 1.5)) < 0.05


def test_negative_ratio_rejected():
    with pytest.raises(InputError, match="volume ratio"):
        true_sld_mm(np.array([[1.0, -0.1]]), np.array([50.0]))


def test_new_lesion_day_exact_with_constant_and_ramp_hazard():
    days = np.array([0.0, 100.0, 200.0])
    # constant hazard 0.01/day: cumulative hazard 0.5 at day 50
    flat = new_lesion_days(days, np.ones((1, 3)), 0.01, 1.0, FixedExponential([0.5]))
    np.testing.assert_allclose(flat, [50.0])
    # burden doubles by day 100 with kappa = 1: H(100) = 0.01*100*(1+2)/2 = 1.5;
    # H crosses 2.0 in (100, 200] where the hazard is 0.02: 100 + 0.5/0.02 = 125
    ramp = new_lesion_days(days, np.array([[1.0, 2.0, 2.0]]), 0.01, 1.0, FixedExponential([2.0]))
    np.testing.assert_allclose(ramp, [125.0])
    never = new_lesion_days(days, np.ones((1, 3)), 0.01, 1.0, FixedExponential([5.0]))
    assert np.isinf(never[0])


def test_new_lesion_probability_matches_exponential_law():
    days = np.linspace(0, 730, 74)
    n = 20_000
    burden = np.full((n, days.size), 2.0)
    first = new_lesion_days(days, burden, 0.0005, 1.0, np.random.default_rng(3))
    expected = 1 - np.exp(-0.0005 * 2.0 * 730)
    assert abs(np.isfinite(first).mean() - expected) < 0.015


def test_eradicated_tumour_seeds_no_lesions_and_lesions_are_ordered():
    days = np.linspace(0, 500, 11)
    zero = new_lesion_days(days, np.zeros((50, 11)), 1.0, 1.0, np.random.default_rng(1))
    assert np.all(np.isinf(zero))
    many = new_lesion_days(
        days, np.ones((500, 11)), 0.01, 0.5, np.random.default_rng(2), max_lesions=3
    )
    assert many.shape == (500, 3)
    finite = np.isfinite(many).all(axis=1)
    assert np.all(np.diff(many[finite], axis=1) > 0)
