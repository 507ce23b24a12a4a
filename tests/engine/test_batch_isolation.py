"""Per-patient statuses, isolation of failures, and bit-identical results across chunkings."""

from __future__ import annotations

import numpy as np

from immunotwin.engine import ProcessExecutor, SolveStatus, simulate


def _population(kuznetsov, n, seed=3):
    rng = np.random.default_rng(seed)
    params = np.tile(kuznetsov.default_parameters(), (n, 1))
    params[:, 5] *= rng.lognormal(0, 0.3, n)  # growth rate a
    params[:, 7] *= rng.lognormal(0, 0.3, n)  # kill rate n
    return params


def test_diverging_patient_is_reported_and_isolated(kuznetsov):
    params = _population(kuznetsov, 3)
    bad = params.copy()
    bad[1, 6] = -1e-3  # negative inverse capacity: super-exponential blow-up in finite time
    t_eval = np.linspace(0, 400, 41)
    y0 = kuznetsov.default_initial_state()
    with_bad = simulate(kuznetsov, y0, bad, t_eval)
    without = simulate(kuznetsov, y0, params[[0, 2]], t_eval)
    assert with_bad.status[1] != SolveStatus.OK
    assert SolveStatus(int(with_bad.status[1])).message
    assert np.isnan(with_bad.states[1, -1]).all()
    assert list(with_bad.status[[0, 2]]) == [SolveStatus.OK, SolveStatus.OK]
    np.testing.assert_array_equal(with_bad.states[[0, 2]], without.states)
    assert with_bad.failures() == [(1, SolveStatus(int(with_bad.status[1])))]


def test_max_steps_status(kuznetsov):
    r = simulate(
        kuznetsov,
        kuznetsov.default_initial_state(),
        kuznetsov.default_parameters(),
        np.array([0.0, 1000.0]),
        max_steps=5,
    )
    assert r.status[0] == SolveStatus.MAX_STEPS


def test_results_do_not_depend_on_chunking_or_executor(kuznetsov):
    params = _population(kuznetsov, 40)
    t_eval = np.linspace(0, 200, 21)
    y0 = kuznetsov.default_initial_state()
    one = simulate(kuznetsov, y0, params, t_eval, chunk_size=40)
    many = simulate(kuznetsov, y0, params, t_eval, chunk_size=7)
    pooled = simulate(kuznetsov, y0, params, t_eval, chunk_size=10, executor=ProcessExecutor(2))
    np.testing.assert_array_equal(one.states, many.states)
    np.testing.assert_array_equal(one.states, pooled.states)
    np.testing.assert_array_equal(one.n_steps, pooled.n_steps)


def test_progress_reports_every_chunk(kuznetsov):
    seen = []
    simulate(
        kuznetsov,
        kuznetsov.default_initial_state(),
        _population(kuznetsov, 10),
        np.array([0.0, 10.0]),
        chunk_size=4,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(4, 10), (8, 10), (10, 10)]


def test_states_stay_nonnegative(kuznetsov):
    params = _population(kuznetsov, 50, seed=11)
    params[:, 7] *= 20  # strong killing drives tumours towards zero
    r = simulate(kuznetsov, kuznetsov.default_initial_state(), params, np.linspace(0, 500, 51))
    assert (r.states[r.ok] >= 0).all()


def test_division_by_zero_in_one_patient_is_a_status_not_an_exception(kuznetsov):
    """g_half = 0 with no tumour makes p*E*T/(g + T) = 0/0 for that patient only."""
    params = _population(kuznetsov, 3)
    params[1, 2] = 0.0  # g_half
    y0 = np.tile(kuznetsov.default_initial_state(), (3, 1))
    y0[1, 1] = 0.0  # no tumour cells
    r = simulate(kuznetsov, y0, params, np.linspace(0, 50, 6))
    assert r.status[1] != SolveStatus.OK
    assert list(r.status[[0, 2]]) == [SolveStatus.OK, SolveStatus.OK]
