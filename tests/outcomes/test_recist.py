"""Golden cases for RECIST 1.1, iRECIST and the Lugano-style variant (Eisenhauer 2009 §4)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from immunotwin.errors import InputError
from immunotwin.outcomes.recist import IRecist, Lugano2014Ct, Recist11, Response

R = Response
Q6W = np.array([42.0, 84.0, 126.0, 168.0])


def one(sizes, baseline=100.0, days=Q6W, criteria=None, **kw):
    criteria = criteria or Recist11()
    sizes = np.atleast_2d(np.asarray(sizes, dtype=float))
    return criteria.evaluate(sizes, np.full(sizes.shape[0], baseline), np.asarray(days), **kw)


def test_pd_is_judged_against_nadir_not_baseline():
    # 50 mm nadir; 62 mm is +24 % / +12 mm over the nadir but still -38 % from baseline.
    r = one([50, 62, 70, 70])
    assert r.ovr[0].tolist() == [R.PR, R.PD, R.NOT_ASSESSED, R.NOT_ASSESSED]
    assert r.pd_day[0] == 84
    assert r.bor[0] == R.PR and r.response_day[0] == 42
    assert r.dor_days[0] == 42 and r.dor_event[0]


def test_five_mm_absolute_rule():
    # nadir 12 mm: 14.4 mm is +20 % but only +2.4 mm -> not PD (SD: -28 % from baseline);
    # 17 mm is +5 mm -> PD
    r = one([12, 14.4, 17, 17], baseline=20.0)
    assert r.ovr[0].tolist()[:3] == [R.PR, R.SD, R.PD]
    # exact boundary: nadir 25 -> 30 mm is +20 % and +5 mm: PD
    r = one([25, 30], baseline=25.0, days=[42, 84])
    assert r.ovr[0].tolist() == [R.SD, R.PD]
    # +20 % but +4.99 mm: not PD
    r = one([24.95, 29.94], baseline=24.95, days=[42, 84])
    assert r.ovr[0].tolist() == [R.SD, R.SD]


def test_pr_threshold_and_cr():
    r = one([70, 69.9, 0, 0])
    assert r.ovr[0].tolist() == [R.PR, R.PR, R.CR, R.CR]
    assert r.bor[0] == R.CR
    assert one([70.01, 80, 90, 100]).ovr[0, 0] == R.SD


def test_reappearance_after_cr_is_pd():
    r = one([0, 5, 5, 5])
    assert r.ovr[0].tolist()[:2] == [R.CR, R.PD]


def test_confirmation_requires_repeat_at_least_28_days_later():
    confirmed = one([60, 65, 70, 75], criteria=Recist11(confirm=True))
    assert confirmed.bor[0] == R.PR and confirmed.response_day[0] == 42
    unconfirmed = one([60, 80, 80, 80], criteria=Recist11(confirm=True))
    assert unconfirmed.bor[0] == R.SD  # unconfirmed PR counts as SD (minimum met)
    assert np.isnan(unconfirmed.response_day[0]) and np.isnan(unconfirmed.dor_days[0])
    assert one([60, 80, 80, 80]).bor[0] == R.PR  # no confirmation needed
    # repeat only 14 days later does not confirm; later SD does not either
    close = one([60, 60, 90], days=[42, 56, 98], criteria=Recist11(confirm=True))
    assert close.bor[0] == R.SD
    cr = one([0, 0, 0, 0], criteria=Recist11(confirm=True))
    assert cr.bor[0] == R.CR
    cr_then_pr = one([0, 60, 60, 60], criteria=Recist11(confirm=True))
    assert cr_then_pr.ovr[0, 1] == R.PD and cr_then_pr.bor[0] == R.SD


def test_sd_minimum_duration():
    # SD at day 35 only, then PD at 70: SD minimum (42 d) not met -> BOR PD
    r = one([100, 130], days=[35, 70])
    assert r.bor[0] == R.PD
    assert one([100, 130], days=[35, 70], criteria=Recist11(sd_min_days=35)).bor[0] == R.SD
    # SD too early and nothing evaluable afterwards -> NE
    assert one([100, np.nan], days=[35, 70]).bor[0] == R.NE
    # SD at the first q6w visit meets the default 42-day minimum
    assert one([100, 130, 130, 130]).bor[0] == R.SD


def test_pr_before_sd_minimum_with_confirmation():
    crit = Recist11(confirm=True, sd_min_days=56)
    days = [28, 56, 84]
    # unconfirmed PR before the SD minimum, then PD: BOR PD (not SD)
    assert one([60, 80, 80], days=days, criteria=crit).bor[0] == R.PD
    # PR before the SD minimum, confirmed 28 days later: BOR PR from day 28
    r = one([60, 60, 80], days=days, criteria=crit)
    assert r.bor[0] == R.PR and r.response_day[0] == 28 and r.pd_day[0] == 84
    # PR before the minimum, not confirmed, SD at the minimum: BOR SD
    assert one([60, 71, 90], days=days, criteria=crit).bor[0] == R.SD
    # the same sequence without confirmation: PR
    assert one([60, 80, 80], days=days, criteria=Recist11(sd_min_days=56)).bor[0] == R.PR


def test_new_lesion_is_pd_at_next_visit():
    r = one([60, 50, 40, 30], new_lesion_days=np.array([100.0]))
    assert r.ovr[0].tolist()[:3] == [R.PR, R.PR, R.PD]
    assert r.pd_day[0] == 126
    on_visit = one([60, 50, 40, 30], new_lesion_days=np.array([84.0]))
    assert on_visit.pd_day[0] == 84


def test_not_assessed_ne_and_censored_dor():
    assessed = np.array([[True, True, False, False]])
    r = one([60, np.nan, 50, 50], assessed=assessed)
    assert r.ovr[0].tolist() == [R.PR, R.NE, R.NOT_ASSESSED, R.NOT_ASSESSED]
    assert np.isinf(r.pd_day[0]) and r.dor_days[0] == 0 and not r.dor_event[0]
    frame = r.to_frame()
    assert frame["ovr"].tolist() == ["PR", "NE"]


def test_waterfall_best_change():
    r = one([[80, 60, 90, 100], [110, 120, 125, 130]])
    np.testing.assert_allclose(r.best_pct_change, [-40.0, 10.0])


def test_unmeasurable_baseline_rejected():
    with pytest.raises(InputError, match="measurable"):
        one([5, 5], baseline=8.0, days=[42, 84])


def test_irecist_pseudoprogression_resets():
    r = one([100, 130, 110, 60], criteria=IRecist())
    assert r.ovr[0].tolist() == [R.SD, R.IUPD, R.SD, R.PR]
    assert r.pseudoprogression[0] and np.isinf(r.pd_day[0]) and np.isinf(r.icpd_day[0])
    assert r.iupd_day[0] == 84
    assert r.bor[0] == R.PR
    # the same series under RECIST 1.1 is PD at day 84
    assert one([100, 130, 110, 60]).pd_day[0] == 84


def test_irecist_confirmed_progression_dates_back_to_iupd():
    r = one([100, 130, 135, 140], criteria=IRecist())
    assert r.ovr[0].tolist() == [R.SD, R.IUPD, R.ICPD, R.NOT_ASSESSED]
    assert r.pd_day[0] == 84 and r.icpd_day[0] == 126 and not r.pseudoprogression[0]
    # +4 mm above iUPD and still PD vs nadir: stays iUPD, confirmed at the next assessment
    r = one([100, 130, 134, 140], criteria=IRecist())
    assert r.ovr[0].tolist() == [R.SD, R.IUPD, R.IUPD, R.ICPD]
    assert r.pd_day[0] == 84 and r.bor[0] == R.SD


def test_irecist_new_lesion_trigger():
    # new lesion, burden falling afterwards -> reset; an additional lesion later -> iUPD again
    r = one([90, 80, 70, 60], criteria=IRecist(), new_lesion_days=np.array([[60.0, 150.0]]))
    assert r.ovr[0].tolist() == [R.SD, R.IUPD, R.PR, R.IUPD]
    assert np.isfinite(r.pd_day[0]) and r.pd_day[0] == 168  # unconfirmed, no later scan
    # new lesion, then a second new lesion at the confirmation visit -> iCPD
    r = one([90, 90, 90, 90], criteria=IRecist(), new_lesion_days=np.array([[60.0, 100.0]]))
    assert r.ovr[0].tolist()[:3] == [R.SD, R.IUPD, R.ICPD]
    # new-lesion iUPD then target lesions newly meet PD -> iCPD
    r = one([90, 90, 110, 110], criteria=IRecist(), new_lesion_days=np.array([60.0]))
    assert r.ovr[0].tolist()[:3] == [R.SD, R.IUPD, R.ICPD]


def test_lugano_spd_thresholds():
    crit = Lugano2014Ct()
    r = one([500, 740, 750, 750], baseline=1000.0, criteria=crit)
    # 740 is +48 % over the 500 nadir (not PD) and above 50 % of baseline (not PR)
    assert r.ovr[0].tolist()[:3] == [R.PR, R.SD, R.PD]
    r = one([600, 890, 900, 900], baseline=1000.0, criteria=crit)
    assert r.ovr[0].tolist()[:3] == [R.SD, R.SD, R.PD]  # +50 % over the 600 nadir
    assert "Lugano" in r.criteria


_RANK = {R.CR: 0, R.PR: 1, R.SD: 2, R.PD: 3, R.NE: 4}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 300), min_size=1, max_size=8), st.floats(10, 200))
def test_invariants(sizes, baseline):
    days = 42.0 * np.arange(1, len(sizes) + 1)
    plain = one(sizes, baseline=baseline, days=days)
    conf = one(sizes, baseline=baseline, days=days, criteria=Recist11(confirm=True))
    # confirmation can only make BOR worse or equal
    assert _RANK[R(conf.bor[0])] >= _RANK[R(plain.bor[0])]
    # progression is a visit day, and nothing is assessed after it
    if np.isfinite(plain.pd_day[0]):
        j = int(np.flatnonzero(days == plain.pd_day[0])[0])
        assert plain.ovr[0, j] == R.PD
        assert np.all(plain.ovr[0, j + 1 :] == R.NOT_ASSESSED)
    # iRECIST never declares progression earlier than RECIST 1.1
    ir = one(sizes, baseline=baseline, days=days, criteria=IRecist())
    assert ir.pd_day[0] >= plain.pd_day[0]
