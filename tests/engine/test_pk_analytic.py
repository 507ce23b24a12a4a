"""Two-compartment IV bolus PK against its closed-form solution, and dose mass balance."""

from __future__ import annotations

import numpy as np

from immunotwin.engine import EventKind, build_events, simulate
from immunotwin.model import Model, Parameter, Process, Source, State, compile_model


def analytic_two_compartment(t, dose_times, dose_mg, cl, v1, q, v2):
    """Central amount (mg) after IV boluses: sum of bi-exponentials (Gibaldi & Perrier)."""
    k10, k12, k21 = cl / v1, q / v1, q / v2
    s = k10 + k12 + k21
    alpha = (s + np.sqrt(s * s - 4 * k10 * k21)) / 2
    beta = (s - np.sqrt(s * s - 4 * k10 * k21)) / 2
    a_coef = (alpha - k21) / (alpha - beta)
    b_coef = (k21 - beta) / (alpha - beta)
    total = np.zeros_like(t)
    for td in dose_times:
        dt = t - td
        on = dt > 0
        total[on] += dose_mg * (a_coef * np.exp(-alpha * dt[on]) + b_coef * np.exp(-beta * dt[on]))
    return total


def test_repeated_bolus_matches_analytic(pembrolizumab_pk):
    cm = pembrolizumab_pk
    dose_times = np.arange(0, 8) * 21.0
    events = build_events(1, [(t, EventKind.ADD_TO_STATE, 0, 0, 200.0) for t in dose_times])
    t_eval = np.linspace(0.5, 180.0, 120)
    r = simulate(
        cm,
        cm.default_initial_state(),
        cm.default_parameters(),
        t_eval,
        events,
        rtol=1e-10,
        atol=1e-12,
    )
    expected = analytic_two_compartment(t_eval, dose_times, 200.0, 0.22, 3.48, 0.795, 4.06)
    rel = np.abs(r.state("pembrolizumab_central")[0] - expected) / expected
    assert r.status[0] == 0
    assert rel.max() < 1e-6


def test_dose_mass_balance(pembrolizumab_pk):
    """Amount in body + amount eliminated equals the doses given, at every output time."""
    model = pembrolizumab_pk.model.extend(
        states=[State(name="eliminated", unit="mg", description="cumulative amount eliminated")],
        processes=[
            Process(
                name="elimination_tally",
                rate="pembrolizumab_cl*pembrolizumab_conc",
                unit="mg/day",
                stoichiometry={"eliminated": 1},
                description="tally of the elimination flux",
            )
        ],
    )
    cm = compile_model(model)
    dose_times = np.arange(0, 10) * 21.0
    events = build_events(1, [(t, EventKind.ADD_TO_STATE, 0, 0, 200.0) for t in dose_times])
    t_eval = np.linspace(0.0, 250.0, 501)
    r = simulate(
        cm,
        cm.default_initial_state(),
        cm.default_parameters(),
        t_eval,
        events,
        rtol=1e-8,
        atol=1e-10,
    )
    total = r.states[0].sum(axis=1)
    # outputs at a dose time are recorded before that dose (troughs)
    dosed = 200.0 * np.array([np.sum(dose_times < t) for t in t_eval])
    np.testing.assert_allclose(total, dosed, rtol=1e-7, atol=1e-9)
    assert np.all(r.states[0] >= 0)


def test_outputs_at_dose_times_are_troughs(pembrolizumab_pk):
    cm = pembrolizumab_pk
    events = build_events(
        1, [(0.0, EventKind.ADD_TO_STATE, 0, 0, 200.0), (21.0, EventKind.ADD_TO_STATE, 0, 0, 200.0)]
    )
    r = simulate(
        cm,
        cm.default_initial_state(),
        cm.default_parameters(),
        np.array([0.0, 21.0, 21.0 + 1e-9]),
        events,
        rtol=1e-10,
    )
    central = r.state("pembrolizumab_central")[0]
    assert central[0] == 0.0
    assert central[2] - central[1] == np.float64(central[2] - central[1])
    assert abs((central[2] - central[1]) - 200.0) < 1e-3


def test_zero_order_infusion_as_piecewise_input():
    """A 2-day infusion switched on and off by parameter events: one-compartment closed form."""
    src = Source(citation="analytic test", confidence="analytic")
    model = Model(
        name="infusion_test",
        states=(State(name="amount", unit="mg", description="drug in body", abs_tol=1e-12),),
        parameters=(
            Parameter(name="rate_in", value=0.0, unit="mg/day", description="infusion", source=src),
            Parameter(name="k_el", value=0.7, unit="1/day", description="elimination", source=src),
        ),
        processes=(
            Process(
                name="infusion",
                rate="rate_in",
                unit="mg/day",
                stoichiometry={"amount": 1},
                description="zero-order input",
            ),
            Process(
                name="elimination",
                rate="k_el*amount",
                unit="mg/day",
                stoichiometry={"amount": -1},
                description="first-order loss",
            ),
        ),
    )
    cm = compile_model(model)
    rate, k, t_on, t_off = 50.0, 0.7, 1.0, 3.0
    events = build_events(
        1,
        [(t_on, EventKind.SET_PARAMETER, 0, 0, rate), (t_off, EventKind.SET_PARAMETER, 0, 0, 0.0)],
    )
    t = np.linspace(0.0, 8.0, 81)
    r = simulate(cm, np.zeros(1), cm.default_parameters(), t, events, rtol=1e-10, atol=1e-12)
    during = rate / k * (1 - np.exp(-k * (t - t_on)))
    at_off = rate / k * (1 - np.exp(-k * (t_off - t_on)))
    expected = np.where(
        t <= t_on, 0.0, np.where(t <= t_off, during, at_off * np.exp(-k * (t - t_off)))
    )
    np.testing.assert_allclose(r.states[0, :, 0], expected, rtol=1e-7, atol=1e-9)
