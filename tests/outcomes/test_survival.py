import math

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times
from scipy.stats import binomtest

from immunotwin.errors import InputError
from immunotwin.outcomes.recist import Response
from immunotwin.outcomes.survival import (
    DAYS_PER_MONTH,
    TimeToEvent,
    arm_table,
    clopper_pearson,
    duration_of_response,
    hazard_ratio,
    kaplan_meier,
    overall_survival,
    progression_free_survival,
    response_summary,
)

INF = math.inf


def months(values):
    return np.asarray(values, dtype=float) * DAYS_PER_MONTH


def test_pfs_os_dor_definitions():
    pd_day = np.array([100, INF, INF, 300, 50])
    death = np.array([400, 200, INF, 250, INF])
    censor = np.array([500, 500, 500, 500, 40])
    pfs = progression_free_survival(pd_day, death, censor)
    np.testing.assert_array_equal(pfs.time_days, [100, 200, 500, 250, 40])
    np.testing.assert_array_equal(pfs.event, [True, True, False, True, False])
    np.testing.assert_array_equal(pfs.cnsr, [0, 0, 1, 0, 1])
    os_ = overall_survival(death, censor)
    np.testing.assert_array_equal(os_.time_days, [400, 200, 500, 250, 40])
    np.testing.assert_array_equal(os_.event, [True, True, False, True, False])
    dor = duration_of_response(np.array([42, np.nan, 84, 42, np.nan]), pd_day, death, censor)
    np.testing.assert_array_equal(dor.time_days[[0, 2, 3]], [58, 416, 208])
    assert np.isnan(dor.time_days[[1, 4]]).all()
    np.testing.assert_array_equal(dor.event, [True, False, False, True, False])
    # censoring at the last adequate assessment instead of end of follow-up
    pfs2 = progression_free_survival(
        pd_day, death, censor, last_assessment_day=np.array([84, 168, 462, 210, 0])
    )
    assert pfs2.time_days[2] == 462


def test_negative_day_rejected():
    with pytest.raises(InputError, match="death_day"):
        overall_survival(np.array([-1.0]), 100.0)


def test_hand_computed_kaplan_meier():
    # times (months) 1,2,2+,3,4+,5 ; S = 5/6, 4/6, 4/6*2/3 = 4/9 at 3, 0 at 5
    tte = TimeToEvent(months([1, 2, 2, 3, 4, 5]), np.array([1, 1, 0, 1, 0, 1], bool), "OS")
    km = kaplan_meier(tte, at_risk_months=[0, 2, 3.5], landmark_months=[2.5, 4, 6])
    np.testing.assert_allclose(km.landmarks["survival"].iloc[:2], [4 / 6, 4 / 9])
    assert np.isnan(km.landmarks["survival"].iloc[2])  # beyond the last time
    assert km.median_months == pytest.approx(3.0)
    assert km.at_risk["at_risk"].tolist() == [6, 5, 2]
    assert km.at_risk["events"].tolist() == [0, 2, 3]
    assert km.at_risk["censored"].tolist() == [0, 1, 1]
    assert (km.n, km.events) == (6, 4)


def _simulated_arms(seed=11, n=300):
    rng = np.random.default_rng(seed)
    t_exp = rng.exponential(400, n)
    t_ctl = rng.exponential(250, n)
    cens = rng.uniform(200, 900, 2 * n)
    exp = overall_survival(t_exp, cens[:n])
    ctl = overall_survival(t_ctl, cens[n:])
    return exp, ctl


def test_kaplan_meier_equals_lifelines():
    exp, _ = _simulated_arms()
    km = kaplan_meier(exp, landmark_months=[6, 12])
    ref = KaplanMeierFitter().fit(exp.time_months, exp.event)
    assert km.median_months == pytest.approx(ref.median_survival_time_)
    ref_ci = median_survival_times(ref.confidence_interval_).to_numpy().ravel()
    np.testing.assert_allclose(km.median_ci95, ref_ci)
    np.testing.assert_allclose(
        km.landmarks["survival"], ref.survival_function_at_times([6, 12]).to_numpy()
    )
    np.testing.assert_allclose(km.curve["ci_lower"], ref.confidence_interval_.iloc[:, 0])


def test_cox_hazard_ratio_equals_lifelines():
    exp, ctl = _simulated_arms()
    hr = hazard_ratio(exp, ctl)
    df = pd.DataFrame(
        {
            "t": np.r_[exp.time_months, ctl.time_months],
            "e": np.r_[exp.event, ctl.event].astype(int),
            "x": np.r_[np.ones(exp.time_days.size), np.zeros(ctl.time_days.size)],
        }
    )
    ref = CoxPHFitter().fit(df, "t", "e").summary.loc["x"]
    assert hr.hr == pytest.approx(ref["exp(coef)"])
    assert hr.ci95 == pytest.approx((ref["exp(coef) lower 95%"], ref["exp(coef) upper 95%"]))
    assert hr.hr < 1 and hr.ci95[1] < 1  # true HR 250/400 = 0.625
    assert 0 <= hr.logrank_p < 0.05


def test_hazard_ratio_without_events_is_nan():
    none = overall_survival(np.full(5, INF), 100.0)
    assert math.isnan(hazard_ratio(none, none).hr)


def test_orr_ci_equals_scipy_exact():
    for k, n in [(0, 20), (7, 20), (20, 20), (45, 100)]:
        ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert clopper_pearson(k, n) == pytest.approx((ref.low, ref.high))


def test_response_summary_rates():
    bor = np.array(
        [
            Response.CR,
            Response.PR,
            Response.PR,
            Response.SD,
            Response.PD,
            Response.NE,
            Response.SD,
            Response.PD,
            Response.PD,
            Response.PD,
        ]
    )
    dor = TimeToEvent(
        np.array([300, 100, 200] + [np.nan] * 7, float), np.array([0, 1, 1] + [0] * 7, bool), "DOR"
    )
    s = response_summary(bor, dor)
    assert (s.n, s.orr, s.cr_rate, s.dcr) == (10, 0.3, 0.1, 0.5)
    assert s.median_dor_months == pytest.approx(200 / DAYS_PER_MONTH)
    ref = binomtest(3, 10).proportion_ci(method="exact")
    assert s.orr_ci95 == pytest.approx((ref.low, ref.high))


def test_arm_table_has_hr_against_control_only():
    exp, ctl = _simulated_arms()
    table = arm_table({"io": exp, "chemo": ctl}, control="chemo", landmark_months=[12])
    assert table["arm"].tolist() == ["io", "chemo"]
    assert table.loc[0, "hr_vs_control"] == pytest.approx(hazard_ratio(exp, ctl).hr)
    assert math.isnan(table.loc[1, "hr_vs_control"])
    assert {"rate_12m", "rate_12m_ci_lower", "rate_12m_ci_upper"} <= set(table.columns)
    with pytest.raises(InputError, match="control arm"):
        arm_table({"io": exp}, control="chemo")
