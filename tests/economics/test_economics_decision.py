"""ICER, NMB, dominance and extended dominance on hand-computed examples."""

from __future__ import annotations

import pytest

from immunotwin.economics.decision import (
    efficiency_frontier,
    icer,
    incremental_table,
    net_monetary_benefit,
    optimal_strategy,
)


def test_icer_quadrants():
    assert icer(30_000, 0.5) == {"icer": 60_000.0, "status": "icer"}
    assert icer(-1_000, 0.2)["status"] == "dominant"
    assert icer(1_000, -0.2)["status"] == "dominated"
    assert icer(1_000, 0.0)["status"] == "dominated"
    assert icer(-1_000, 0.0)["status"] == "dominant"
    sw = icer(-20_000, -0.5)  # south-west: cost saved per QALY lost
    assert sw == {"icer": 40_000.0, "status": "icer"}
    assert icer(0.0, 0.0)["status"] == "identical"


def test_net_monetary_benefit():
    # 50,000/QALY x 2 QALY - 60,000 = 40,000
    assert net_monetary_benefit(60_000, 2.0, 50_000) == pytest.approx(40_000)
    assert list(net_monetary_benefit([0, 10], [1, 1], 5)) == [5, -5]


# Five strategies (cost, QALY), worked by hand:
#   A (0, 0.0)  B (10,000, 0.2)  C (15,000, 0.5)  D (40,000, 1.0)  E (20,000, 0.4)
# E costs more than C and yields less -> strongly dominated by C.
# Sorted A, B, C, D: ICER A->B 50,000; B->C 16,667 < 50,000 -> B extendedly dominated.
# Frontier A, C, D: ICER A->C 30,000; C->D 50,000 (increasing, done).
NAMES = ["A", "B", "C", "D", "E"]
COSTS = [0.0, 10_000.0, 15_000.0, 40_000.0, 20_000.0]
QALYS = [0.0, 0.2, 0.5, 1.0, 0.4]


def test_frontier_dominance_and_extended_dominance():
    frontier = {f["name"]: f for f in efficiency_frontier(NAMES, COSTS, QALYS)}
    assert frontier["E"]["status"] == "dominated"
    assert frontier["E"]["dominated_by"] == "C"
    assert frontier["B"]["status"] == "extendedly_dominated"
    assert frontier["B"]["dominated_by"] == "A + C"
    assert [n for n in NAMES if frontier[n]["status"] == "frontier"] == ["A", "C", "D"]
    assert frontier["A"]["icer_vs_previous"] is None
    assert frontier["C"]["icer_vs_previous"] == pytest.approx(30_000)
    assert frontier["C"]["previous"] == "A"
    assert frontier["D"]["icer_vs_previous"] == pytest.approx(50_000)


def test_frontier_chain_of_extended_dominance():
    # B and C both extendedly dominated once removed in turn: ICERs 100k, 50k, 10k -> keep A, D
    names = ["A", "B", "C", "D"]
    costs = [0, 100_000, 150_000, 160_000]
    qalys = [0, 1.0, 2.0, 3.0]
    status = {f["name"]: f["status"] for f in efficiency_frontier(names, costs, qalys)}
    assert status == {
        "A": "frontier",
        "B": "extendedly_dominated",
        "C": "extendedly_dominated",
        "D": "frontier",
    }


def test_optimal_strategy_matches_frontier_icers():
    # at WTP 40,000 C is optimal (A->C 30k accepted, C->D 50k rejected); at 60,000 D is
    assert optimal_strategy(NAMES, COSTS, QALYS, 40_000) == "C"
    assert optimal_strategy(NAMES, COSTS, QALYS, 60_000) == "D"
    assert optimal_strategy(NAMES, COSTS, QALYS, 10_000) == "A"


def test_incremental_table_against_reference():
    rows = {r["arm"]: r for r in incremental_table(NAMES, COSTS, QALYS, QALYS, "A", 40_000)}
    assert rows["D"]["icer"] == pytest.approx(40_000)
    assert rows["D"]["incremental_nmb"] == pytest.approx(0.0)
    assert rows["C"]["cost_effective_at_wtp"] is True
    assert "A" not in rows
