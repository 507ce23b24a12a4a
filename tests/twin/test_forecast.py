import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from immunotwin.errors import InputError
from immunotwin.twin.evidence import response_model_weights
from immunotwin.twin.forecast import km_quantile_months, rank, weighted_km


def _row(key, **kw):
    base = {
        "key": key,
        "expected_qalys": 1.0,
        "p_response": 0.3,
        "median_os_months": 10.0,
        "median_pfs_months": 5.0,
        "net_monetary_benefit": 0.0,
        "p_grade3plus_any_ae": 0.1,
        "expected_cost_usd": 1000.0,
    }
    return base | kw


def test_rank_orders_by_the_criterion():
    rows = [
        _row("a", expected_qalys=0.5, p_response=0.9),
        _row("b", expected_qalys=1.5),
        _row("c", expected_qalys=1.0, p_response=0.1),
    ]
    assert [r["key"] for r in rank([dict(r) for r in rows])] == ["b", "c", "a"]
    assert [r["key"] for r in rank([dict(r) for r in rows], "p_response")] == ["a", "b", "c"]


def test_rank_ties_and_not_reached():
    rows = [
        _row("tox", p_grade3plus_any_ae=0.5),
        _row("safe", p_grade3plus_any_ae=0.0),
        _row("nr", median_os_months=None),
    ]
    ranked = rank(rows, "median_os_months")
    assert [r["key"] for r in ranked] == ["nr", "safe", "tox"]
    assert [r["rank"] for r in ranked] == [1, 2, 3]
    with pytest.raises(InputError, match="rank-by"):
        rank(rows, "cheapest")


def test_weighted_km_equals_lifelines_with_equal_weights():
    rng = np.random.default_rng(0)
    t = rng.exponential(10, 200).round(1)
    e = rng.random(200) < 0.7
    grid = np.array([0.0, 2.0, 5.0, 10.0, 20.0])
    km = KaplanMeierFitter().fit(t, e)
    expected = km.survival_function_at_times(grid).to_numpy()
    assert np.allclose(weighted_km(t, e, np.full(200, 1 / 200), grid), expected, atol=1e-9)
    assert km_quantile_months(t, e, np.ones(200), 0.5) == pytest.approx(km.median_survival_time_)


def test_response_model_weights_combine_odds():
    r = np.array([1] * 20 + [0] * 80, dtype=bool)  # twin says 0.2
    w, info = response_model_weights(r, p_model=0.6, base_rate=0.3)
    odds = 0.2 / 0.8 * (0.6 / 0.4) / (0.3 / 0.7)
    assert info["twin_probability_with"] == pytest.approx(odds / (1 + odds))
    w0, info0 = response_model_weights(r, p_model=0.3, base_rate=0.3)
    assert np.allclose(w0, 1 / 100) and info0["twin_probability_with"] == pytest.approx(0.2)
