"""Checkpoint pharmacology: popPK troughs (brief §3) and the PD-1 synapse switch (brief §2.3)."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.engine import EventKind, build_events, simulate

# (slot, CL L/day, V1 L, Q L/day, V2 L, MW g/mol) typical values of brief §3
PEMBROLIZUMAB = ("antipd1", 0.22, 3.48, 0.795, 4.06, 149000.0)
NIVOLUMAB = ("antipd1", 0.226, 3.63, 0.770, 2.78, 143600.0)
ATEZOLIZUMAB = ("antipdl1", 0.200, 3.28, 0.546, 3.63, 145000.0)
IPILIMUMAB = ("antictla4", 0.36, 4.15, 0.99, 3.11, 148000.0)


def _trough(cm, drug, dose_mg, every_days, n_doses, trough_before, cl_of_t=None):
    model = cm.model
    slot, cl, v1, q, v2, mw = drug
    p = cm.default_parameters()
    for name, value in (("cl", cl), ("v1", v1), ("q", q), ("v2", v2), ("mw", mw)):
        p[model.parameter_index(f"{slot}_{name}")] = value
    y0 = np.zeros(cm.n_states)
    central = model.state_index(f"{slot}_central")
    items = [(d * every_days, EventKind.ADD_TO_STATE, central, 0, dose_mg) for d in range(n_doses)]
    if cl_of_t is not None:  # time-varying clearance as parameter events, weekly
        k = model.parameter_index(f"{slot}_cl")
        items += [(t, EventKind.SET_PARAMETER, k, 0, cl_of_t(t + 3.5)) for t in range(0, 800, 7)]
    t_trough = trough_before * every_days
    r = simulate(cm, y0, p, np.array([t_trough]), build_events(1, items), rtol=1e-8)
    assert r.ok.all()
    return r.state(f"{slot}_central")[0, -1] / v1  # mg/L = ug/mL, recorded before the dose


def test_pembrolizumab_steady_trough(immune_compiled):
    c = _trough(immune_compiled, PEMBROLIZUMAB, 200.0, 21.0, 40, 35)
    assert c == pytest.approx(30.0, rel=0.3)


def test_nivolumab_steady_trough(immune_compiled):
    t50, emax, gamma = 1410.0 / 24.0, -0.295, 3.15  # Bajaj 2017: CL x exp(Emax t^g/(T50^g + t^g))

    def cl(t):
        return 0.226 * np.exp(emax * t**gamma / (t50**gamma + t**gamma))

    c = _trough(immune_compiled, NIVOLUMAB, 240.0, 14.0, 60, 50, cl_of_t=cl)
    assert c == pytest.approx(80.0, rel=0.3)


def test_atezolizumab_steady_trough(immune_compiled):
    c = _trough(immune_compiled, ATEZOLIZUMAB, 1200.0, 21.0, 40, 35)
    assert c == pytest.approx(190.0, rel=0.3)


def test_ipilimumab_fourth_trough(immune_compiled):
    c = _trough(immune_compiled, IPILIMUMAB, 3.0 * 80.0, 21.0, 4, 3)
    assert c == pytest.approx(17.0, rel=0.3)


def _h_pd1(cm, *, ro_pd1=0.0, ro_pdl1=0.0, pdl2_ratio=None):
    """H_PD1 at a given tumour occupancy, read from the compiled model's quantities."""
    model = cm.model
    p = cm.default_parameters()
    if pdl2_ratio is not None:
        p[model.parameter_index("pdl2_ratio")] = pdl2_ratio
    f_t = p[model.parameter_index("partition_tumor")]
    y = cm.default_initial_state()
    for slot, ro in (("antipd1", ro_pd1), ("antipdl1", ro_pdl1)):
        kd, mw, v1 = (p[model.parameter_index(f"{slot}_{k}")] for k in ("kd", "mw", "v1"))
        kd = kd / p[model.parameter_index("antibody_avidity")]  # effective (avidity) Kd
        plasma_nm = kd * ro / (1 - ro) / f_t
        y[model.state_index(f"{slot}_central")] = plasma_nm * mw / 1e6 * v1
    y[model.state_index("pdl1_tumor_relative")] = 1.0
    q = cm.quantities(y, p)
    assert q["ro_pd1_tumor"] == pytest.approx(ro_pd1, abs=1e-9)
    return float(q["h_pd1"])


@pytest.mark.parametrize(
    ("ro", "expected"), [(0.0, 0.998), (0.90, 0.88), (0.95, 0.66), (0.99, 0.07), (0.999, 0.001)]
)
def test_h_pd1_switch_vs_pd1_occupancy(immune_compiled, ro, expected):
    assert _h_pd1(immune_compiled, ro_pd1=ro) == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize(("ro", "expected"), [(0.90, 0.94), (0.99, 0.13)])
def test_h_pd1_vs_pdl1_occupancy_without_pdl2(immune_compiled, ro, expected):
    assert _h_pd1(immune_compiled, ro_pdl1=ro, pdl2_ratio=0.0) == pytest.approx(expected, abs=0.05)
