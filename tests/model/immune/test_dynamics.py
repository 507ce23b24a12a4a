"""Mechanism checks on simulated patients (issue 3 tests)."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.engine import EventKind, build_events, simulate
from immunotwin.model.immune.baseline import baseline_state, sample_parameters
from immunotwin.model.sbml import consistency_errors, to_sbml

CELLS_37MM = 0.75 * np.pi / 6 * 3.7**3 / 2.53e-9


def _doses(cm, n, slot, mg, every, count):
    k = cm.model.state_index(f"{slot}_central")
    return [(d * every, EventKind.ADD_TO_STATE, k, 0, mg) for d in range(count)]


def test_untreated_tumours_grow_with_sampled_rate(immune_compiled):
    cm, model = immune_compiled, immune_compiled.model
    rng = np.random.default_rng(11)
    p = sample_parameters(model, rng, 200)
    y0 = baseline_state(cm, p, np.full(200, CELLS_37MM))
    r = simulate(cm, y0, p, np.array([0.0, 56.0]))
    v = cm.quantities(r.states, p)["tumor_volume_ml"]
    observed = np.log(v[:, 1] / v[:, 0]) / 56.0
    k_g = p[:, model.parameter_index("tumor_growth_rate")]
    rank = np.corrcoef(np.argsort(np.argsort(observed)), np.argsort(np.argsort(k_g)))[0, 1]
    assert rank > 0.8
    typical = cm.default_parameters()
    y_t = baseline_state(cm, typical[None], np.array([CELLS_37MM]))
    r_t = simulate(cm, y_t, typical, np.array([0.0, 56.0]))
    v_t = cm.quantities(r_t.states[0], typical)["tumor_volume_ml"]
    doubling = 56.0 * np.log(2) / np.log(v_t[1] / v_t[0])
    # k_g is the net untreated growth rate (the gross proliferation compensates basal death and
    # innate killing at the set point); memory-derived PD-1-low effectors may slow it a little
    assert 0.7 <= doubling / (np.log(2) / 0.007) <= 1.3


def test_no_mhc_means_no_cd8_killing(immune_compiled, typical_baseline):
    cm, model = immune_compiled, immune_compiled.model
    p, _ = typical_baseline
    t = np.arange(0.0, 365.0, 7.0)
    events = build_events(1, _doses(cm, 1, "antipd1", 200.0, 21.0, 18))
    volumes = {}
    for mhc in (0.0, 0.8):
        q = p.copy()
        for name, value in (
            ("mhc_basal", mhc),
            ("escape_fraction_initial", 0.0),
            ("escape_generation_rate", 0.0),
        ):
            q[model.parameter_index(name)] = value
        y0 = baseline_state(cm, q[None], np.array([CELLS_37MM]))[0]
        r = simulate(cm, y0, q, t, events)
        quantities = cm.quantities(r.states[0], q)
        volumes[mhc] = quantities["tumor_volume_ml"]
        if mhc == 0.0:
            assert np.all(quantities["cd8_kill_presenting"] == 0.0)
            assert np.all(quantities["cd8_kill_escape"] == 0.0)
    assert volumes[0.0][-1] > volumes[0.0][0]  # grows on anti-PD-1 without MHC-I
    assert volumes[0.8][-1] < 0.7 * volumes[0.8][0]  # shrinks with MHC-I


def test_memory_delays_relapse_after_washout(immune_compiled, typical_baseline):
    cm, model = immune_compiled, immune_compiled.model
    p, _ = typical_baseline
    t = np.arange(0.0, 5 * 365.0, 7.0)
    events = build_events(1, _doses(cm, 1, "antipd1", 200.0, 21.0, 18))
    relapse, kill_per_cell, occupancy = {}, {}, {}
    for k_em in (0.005, 0.0):
        q = p.copy()
        q[model.parameter_index("memory_formation_rate")] = k_em
        y0 = baseline_state(cm, q[None], np.array([CELLS_37MM]))[0]
        r = simulate(cm, y0, q, t, events)
        quantities = cm.quantities(r.states[0], q)
        v = quantities["tumor_volume_ml"]
        nadir = int(np.argmin(v))
        assert v[nadir] < 0.7 * v[0]  # a responder in both cases
        assert np.any(v[nadir:] >= v[0])  # that relapses within 5 years
        relapse[k_em] = t[nadir + int(np.argmax(v[nadir:] >= v[0]))]
        kill_per_cell[k_em] = quantities["cd8_kill_presenting"] / r.state("tumor_presenting")[0]
        occupancy[k_em] = quantities["ro_pd1_tumor"]
    # last dose on day 357; the avidity-bound antibody keeps PD-1 occupied for months, so
    # relapse comes late either way, and memory delays it by at least a month ...
    assert relapse[0.0] + 30.0 < relapse[0.005]
    # ... because its PD-1-low recall effectors keep killing once the drug has washed out
    washed_out = t[(t > 357.0) & (occupancy[0.0] < 0.9)][0]
    window = (t > washed_out) & (t < relapse[0.0])
    assert window.sum() >= 4
    assert kill_per_cell[0.005][window].mean() > 2 * kill_per_cell[0.0][window].mean()


def test_anti_ctla4_more_organ_injury_than_anti_pd1(immune_compiled):
    cm, model = immune_compiled, immune_compiled.model
    n = 100
    p = sample_parameters(model, np.random.default_rng(5), n)
    y0 = baseline_state(cm, p, np.full(n, CELLS_37MM))
    t = np.arange(0.0, 169.0, 7.0)
    injury = {}
    for slot, mg, count in (("antipd1", 200.0, 8), ("antictla4", 240.0, 4)):
        r = simulate(cm, y0, p, t, build_events(n, _doses(cm, n, slot, mg, 21.0, count)))
        organs = [r.state(f"injury_{o}") for o in ("colon", "lung", "liver", "thyroid", "skin")]
        injury[slot] = np.stack(organs).max(axis=2)  # (organ, patient) worst over 24 weeks
    assert injury["antictla4"].mean() > 1.5 * injury["antipd1"].mean()
    assert injury["antictla4"][0].mean() > injury["antipd1"][0].mean()  # colon


def test_anti_ctla4_primes_new_clones_into_the_pd1_low_pool(immune_compiled, typical_baseline):
    """Kvistborg 2014: anti-CTLA-4 adds new clones; they enter the tumour PD-1-low (Tbr -> Tf)."""
    cm, model = immune_compiled, immune_compiled.model
    p, _ = typical_baseline
    t = np.arange(0.0, 85.0, 7.0)
    y0 = baseline_state(cm, p[None], np.array([CELLS_37MM]))[0]
    untreated = simulate(cm, y0, p, t)
    assert np.all(untreated.state("tcell_activated_new") == 0.0)
    events = build_events(1, _doses(cm, 1, "antictla4", 240.0, 21.0, 4))
    fresh, kill = {}, {}
    for breadth in (0.0, 1.0, 4.0):
        q = p.copy()
        q[model.parameter_index("ctla4_priming_breadth")] = breadth
        r = simulate(cm, y0, q, t, events)
        quantities = cm.quantities(r.states[0], q)
        fresh[breadth] = r.state("teff_fresh_tumor")[0, -4:].mean()
        kill[breadth] = (quantities["cd8_kill_presenting"] / r.state("tumor_presenting")[0])[-4:]
        assert (r.state("tcell_activated_new")[0] > 0).any() == (breadth > 0)
    assert fresh[0.0] < fresh[1.0] < fresh[4.0]
    assert kill[0.0].mean() < kill[1.0].mean() < kill[4.0].mean()


def test_sbml_export_of_whole_model(immune_model):
    text = to_sbml(immune_model)
    assert consistency_errors(text) == []
    for name in ("tumor_presenting", "antipd1_central", "injury_colon", "h_pd1"):
        assert f'id="{name}"' in text


def test_population_five_years_finite_nonnegative(immune_compiled):
    cm, model = immune_compiled, immune_compiled.model
    n = 1000
    rng = np.random.default_rng(2024)
    p = sample_parameters(model, rng, n)
    cells = 0.75 * np.pi / 6 * (3.7 * np.exp(0.4 * rng.standard_normal(n))) ** 3 / 2.53e-9
    y0 = baseline_state(cm, p, cells)
    events = build_events(n, _doses(cm, n, "antipd1", 200.0, 21.0, 35))
    r = simulate(cm, y0, p, np.arange(0.0, 5 * 365.0 + 1, 30.0), events)
    assert r.ok.all()
    assert np.all(np.isfinite(r.states))
    assert np.all(r.states >= 0)


def test_pembrolizumab_responder_fraction_plausible(immune_compiled):
    """1,000 sampled NSCLC patients, pembrolizumab 200 mg q3w for 2 years: the fraction with a
    >=65 % volume fall (about a RECIST PR) stays in a plausible 25-55 % band (docs/model.md)."""
    cm, model = immune_compiled, immune_compiled.model
    n = 1000
    rng = np.random.default_rng(2024)
    p = sample_parameters(model, rng, n)
    cells = 0.75 * np.pi / 6 * (3.7 * np.exp(0.4 * rng.standard_normal(n))) ** 3 / 2.53e-9
    y0 = baseline_state(cm, p, cells)
    events = build_events(n, _doses(cm, n, "antipd1", 200.0, 21.0, 35))
    r = simulate(cm, y0, p, np.arange(0.0, 731.0, 7.0), events)
    v = cm.quantities(r.states, p)["tumor_volume_ml"]
    responders = (v.min(axis=1) <= 0.35 * v[:, 0]).mean()
    assert r.ok.all()
    assert 0.25 <= responders <= 0.55


def test_lag3_blockade_adds_killing_on_top_of_pd1(immune_compiled, typical_baseline):
    """Relatlimab (anti-LAG-3 slot) with nivolumab kills more than nivolumab alone."""
    cm = immune_compiled
    p, y0 = typical_baseline
    t = np.array([0.0, 56.0, 112.0])
    nivolumab = _doses(cm, 1, "antipd1", 480.0, 28.0, 4)
    both = nivolumab + _doses(cm, 1, "antilag3", 160.0, 28.0, 4)
    kill = {}
    for label, items in (("nivolumab", nivolumab), ("both", both)):
        r = simulate(cm, y0, p, t, build_events(1, items))
        q = cm.quantities(r.states[0], p)
        kill[label] = q["cd8_kill_per_cell"][1]
        assert q["ro_lag3_tumor"][1] > 0.5 if label == "both" else q["ro_lag3_tumor"][1] == 0
    assert kill["both"] > kill["nivolumab"]


def test_acquired_chemotherapy_resistance_weakens_later_cycles(immune_compiled, typical_baseline):
    """Kill x exp(-lambda_R A): the fourth cycle kills less than the first, and lambda_R = 0
    gives every cycle the same kill (Claret 2009 resistance form)."""
    cm, model = immune_compiled, immune_compiled.model
    p, _ = typical_baseline
    k = model.state_index("chemo_a_exposure")
    events = build_events(1, [(21.0 * c, EventKind.ADD_TO_STATE, k, 0, 1.0) for c in range(4)])
    t = np.arange(0.0, 85.0, 1.0)
    y0 = baseline_state(cm, p[None], np.array([CELLS_37MM]))[0]
    kill, received = {}, {}
    for rate in (0.0, 0.05):
        q = p.copy()
        q[model.parameter_index("chemo_a_kill_tumor")] = 0.1
        q[model.parameter_index("chemo_resistance_rate")] = rate
        r = simulate(cm, y0, q, t, events)
        rate_per_cell = cm.quantities(r.states[0], q)["chemo_tumor_kill_rate"]
        kill[rate] = (rate_per_cell[1], rate_per_cell[64])  # day 1 of cycles 1 and 4
        received[rate] = r.state("chemo_cumulative_effect")[0]
        assert (np.diff(received[rate]) >= 0).all()
    assert kill[0.0][1] == pytest.approx(kill[0.0][0], rel=0.05)
    assert kill[0.05][1] < 0.8 * kill[0.05][0]
    # the resistance factor is exp(-lambda_R A) of the effect received by then
    factor = kill[0.05][1] / kill[0.0][1]
    assert factor == pytest.approx(np.exp(-0.05 * received[0.05][64]), rel=0.02)
