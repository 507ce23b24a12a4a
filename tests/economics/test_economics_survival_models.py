"""Kaplan-Meier, tail extrapolation, crossing warning, and the three arm-level models."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from immunotwin.economics import CurveCrossingWarning, EconomicsSettings, ExtrapolationWarning
from immunotwin.economics.costs import resource_use
from immunotwin.economics.discounting import DAYS_PER_MONTH, DAYS_PER_YEAR, discounted_time_years
from immunotwin.economics.models import (
    ArmOutcomes,
    evaluate,
    partitioned_survival,
    state_transition,
    unit_values,
    within_trial,
)
from immunotwin.economics.settings import PsaSettings
from immunotwin.economics.survival import (
    cap_pfs_at_os,
    extrapolated_curve,
    fit_tail_hazard,
    kaplan_meier,
)


def test_kaplan_meier_matches_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(0)
    t = np.round(rng.exponential(300, 200))
    e = rng.random(200) < 0.7
    times, surv = kaplan_meier(t, e)
    kmf = lifelines.KaplanMeierFitter().fit(t, e)
    ref = kmf.survival_function_at_times(times).to_numpy()
    np.testing.assert_allclose(surv, ref, rtol=1e-12)


def test_kaplan_meier_hand_example():
    # times 1,2,2,3(censored),4: S(1)=4/5, S(2)=4/5*2/4=0.4, S(4)=0.4*0/1=0
    times, surv = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 1, 0, 1])
    assert list(times) == [1, 2, 4]
    np.testing.assert_allclose(surv, [0.8, 0.4, 0.0])


def test_tail_hazard_recovers_exponential_rate():
    rng = np.random.default_rng(1)
    true = 1 / 400.0
    t = rng.exponential(1 / true, 20_000)
    e = t < 1500
    t = np.minimum(t, 1500)
    hazard, events = fit_tail_hazard(t, e, 1 / 3)
    assert events > 500
    assert hazard == pytest.approx(true, rel=0.08)
    curve = extrapolated_curve(t, e)
    # continuous at the end of follow-up, exponential beyond it
    s_tau = curve(1500.0)
    assert curve(1500.0 + 400.0) == pytest.approx(s_tau * np.exp(-hazard * 400.0))


def test_flat_tail_warns():
    t = np.array([10, 20, 30, 400, 400, 400.0])
    e = np.array([1, 1, 1, 0, 0, 0])
    with pytest.warns(ExtrapolationWarning, match="flat"):
        curve = extrapolated_curve(t, e, label="arm PFS")
    assert curve(5000.0) == pytest.approx(0.5)


def test_crossing_curves_warn_and_cap():
    grid = np.array([0.0, 100.0, 200.0, 300.0])
    pfs = np.array([1.0, 0.6, 0.5, 0.45])
    os_ = np.array([1.0, 0.8, 0.5, 0.30])
    with pytest.warns(CurveCrossingWarning, match="day 300"):
        capped = cap_pfs_at_os(grid, pfs, os_, label="arm X")
    np.testing.assert_allclose(capped, [1.0, 0.6, 0.5, 0.30])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cap_pfs_at_os(grid, pfs, pfs + 0.1)  # no crossing, no warning


def _patients(pfs_m, pfs_e, os_m, os_e, bor=None):
    n = len(pfs_m)
    return pd.DataFrame(
        {
            "patient_id": np.arange(n),
            "arm": "a",
            "pfs_months": pfs_m,
            "pfs_event": pfs_e,
            "os_months": os_m,
            "os_event": os_e,
            "best_overall_response": bor or ["SD"] * n,
        }
    )


EMPTY_DOSES = pd.DataFrame(
    {
        "patient_id": pd.Series(dtype=int),
        "arm": pd.Series(dtype=str),
        "drug": pd.Series(dtype=str),
        "day": pd.Series(dtype=float),
        "amount": pd.Series(dtype=float),
        "amount_unit": pd.Series(dtype=str),
    }
)


def test_within_trial_single_patient_by_hand():
    # PFS 12 months (= 1 year), OS 36 months (= 3 years), both events; stable disease.
    s = EconomicsSettings(psa=PsaSettings(n_draws=0), end_of_life_cost_usd=31114.0)
    patients = _patients([12.0], [1], [36.0], [1])
    use = resource_use(patients, EMPTY_DOSES, s)
    q = within_trial(ArmOutcomes.from_patients(patients), use, np.array([0]), s)
    v = 1 / 1.03
    ln = np.log(1.03)
    assert q.pf_years == pytest.approx((1 - v) / ln)
    assert q.life_years == pytest.approx((1 - v**3) / ln)
    assert q.life_years_undiscounted == pytest.approx(3.0)
    res = evaluate(q, unit_values(s, use, "a"))
    assert res["qalys"] == pytest.approx(0.653 * (1 - v) / ln + 0.473 * (v - v**3) / ln)
    # terminal care at death (3 years, continuous discounting) + weekly monitoring by state
    assert res["costs"]["end_of_life"] == pytest.approx(31114.0 * v**3)
    weeks = DAYS_PER_YEAR / 7
    assert res["costs"]["monitoring_pf"] == pytest.approx(772 * weeks * (1 - v) / ln)
    assert res["costs"]["monitoring_pd"] == pytest.approx(1791 * weeks * (v - v**3) / ln)


def test_partitioned_survival_equals_mean_time_without_censoring():
    rng = np.random.default_rng(2)
    pfs = rng.exponential(8, 400)
    os_ = pfs + rng.exponential(10, 400)
    patients = _patients(pfs, np.ones(400, int), os_, np.ones(400, int))
    s = EconomicsSettings(
        grid_days=1.0,
        discount_rate_outcomes_per_year=0.0,
        discount_rate_costs_per_year=0.0,
        horizon_years=50,
    )
    use = resource_use(patients, EMPTY_DOSES, s)
    out = ArmOutcomes.from_patients(patients)
    idx = np.arange(400)
    q = partitioned_survival(out, use, idx, s)
    # area under a complete KM curve is the sample mean
    assert q.life_years == pytest.approx(os_.mean() * DAYS_PER_MONTH / DAYS_PER_YEAR, rel=2e-3)
    assert q.pf_years == pytest.approx(pfs.mean() * DAYS_PER_MONTH / DAYS_PER_YEAR, rel=2e-3)
    assert q.deaths == pytest.approx(1.0, abs=1e-9)
    assert q.progressions == pytest.approx(1.0, abs=1e-9)
    wt = within_trial(out, use, idx, s)
    assert wt.life_years == pytest.approx(q.life_years, rel=2e-3)


def test_markov_matches_partitioned_survival_for_exponential_data():
    rng = np.random.default_rng(3)
    n = 3000
    pfs = rng.exponential(6 / np.log(2), n)
    os_ = pfs + rng.exponential(9 / np.log(2), n)
    fu = 60.0
    patients = _patients(
        np.minimum(pfs, fu), (pfs <= fu).astype(int), np.minimum(os_, fu), (os_ <= fu).astype(int)
    )
    s = EconomicsSettings()
    use = resource_use(patients, EMPTY_DOSES, s)
    out = ArmOutcomes.from_patients(patients)
    idx = np.arange(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ps = partitioned_survival(out, use, idx, s)
    mk = state_transition(out, use, idx, s)
    # PFS is exponential, so the Markov PF occupancy is exact; OS is not exponential
    # (PF + PD sojourns), so the constant-hazard Markov model agrees only approximately
    assert mk.pf_years == pytest.approx(ps.pf_years, rel=0.03)
    assert mk.life_years == pytest.approx(ps.life_years, rel=0.05)
    assert discounted_time_years(s.horizon_years * DAYS_PER_YEAR, 0.03) > ps.life_years


def test_partitioned_survival_warns_when_pfs_curve_crosses_os():
    # PFS censors 5 patients at 15-24 months (curve stays at 0.5) while they die at 17-22
    # months: OS (0.2 at 22 months) falls below PFS -> warning, not an error.
    pfs = np.array([1, 2, 3, 4, 5, 15, 15.5, 15.9, 24, 24])
    pfs_e = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    os_ = np.array([3, 5, 8, 10, 12, 17, 20, 22, 24, 24.0])
    os_e = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    patients = _patients(pfs, pfs_e, os_, os_e)
    s = EconomicsSettings()
    use = resource_use(patients, EMPTY_DOSES, s)
    with (
        pytest.warns(CurveCrossingWarning, match="crossing arm"),
        pytest.warns(ExtrapolationWarning),
    ):
        q = partitioned_survival(
            ArmOutcomes.from_patients(patients), use, np.arange(10), s, label="crossing arm"
        )
    assert q.pd_years >= 0.0
    assert q.pf_years <= q.life_years


def test_per_patient_results_average_to_within_trial_view():
    import tempfile
    from pathlib import Path

    from economics_testdata import make_run

    from immunotwin.economics.io import read_trial_run
    from immunotwin.economics.models import per_patient_results

    with tempfile.TemporaryDirectory() as tmp:
        run = read_trial_run(make_run(Path(tmp) / "r", n_per_arm=50))
    s = EconomicsSettings()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        use = resource_use(run.patients, run.doses, s)
    table = per_patient_results(run.patients, use, s)
    assert len(table) == len(run.patients)
    for arm in run.arm_names:
        idx = np.flatnonzero((run.patients["arm"] == arm).to_numpy())
        res = evaluate(
            within_trial(ArmOutcomes.from_patients(run.patients.iloc[idx]), use, idx, s),
            unit_values(s, use, arm),
        )
        sub = table[table["arm"] == arm]
        assert sub["cost_total"].mean() == pytest.approx(res["total_cost"])
        assert sub["life_years"].mean() == pytest.approx(res["life_years"])
        assert sub["qalys"].mean() == pytest.approx(res["qalys"])
