"""Tumour-targeting antibodies: antitarget PK slot, ADCC/ADCP/CDC and signalling (brief §2.4)."""

from __future__ import annotations

import numpy as np

from immunotwin.engine import EventKind, build_events, simulate
from immunotwin.therapies.catalog import load_drug_catalog
from immunotwin.trials.therapy_map import fcgr3a_factor, target_mediated_events


def _with_antibody(cm, p, y0, mg):
    y = np.tile(y0, (len(mg), 1))
    y[:, cm.model.state_index("antitarget_central")] = mg
    return cm.quantities(y, np.tile(p, (len(mg), 1)))


def test_adcc_and_adcp_kill_rise_with_occupancy(immune_compiled, typical_baseline):
    p, y0 = typical_baseline
    q = _with_antibody(immune_compiled, p, y0, np.array([0.0, 1.0, 10.0, 100.0, 1000.0]))
    ro = q["ro_antitarget_tumor"]
    assert ro[0] == 0.0 and np.all(np.diff(ro) > 0)
    for kill in ("nk_kill_presenting", "phagocytosis_presenting"):
        assert np.all(np.diff(q[kill]) > 0), kill
    # at saturation NK kill of presenting cells is up to (1 + a_ADCC) = 4-fold
    assert 2.0 < q["nk_kill_presenting"][-1] / q["nk_kill_presenting"][0] <= 4.0 + 1e-9
    assert np.all(q["antitarget_cdc_kill"] == 0.0)  # complement only for rituximab
    assert np.all(q["antitarget_signaling"] == 0.0)  # switch off unless HER2/EGFR
    # no antibody: exactly the untreated model
    untreated = immune_compiled.quantities(y0[None, :], p[None, :])
    assert q["nk_kill_presenting"][0] == untreated["nk_kill_presenting"][0]
    assert q["growth_inhibition_factor"][0] == 1.0


def test_fcgr3a_ff_lowers_adcc(immune_compiled, typical_baseline):
    p, y0 = typical_baseline
    f = fcgr3a_factor(np.array(["VV", "VF", "FF"]), np.full(3, 0.6))
    np.testing.assert_allclose(f, [1.0, 0.8, 0.6])
    model = immune_compiled.model
    kills = []
    for factor in f:
        q = p.copy()
        q[model.parameter_index("antitarget_fcgr_factor")] = factor
        kills.append(_with_antibody(immune_compiled, q, y0, np.array([50.0]))["nk_kill_presenting"])
    assert kills[0] > kills[1] > kills[2]


def test_trastuzumab_trough_and_signalling(immune_compiled, typical_baseline):
    cm, model = immune_compiled, immune_compiled.model
    p, y0 = typical_baseline
    q = p.copy()
    q[model.parameter_index("antitarget_signaling_on")] = 1.0
    k = model.state_index("antitarget_central")
    weight = 66.0  # Quartino 2019 reference weight
    doses = [(0.0, EventKind.ADD_TO_STATE, k, 0, 8 * weight)] + [
        (21.0 * i, EventKind.ADD_TO_STATE, k, 0, 6 * weight) for i in range(1, 8)
    ]
    r = simulate(cm, y0, q, np.array([0.0, 10.0, 168.0 - 1e-6]), build_events(1, doses))
    quantities = cm.quantities(r.states[0], q)
    trough = quantities["antitarget_conc"][-1]
    assert 35.0 < trough < 70.0  # brief §3: ≈50 ug/mL at steady state (6 mg/kg q3w)
    assert quantities["growth_inhibition_factor"][1] < 0.6  # I_sig ≈ 0.5 at saturation


def test_rituximab_target_mediated_clearance_declines_over_cycles(immune_model):
    rituximab = load_drug_catalog().get("rituximab")
    days = np.arange(0.0, 22.0, 7.0)
    ev = target_mediated_events(immune_model, rituximab, np.array([0.278]), days)
    cl = np.array([e[4][0] for e in ev])
    np.testing.assert_allclose(cl, 0.278 * np.exp(-0.143 * days[1:]), rtol=1e-12)
    assert np.all(np.diff(cl) < 0)
