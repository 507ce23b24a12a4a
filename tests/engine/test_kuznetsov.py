"""The Kuznetsov 1994 tumour-immune model against scipy's Radau at rtol 1e-10."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from immunotwin.engine import simulate

P = dict(s=1.3e4, p=0.1245, g=2.019e7, m=3.422e-10, d=0.0412, a=0.18, b=2e-9, n=1.101e-7)


def kuznetsov_rhs(_t, y):
    e, t = y
    return [
        P["s"] + P["p"] * e * t / (P["g"] + t) - P["m"] * e * t - P["d"] * e,
        P["a"] * t * (1 - P["b"] * t) - P["n"] * e * t,
    ]


def test_matches_radau(kuznetsov):
    t_eval = np.linspace(0, 300, 61)
    ref = solve_ivp(
        kuznetsov_rhs, (0, 300), [3.2e5, 5e6], method="Radau", rtol=1e-10, atol=1e-6, t_eval=t_eval
    )
    r = simulate(
        kuznetsov,
        kuznetsov.default_initial_state(),
        kuznetsov.default_parameters(),
        t_eval,
        rtol=1e-9,
        atol=1e-6,
    )
    rel = np.abs(r.states[0] - ref.y.T) / np.abs(ref.y.T)
    assert r.status[0] == 0
    assert rel.max() < 1e-6


def test_rhs_matches_published_equations(kuznetsov):
    y = np.array([4.0e5, 3.0e7])
    np.testing.assert_allclose(
        kuznetsov.rhs(y, kuznetsov.default_parameters()), kuznetsov_rhs(0, y), rtol=1e-13
    )


def test_dormancy_and_escape_depend_on_initial_burden(kuznetsov):
    """The model is bistable: a small tumour is held dormant, a large one escapes."""
    t_eval = np.array([0.0, 2000.0])
    y0 = np.array([[3.2e5, 1e6], [3.2e5, 5e8]])
    r = simulate(kuznetsov, y0, kuznetsov.default_parameters(), t_eval, rtol=1e-8)
    small, large = r.state("tumor_cells")[:, -1]
    assert small < 1e8 < large


def test_generated_jacobian_matches_finite_differences(kuznetsov):
    y = np.array([4.0e5, 3.0e7])
    p = kuznetsov.default_parameters()
    jac = kuznetsov.jacobian(y, p)
    for j in range(2):
        h = 1e-6 * y[j]
        up, down = y.copy(), y.copy()
        up[j] += h
        down[j] -= h
        fd = (kuznetsov.rhs(up, p) - kuznetsov.rhs(down, p)) / (2 * h)
        np.testing.assert_allclose(jac[:, j], fd, rtol=1e-6)
