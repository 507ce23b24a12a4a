"""The generated straight-line sparse LU solves W x = b like a dense solver (plain Python)."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.model.sparse_lu import emit_factor, emit_solve, plan_lu


def _generated(n: int, pattern: set[tuple[int, int]]):
    slots = {ij: s for s, ij in enumerate(sorted(pattern))}
    plan = plan_lu(n, pattern)
    namespace: dict = {}
    exec("\n".join(emit_factor(plan, slots) + emit_solve(plan)), namespace)
    return slots, plan, namespace["model_factor"], namespace["model_solve"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_factor_and_solve_match_dense(seed):
    rng = np.random.default_rng(seed)
    n = 12
    pattern = {(i, i) for i in range(n)} | {
        (int(i), int(j)) for i, j in rng.integers(0, n, size=(30, 2))
    }
    slots, plan, factor, solve = _generated(n, pattern)
    jac = np.zeros((n, n))
    jv = np.zeros(len(slots))
    for (i, j), s in slots.items():
        jv[s] = jac[i, j] = rng.normal()
    fac = 7.5
    w, dinv = np.empty(len(plan.slot)), np.empty(n)
    assert factor(jv, fac, w, dinv)
    b = rng.normal(size=n)
    x = np.empty(n)
    solve(w, dinv, b, x)
    np.testing.assert_allclose(x, np.linalg.solve(fac * np.eye(n) - jac, b), rtol=1e-10)


def test_zero_pivot_is_refused():
    slots, plan, factor, _ = _generated(2, {(0, 0), (1, 1)})
    jv = np.array([3.0, 0.0])
    w, dinv = np.empty(len(plan.slot)), np.empty(2)
    assert not factor(jv, 3.0, w, dinv)  # W[0, 0] = fac - J[0, 0] = 0
