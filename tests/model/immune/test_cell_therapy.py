"""CAR-T, TCR-T, TIL and CD3 engager mechanisms (brief §2.4, §2.6; issue 6).

The typical patient is the tisagenlecleucel B-ALL patient of Stein 2019 (CPT:PSP): 2.5e6 cells/kg
at 40 kg (1e8 cells) infused into a lymphodepleted host (ALC 100/uL) with a ≈3e10-cell leukaemic
burden; Stein's typical T_max is 9.3 days and C_max 24,000 transgene copies/ug.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunotwin.engine import build_events, simulate
from immunotwin.trials.therapy_map import antigen_status, tcrt_antigen_match

STEIN_TMAX_DAYS = 9.3
STEIN_CMAX_COPIES_PER_UG = 24000.0
DAYS = np.arange(0.0, 181.0, 0.5)


def _set(model, p, **values):
    p = p.copy()
    for name, value in values.items():
        p[model.parameter_index(name)] = value
    return p


def _y0(model, compiled, **states):
    y = compiled.default_initial_state().copy()
    for name, value in states.items():
        y[model.state_index(name)] = value
    return y


def _run(compiled, y0, p, days=DAYS, events=None):
    y0, p = np.atleast_2d(y0), np.atleast_2d(p)
    ev = build_events(y0.shape[0], events) if events else None
    result = simulate(compiled, y0, p, days, ev, rtol=1e-6)
    assert result.ok.all()
    return result


def _cart_patient(model, compiled, *, lymphocytes=100.0, escape=0.0, tumour=3.3e10):
    p = _set(model, compiled.default_parameters(), cart_target_density=1.0, cart_normal_target=1.0)
    y0 = _y0(
        model,
        compiled,
        tumor_presenting=tumour,
        tumor_escape=escape,
        cart_effector=1e8,
        lymphocytes=lymphocytes,
    )
    return y0, p


def _copies(compiled, result, p):
    q = compiled.quantities(result.states, p[None, None, :])
    return q["cart_copies_per_ug"][0]


def test_typical_cart_cmax_tmax_match_stein_2019(immune_model, immune_compiled):
    y0, p = _cart_patient(immune_model, immune_compiled)
    result = _run(immune_compiled, y0, p)
    copies = _copies(immune_compiled, result, p)
    peak = int(np.argmax(copies))
    assert DAYS[peak] == pytest.approx(STEIN_TMAX_DAYS, rel=0.3)
    assert copies[peak] == pytest.approx(STEIN_CMAX_COPIES_PER_UG, rel=0.3)
    # contraction then persistence: memory still present at 6 months
    assert copies[-1] < 0.05 * copies[peak]
    assert result.state("cart_memory")[0, -1] > 1e6


def test_cd19_cart_causes_b_cell_aplasia(immune_model, immune_compiled):
    y0, p = _cart_patient(immune_model, immune_compiled)
    bn = _run(immune_compiled, y0, p).state("bcells_normal")[0]
    assert bn[0] == pytest.approx(200.0)
    assert bn[DAYS == 60.0][0] < 0.1 * bn[0]
    # a BCMA CAR (no normal B-cell target) leaves B cells alone
    bn_bcma = _run(immune_compiled, y0, _set(immune_model, p, cart_normal_target=0.0))
    assert bn_bcma.state("bcells_normal")[0, DAYS == 60.0][0] > 0.9 * bn[0]


def test_lymphodepletion_raises_expansion(immune_model, immune_compiled):
    depleted, p = _cart_patient(immune_model, immune_compiled, lymphocytes=100.0)
    replete, _ = _cart_patient(immune_model, immune_compiled, lymphocytes=1800.0)
    c_dep = _copies(immune_compiled, _run(immune_compiled, depleted, p), p).max()
    c_rep = _copies(immune_compiled, _run(immune_compiled, replete, p), p).max()
    assert c_dep > 1.5 * c_rep


def test_antigen_negative_relapse_is_possible(immune_model, immune_compiled):
    """The CD19-negative escape clone is invisible to the CAR and the engager (no CAR/TCE/TCR-T
    process touches it) and survives while the CD19+ disease is cleared (brief §2.4)."""
    for proc in immune_model.processes:
        if proc.name.startswith(("cart_", "tce_", "tcrt_")):
            assert "tumor_escape" not in proc.stoichiometry, proc.name
    y0, p = _cart_patient(immune_model, immune_compiled, escape=1e8)
    # CD19- clone with intact MHC-I (what the trial layer sets under a CAR), B-ALL growth
    mhc = p[immune_model.parameter_index("mhc_basal")]
    p = _set(
        immune_model, p, tumor_growth_rate=0.0333, escape_generation_rate=0.0, escape_mhc_basal=mhc
    )
    result = _run(immune_compiled, y0, p)
    presenting = result.state("tumor_presenting")[0]
    escape = result.state("tumor_escape")[0]
    assert presenting[-1] < 1e-3 * presenting[0]  # CD19+ disease cleared
    assert escape[DAYS == 28.0][0] > 1e-2 * escape[0]  # the CD19- clone is still there


def test_cart_drives_crs_signals(immune_model, immune_compiled):
    y0, p = _cart_patient(immune_model, immune_compiled)
    result = _run(immune_compiled, y0, p)
    assert result.state("il6")[0].max() > 30.0  # fever threshold of the ASTCT CRS grading
    assert result.state("endothelial_index")[0].max() > 0.25  # hypotension tier (grade 2)
    no_car = _run(immune_compiled, _y0(immune_model, immune_compiled, tumor_presenting=3.3e10), p)
    assert no_car.state("il6")[0].max() < 30.0


def _tcrt_patient(model, compiled, match):
    p = _set(model, compiled.default_parameters(), tcrt_antigen_match=match)
    y0 = _y0(model, compiled, tumor_presenting=1e10, tcrt_effector=5e9, lymphocytes=100.0)
    return y0, p


def test_tcrt_needs_the_restricting_hla(immune_model, immune_compiled):
    days = np.arange(0.0, 91.0, 1.0)
    seen = _run(immune_compiled, *_tcrt_patient(immune_model, immune_compiled, 1.0), days)
    lost = _run(immune_compiled, *_tcrt_patient(immune_model, immune_compiled, 0.0), days)
    base_y0, base_p = _tcrt_patient(immune_model, immune_compiled, 0.0)
    base_y0[immune_model.state_index("tcrt_effector")] = 0.0
    untreated = _run(immune_compiled, base_y0, base_p, days)
    tumour = {
        k: r.state("tumor_presenting")[0, -1]
        for k, r in {"seen": seen, "lost": lost, "none": untreated}.items()
    }
    assert tumour["lost"] == pytest.approx(tumour["none"], rel=1e-6)
    assert tumour["seen"] < 0.5 * tumour["none"]


def test_tcrt_match_rules():
    patients = pd.DataFrame(
        {
            "mage_a4_positive": [1, 1, 0, 1],
            "hla_a0201": [True, False, True, True],
            "hla_loh": [False, False, False, False],
        }
    )
    match = tcrt_antigen_match(patients, np.random.default_rng(0))
    assert match.tolist() == [1.0, 0.0, 0.0, 1.0]
    all_loh = patients.assign(hla_loh=True, mage_a4_positive=1, hla_a0201=True)
    lost = tcrt_antigen_match(pd.concat([all_loh] * 250), np.random.default_rng(1))
    assert 0.4 < 1 - lost.mean() < 0.6  # half of LOH patients lost the A*02 haplotype
    assert antigen_status(patients, "CD19").tolist() == [0.0] * 4  # no CD19 column


def test_blinatumomab_kills_and_releases_il6(immune_model, immune_compiled):
    p = _set(
        immune_model,
        immune_compiled.default_parameters(),
        cart_target_density=1.0,
        cart_normal_target=1.0,
    )
    y0 = _y0(immune_model, immune_compiled, tumor_presenting=3e10)
    days = np.arange(0.0, 29.0, 1.0)
    index = immune_model.parameter_index("tce_concentration")
    on = _run(immune_compiled, y0, p, days, [(0.0, _set_kind(), index, 0, 525.0)])
    off = _run(immune_compiled, y0, p, days)
    assert on.state("tumor_presenting")[0, -1] < 0.2 * off.state("tumor_presenting")[0, -1]
    assert on.state("bcells_normal")[0, -1] < 0.5 * off.state("bcells_normal")[0, -1]
    assert on.state("il6")[0].max() > 30.0 > off.state("il6")[0].max()


def _set_kind():
    from immunotwin.engine import EventKind

    return EventKind.SET_PARAMETER


def test_cell_therapy_states_finite_and_non_negative(immune_model, immune_compiled):
    y0, p = _cart_patient(immune_model, immune_compiled, escape=1e5)
    states = _run(immune_compiled, y0, p).states
    assert np.all(np.isfinite(states))
    for name in ("cart_effector", "cart_memory", "bcells_normal", "tcrt_effector", "il6"):
        assert states[..., immune_model.state_index(name)].min() > -1e-3
