"""High-dose IL-2 and interferon alfa-2b as per-dose exposure windows (brief §2.4, §3)."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.engine import build_events, simulate
from immunotwin.model.immune.baseline import baseline_state, sample_parameters
from immunotwin.outcomes import CtcaeV5
from immunotwin.population.catalog import load_tumor_catalog
from immunotwin.population.virtual_patients import sample_patients
from immunotwin.trials.spec import Arm, RegimenItem
from immunotwin.trials.therapy_map import plan_arm

CELLS_37MM = 0.75 * np.pi / 6 * 3.7**3 / 2.53e-9
HD_IL2 = Arm(
    name="HD IL-2",
    regimen=(
        RegimenItem(drug="aldesleukin", dose="600000 IU/kg", every="8 hours", max_cycles=14),
        RegimenItem(
            drug="aldesleukin", dose="600000 IU/kg", every="8 hours", max_cycles=14, start="day 14"
        ),
    ),
)
IFN = Arm(
    name="IFN induction",
    regimen=tuple(
        RegimenItem(
            drug="interferon_alfa_2b",
            dose="20 MIU/m2",
            every="1 week",
            max_cycles=4,
            start=f"day {k}",
        )
        for k in range(5)
    ),
)


def _run(compiled, arm, n, t, seed=5):
    model = compiled.model
    patients = sample_patients(load_tumor_catalog().get("melanoma"), n, seed=seed)
    p = sample_parameters(model, np.random.default_rng(seed), n)
    plan = plan_arm(model, arm, patients, float(t[-1]), np.random.default_rng(1), p)
    for name, values in plan.parameter_values.items():
        p[:, model.parameter_index(name)] = values
    y0 = baseline_state(compiled, p, np.full(n, CELLS_37MM))
    treated = simulate(compiled, y0, p, t, build_events(n, plan.events))
    untreated = simulate(compiled, y0, p, t)
    return model, p, treated, untreated


@pytest.fixture(scope="module")
def il2_run(immune_compiled):
    return _run(immune_compiled, HD_IL2, 40, np.arange(0.0, 29.0, 0.25))


def test_hd_il2_mean_concentration_is_the_brief_value(il2_run):
    model, p, treated, _ = il2_run
    # brief §3: 600,000 IU/kg at 80 kg = 193 nmol, mean over 8 h about 1-3 nM (CL 0.2 L/min)
    plan = plan_arm(
        model,
        HD_IL2,
        sample_patients(load_tumor_catalog().get("melanoma"), 3, seed=1).assign(
            weight_kg=[80.0, 60.0, 100.0]
        ),
        28.0,
        np.random.default_rng(0),
    )
    il2 = model.parameter_index("il2_systemic")
    first = [e for e in plan.events if e[2] == il2][0]
    np.testing.assert_allclose(first[4], [2.0, 1.5, 2.5], rtol=0.01)


def test_hd_il2_gives_capillary_leak_in_most_patients(il2_run):
    model, p, treated, untreated = il2_run
    assert treated.ok.all()
    e = treated.state("endothelial_index")
    grade = CtcaeV5().grade_capillary_leak(e).max(axis=1)
    assert (grade >= 2).mean() > 0.6  # brief §2.10: hypotension/capillary leak in ~70 %
    assert np.all(untreated.state("endothelial_index") < 0.25)


def test_hd_il2_expands_effectors_and_nk(il2_run):
    model, p, treated, untreated = il2_run
    day5 = 20  # t = 5 days, end of the first course
    for st, least in (("teff_systemic", 1.5), ("nk_tumor", 1.2), ("treg_tumor", 1.05)):
        ratio = treated.state(st)[:, day5] / untreated.state(st)[:, day5]
        assert np.median(ratio) > least, st
    assert np.median(treated.state("il6")[:, day5]) > 5 * np.median(untreated.state("il6")[:, 0])


def test_interferon_raises_mhc_and_slows_growth(immune_compiled):
    t = np.arange(0.0, 29.0, 0.5)
    model, p, treated, untreated = _run(immune_compiled, IFN, 10, t)
    assert treated.ok.all()
    q_t = immune_compiled.quantities(treated.states, p)
    q_u = immune_compiled.quantities(untreated.states, p)
    on = 1  # day 0.5, inside the first dose's 24 h window
    assert np.all(q_t["mhc_presenting"][:, on] >= q_u["mhc_presenting"][:, on])
    assert np.median(q_t["tumor_cells_total"][:, -1] / q_u["tumor_cells_total"][:, -1]) < 1.0
    ifna = p[:, model.parameter_index("ifna_activity")]
    assert np.all(ifna == 0.0)  # the plug itself stays 0 outside events
