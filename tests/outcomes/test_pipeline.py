"""The endpoint layer end to end on synthetic tumour-burden trajectories."""

import numpy as np

from immunotwin.outcomes import (
    IRecist,
    Recist11,
    Response,
    duration_of_response,
    kaplan_meier,
    measure_sld_mm,
    new_lesion_days,
    progression_free_survival,
    response_summary,
    true_sld_mm,
    visit_days,
)


def test_volume_to_pfs_pipeline():
    rng = np.random.default_rng(2024)
    n = 400
    follow_up = 730.0
    days = visit_days(follow_up)
    grid = np.linspace(0.0, follow_up, 147)
    # biexponential burden (Stein/Fojo): shrink at d, regrow at g
    d = rng.lognormal(np.log(0.01), 0.8, n)[:, None]
    g = rng.lognormal(np.log(0.004), 0.6, n)[:, None]

    def burden(t):
        return np.exp(-d * t) + np.exp(g * t) - 1.0

    sld0 = rng.lognormal(np.log(70.0), 0.4, n) + 10.0
    baseline = measure_sld_mm(sld0, rng)
    sld = measure_sld_mm(true_sld_mm(burden(days[None, :]), sld0), rng)
    nl = new_lesion_days(grid, burden(grid[None, :]), 1e-4, 1.0, rng)
    res = Recist11(confirm=True).evaluate(sld, baseline, days, new_lesion_days=nl)
    ires = IRecist().evaluate(sld, baseline, days, new_lesion_days=nl)
    death = np.full(n, np.inf)
    pfs = progression_free_survival(res.pd_day, death, follow_up)
    dor = duration_of_response(res.response_day, res.pd_day, death, follow_up)
    summary = response_summary(res.bor, dor)
    km = kaplan_meier(pfs, landmark_months=[6, 12])
    assert res.ovr.shape == (n, days.size)
    assert 0.05 < summary.orr < 0.95 and summary.dcr >= summary.orr
    assert np.all(
        np.isin(res.bor, [Response.CR, Response.PR, Response.SD, Response.PD, Response.NE])
    )
    # every PD is at a visit; PFS events are exactly the observed progressions
    assert np.all(np.isin(res.pd_day[np.isfinite(res.pd_day)], days))
    assert pfs.event.sum() == np.isfinite(res.pd_day).sum() == km.events
    # iRECIST progression is never earlier than RECIST 1.1
    assert np.all(ires.pd_day >= res.pd_day)
    # waterfall agrees with the responses: responders shrank by >= 30 % at some visit
    assert np.all(res.best_pct_change[res.responder] <= -30.0 + 1e-9)
