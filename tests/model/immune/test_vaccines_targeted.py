"""Vaccines, oncolytic virus, VEGFR-TKI, bevacizumab and CHOP in the model (issue 6)."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.engine import build_events, simulate
from immunotwin.model.immune.baseline import baseline_state, sample_parameters
from immunotwin.population.biomarker_map import apply_biomarkers
from immunotwin.population.calibration import apply_calibration
from immunotwin.population.catalog import load_tumor_catalog
from immunotwin.population.virtual_patients import sample_patients
from immunotwin.trials.engine import resolve_calibration
from immunotwin.trials.spec import Arm, RegimenItem
from immunotwin.trials.therapy_map import plan_arm

CELLS_37MM = 0.75 * np.pi / 6 * 3.7**3 / 2.53e-9
T = np.arange(0.0, 85.0, 1.0)


def _arm(*items: dict) -> Arm:
    return Arm(name="arm", regimen=tuple(RegimenItem(**i) for i in items))


GP100 = _arm({"drug": "gp100_peptide_vaccine", "dose": "1 mg", "every": "3 weeks", "cycles": 4})
NEO = _arm({"drug": "neoantigen_mrna_vaccine", "dose": "1 mg", "every": "3 weeks", "cycles": 4})
SIPT = _arm({"drug": "sipuleucel_t", "dose": "5e7 cells", "every": "2 weeks", "cycles": 3})
TVEC = _arm(
    {"drug": "talimogene_laherparepvec", "dose": "4e6 PFU"},
    {"drug": "talimogene_laherparepvec", "dose": "4e8 PFU", "every": "2 weeks", "start": "day 21"},
)
SUNITINIB = _arm(
    {
        "drug": "sunitinib",
        "dose": "50 mg",
        "every": "6 weeks",
        "cycle_days": tuple(range(1, 29)),
    }
)
BEVACIZUMAB = _arm({"drug": "bevacizumab", "dose": "15 mg/kg", "every": "3 weeks"})
CHOP = _arm(
    {"drug": "cyclophosphamide", "dose": "750 mg/m2", "every": "3 weeks", "cycles": 4},
    {"drug": "doxorubicin", "dose": "50 mg/m2", "every": "3 weeks", "cycles": 4},
    {"drug": "vincristine", "dose": "1.4 mg/m2", "every": "3 weeks", "cycles": 4},
    {
        "drug": "prednisone",
        "dose": "100 mg",
        "every": "3 weeks",
        "cycles": 4,
        "cycle_days": (1, 2, 3, 4, 5),
    },
)


def _plan(compiled, arm, tumor, n, seed):
    """Untreated and treated parameters and the arm's plan, as the trial engine builds them
    (biomarker maps, then the shipped calibration, then the plan's drug parameters)."""
    model = compiled.model
    catalog = load_tumor_catalog().get(tumor)
    patients = sample_patients(catalog, n, seed=seed)
    p = sample_parameters(model, np.random.default_rng(seed), n)
    p = apply_calibration(
        model, apply_biomarkers(model, p, patients, catalog), resolve_calibration(None)
    )
    plan = plan_arm(model, arm, patients, float(T[-1]), np.random.default_rng(1), p)
    treated_p = p.copy()
    for name, values in plan.parameter_values.items():
        treated_p[:, model.parameter_index(name)] = values
    return p, treated_p, plan


def _run(compiled, arm, tumor="melanoma", n=8, seed=3):
    p, treated_p, plan = _plan(compiled, arm, tumor, n, seed)
    y0 = baseline_state(compiled, p, np.full(n, CELLS_37MM))
    treated = simulate(compiled, y0, treated_p, T, build_events(n, plan.events))
    untreated = simulate(compiled, y0, p, T)
    assert treated.ok.all() and untreated.ok.all()
    y = treated.states
    assert np.isfinite(y).all()
    # non-negative up to the solver's absolute tolerance
    assert (y > -1e-3).all(), [treated.state_names[i] for i in np.unique(np.where(y <= -1e-3)[-1])]
    return treated, untreated


def _total_tumor(result):
    return sum(result.state(s) for s in ("tumor_presenting", "tumor_escape", "tumor_doomed"))


@pytest.fixture(scope="module")
def runs(immune_compiled):
    return {
        "gp100": _run(immune_compiled, GP100),
        "neo": _run(immune_compiled, NEO),
        "sipt": _run(immune_compiled, SIPT, tumor="prostate"),
        "tvec": _run(immune_compiled, TVEC),
        "tki": _run(immune_compiled, SUNITINIB, tumor="rcc"),
        "bev": _run(immune_compiled, BEVACIZUMAB, tumor="nsclc"),
        "chop": _run(immune_compiled, CHOP, tumor="dlbcl"),
    }


@pytest.mark.parametrize("key", ["gp100", "neo", "sipt"])
def test_vaccines_load_dcs_and_raise_priming_and_effectors(runs, key):
    treated, untreated = runs[key]
    assert (treated.state("dc_vaccine").max(axis=1) > 0).all()
    assert (untreated.state("dc_vaccine") == 0).all()
    # antigen-specific priming: more activated and systemic effector CD8 than without vaccine
    day = 42
    assert (
        treated.state("tcell_activated")[:, day] > untreated.state("tcell_activated")[:, day]
    ).all()
    assert (treated.state("teff_systemic")[:, day] > untreated.state("teff_systemic")[:, day]).all()


def test_tvec_kills_locally_and_recruits_dcs(runs):
    treated, untreated = runs["tvec"]
    day = 60
    assert (_total_tumor(treated)[:, day] < 0.9 * _total_tumor(untreated)[:, day]).all()
    assert (treated.state("oncolytic_virus")[:, 22] > 0).all()
    # GM-CSF-driven DC recruitment while the virus is active (3 days after the first 4e8 PFU)
    dc_day = 24
    assert (
        treated.state("dc_lymph_node")[:, dc_day] > untreated.state("dc_lymph_node")[:, dc_day]
    ).all()


def test_sunitinib_slows_growth_and_lowers_mdsc(runs):
    treated, untreated = runs["tki"]
    day = 28
    assert (_total_tumor(treated)[:, day] < _total_tumor(untreated)[:, day]).all()
    assert (treated.state("mdsc_tumor")[:, day] < untreated.state("mdsc_tumor")[:, day]).all()
    assert (treated.state("treg_tumor")[:, day] < untreated.state("treg_tumor")[:, day]).all()


def test_sunitinib_kill_shrinks_tumours_beyond_growth_inhibition(immune_compiled, runs):
    """R_TKI (brief §2.4) removes cells at k_TKI E_TKI on top of the cytostatic effect."""
    model = immune_compiled.model
    treated, _ = runs["tki"]
    day = 28
    # the same patients with the kill switched off: same plan, k_TKI = 0
    p, no_kill, plan = _plan(immune_compiled, SUNITINIB, "rcc", 8, 3)
    assert (no_kill[:, model.parameter_index("tki_kill_max")] > 0).all()
    no_kill[:, model.parameter_index("tki_kill_max")] = 0.0
    y0 = baseline_state(immune_compiled, p, np.full(8, CELLS_37MM))
    cytostatic = simulate(immune_compiled, y0, no_kill, T, build_events(8, plan.events))
    assert (_total_tumor(treated)[:, day] < _total_tumor(cytostatic)[:, day]).all()
    assert (treated.state("tumor_dead")[:, day] > cytostatic.state("tumor_dead")[:, day]).all()


def test_bevacizumab_raises_t_cell_infiltration(runs):
    treated, untreated = runs["bev"]
    day = 14
    # effector CD8 per cancer cell (infiltration density; bevacizumab also slows growth)
    density_t = treated.state("teff_tumor")[:, day] / _total_tumor(treated)[:, day]
    density_u = untreated.state("teff_tumor")[:, day] / _total_tumor(untreated)[:, day]
    assert (density_t > density_u).mean() >= 0.75
    assert np.median(density_t / density_u) > 1.1
    assert (treated.state("antivegf_central")[:, day] > 0).all()


def test_chop_lymphodepletes_and_uses_four_slots(runs, immune_compiled):
    treated, untreated = runs["chop"]
    lymph = treated.state("lymphocytes")
    assert (lymph.min(axis=1) < 0.7 * lymph[:, 0]).all()
    assert (untreated.state("lymphocytes").min(axis=1) > 0.9 * lymph[:, 0]).all()
    for slot in ("a", "b", "c", "d"):
        assert (treated.state(f"chemo_{slot}_exposure").max(axis=1) > 0).all()


def test_growth_arrest_plug_is_set_by_sipuleucel_t_only(immune_compiled):
    """i_vac (vaccine_growth_delay) is sipuleucel-T's: 0 for the other vaccines (and without
    a vaccine), so their arms cannot change through the Th1 growth-arrest term."""
    model = immune_compiled.model
    patients = sample_patients(load_tumor_catalog().get("prostate"), 4, seed=1)
    p = sample_parameters(model, np.random.default_rng(1), 4)
    assert (p[:, model.parameter_index("vaccine_growth_delay")] == 0).all()
    for arm, expected in ((GP100, 0.0), (NEO, 0.0), (SIPT, None)):
        plan = plan_arm(model, arm, patients, 84.0, np.random.default_rng(1), p)
        value = plan.parameter_values["vaccine_growth_delay"]
        if expected is None:
            typical = model.parameters[model.parameter_index("sipuleucel_growth_delay")]
            assert np.allclose(value, min(typical.model_value, 1.0))
            assert (value > 0).all()
        else:
            assert (value == expected).all()


def test_sipuleucel_response_builds_slowly_and_only_with_the_product(runs):
    treated, untreated = runs["sipt"]
    assert (untreated.state("vaccine_response") == 0).all()
    r = treated.state("vaccine_response")
    # matures over months (k_R ~ 1/170 per day), not within the first scan interval
    assert (r[:, 42] > 0).all() and (r[:, 42] < 0.4).all()
    assert (np.diff(r[:, 1:], axis=1) > 0).all()


def test_growth_arrest_slows_growth_without_shrinkage(immune_compiled):
    """A mature response (R = 1) with i_vac = 0.5 withholds about half the net growth: the
    tumour grows more slowly but does not shrink; with i_vac = 0, R has no effect."""
    model = immune_compiled.model
    n = 6
    patients = sample_patients(load_tumor_catalog().get("prostate"), n, seed=5)
    p = sample_parameters(model, np.random.default_rng(5), n)
    p = apply_calibration(
        model,
        apply_biomarkers(model, p, patients, load_tumor_catalog().get("prostate")),
        resolve_calibration(None),
    )
    y0 = baseline_state(immune_compiled, p, np.full(n, CELLS_37MM))
    base = simulate(immune_compiled, y0, p, T)
    y_r = y0.copy()
    y_r[:, model.state_index("vaccine_response")] = 1.0
    inert = simulate(immune_compiled, y_r, p, T)
    p_arrest = p.copy()
    p_arrest[:, model.parameter_index("vaccine_growth_delay")] = 0.5
    arrest = simulate(immune_compiled, y_r, p_arrest, T)
    assert base.ok.all() and inert.ok.all() and arrest.ok.all()
    c0, c_base, c_inert, c_arrest = (
        _total_tumor(base)[:, 0],
        _total_tumor(base)[:, -1],
        _total_tumor(inert)[:, -1],
        _total_tumor(arrest)[:, -1],
    )
    np.testing.assert_allclose(c_inert, c_base, rtol=1e-4)
    assert (c_arrest < c_base).all()
    growing = c_base > 1.05 * c0
    assert growing.sum() >= 3
    # no shrinkage from the arrest itself, and about half the log growth (R decays slowly)
    assert (c_arrest[growing] > c0[growing]).all()
    frac = np.log(c_arrest[growing] / c0[growing]) / np.log(c_base[growing] / c0[growing])
    assert ((frac > 0.35) & (frac < 0.75)).all(), frac
