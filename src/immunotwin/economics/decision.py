"""Decision rules: ICER, net monetary benefit, dominance and the efficiency frontier.

References: Drummond MF et al., *Methods for the Economic Evaluation of Health Care
Programmes*, 4th ed. 2015, ch. 4; Cantor SB, Med Decis Making 1994;14:259 (extended dominance);
Stinnett AA & Mullahy J, Med Decis Making 1998;18:S68 (net health/monetary benefit).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

IcerStatus = Literal["icer", "dominant", "dominated", "equal_effect", "identical"]


def net_monetary_benefit(
    cost: ArrayLike, qaly: ArrayLike, wtp_per_qaly: float | ArrayLike
) -> NDArray[np.float64]:
    """NMB = willingness-to-pay x QALYs - cost (currency units), elementwise."""
    return np.asarray(wtp_per_qaly, float) * np.asarray(qaly, float) - np.asarray(cost, float)


def icer(delta_cost: float, delta_qaly: float, *, tolerance: float = 1e-12) -> dict[str, object]:
    """Incremental cost-effectiveness ratio of a strategy versus a comparator.

    Returns ``{"icer": float | None, "status": ...}``: ``"dominant"`` (cheaper and at least
    as effective, one strictly), ``"dominated"`` (dearer and at most as effective, one strictly),
    ``"icer"`` (both larger or both smaller: ratio given; in the south-west quadrant it is
    the cost saved per QALY lost), ``"equal_effect"`` (same QALYs, different cost: no ratio),
    ``"identical"``.
    """
    dc, dq = float(delta_cost), float(delta_qaly)
    zero_c, zero_q = abs(dc) <= tolerance, abs(dq) <= tolerance
    if zero_c and zero_q:
        return {"icer": None, "status": "identical"}
    if dc <= tolerance and dq >= -tolerance:
        return {"icer": None, "status": "dominant"}
    if dc >= -tolerance and dq <= tolerance:
        return {"icer": None, "status": "dominated"}
    if zero_q:
        return {"icer": None, "status": "equal_effect"}
    return {"icer": dc / dq, "status": "icer"}


def efficiency_frontier(
    names: Sequence[str], costs: ArrayLike, qalys: ArrayLike
) -> list[dict[str, object]]:
    """Classify strategies: on the frontier, strongly dominated, or extendedly dominated.

    1. Strong dominance: a strategy costing at least as much as another and yielding no more
       QALYs (one strictly) is removed.
    2. Extended dominance: along the remaining strategies sorted by cost, any whose ICER versus
       the previous frontier strategy exceeds the ICER of the next one is removed (it is
       dominated by a mix of its neighbours); repeat until ICERs increase.

    Returns one dict per input strategy (input order): ``name, cost, qaly, status``
    (``"frontier"``, ``"dominated"``, ``"extendedly_dominated"``), ``dominated_by`` and, for
    frontier strategies, ``icer_vs_previous`` (None for the cheapest) and ``previous``.
    """
    c = np.asarray(costs, float)
    q = np.asarray(qalys, float)
    n = len(names)
    if c.shape != (n,) or q.shape != (n,):
        raise ValueError("names, costs and qalys must have the same length")
    status = ["frontier"] * n
    dominated_by: list[str | None] = [None] * n
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            weakly = c[j] <= c[i] and q[j] >= q[i]
            strictly = c[j] < c[i] or q[j] > q[i]
            # exact ties: keep the first listed strategy, drop later duplicates
            if weakly and (strictly or j < i):
                status[i] = "dominated"
                dominated_by[i] = names[j]
                break
    remaining = sorted(
        (i for i in range(n) if status[i] == "frontier"), key=lambda i: (c[i], -q[i])
    )
    changed = True
    while changed and len(remaining) > 2:
        changed = False
        ratios = [
            (c[b] - c[a]) / (q[b] - q[a])
            for a, b in zip(remaining[:-1], remaining[1:], strict=True)
        ]
        for k in range(len(ratios) - 1):
            if ratios[k] > ratios[k + 1]:
                victim = remaining[k + 1]
                status[victim] = "extendedly_dominated"
                dominated_by[victim] = f"{names[remaining[k]]} + {names[remaining[k + 2]]}"
                remaining.pop(k + 1)
                changed = True
                break
    result: list[dict[str, object]] = []
    position = {i: k for k, i in enumerate(remaining)}
    for i in range(n):
        entry: dict[str, object] = {
            "name": names[i],
            "cost": float(c[i]),
            "qaly": float(q[i]),
            "status": status[i],
            "dominated_by": dominated_by[i],
            "icer_vs_previous": None,
            "previous": None,
        }
        if i in position and position[i] > 0:
            prev = remaining[position[i] - 1]
            entry["previous"] = names[prev]
            entry["icer_vs_previous"] = float((c[i] - c[prev]) / (q[i] - q[prev]))
        result.append(entry)
    return result


def optimal_strategy(
    names: Sequence[str], costs: ArrayLike, qalys: ArrayLike, wtp_per_qaly: float
) -> str:
    """The strategy with the highest net monetary benefit at ``wtp_per_qaly``."""
    nmb = net_monetary_benefit(costs, qalys, wtp_per_qaly)
    return names[int(np.argmax(nmb))]


def incremental_table(
    names: Sequence[str],
    costs: ArrayLike,
    qalys: ArrayLike,
    life_years: ArrayLike,
    reference: str,
    wtp_per_qaly: float,
) -> list[dict[str, object]]:
    """Each strategy versus ``reference``: deltas, ICER with status, incremental NMB."""
    c = np.asarray(costs, float)
    q = np.asarray(qalys, float)
    ly = np.asarray(life_years, float)
    r = list(names).index(reference)
    rows = []
    for i, name in enumerate(names):
        if i == r:
            continue
        dc, dq = c[i] - c[r], q[i] - q[r]
        ratio = icer(dc, dq)
        rows.append(
            {
                "arm": name,
                "versus": reference,
                "delta_cost": float(dc),
                "delta_qaly": float(dq),
                "delta_life_years": float(ly[i] - ly[r]),
                "icer": ratio["icer"],
                "icer_status": ratio["status"],
                "incremental_nmb": float(wtp_per_qaly * dq - dc),
                "cost_effective_at_wtp": bool(wtp_per_qaly * dq - dc > 0),
            }
        )
    return rows


def finite_or_none(x: float | None) -> float | None:
    """JSON-safe number: None for None, NaN or infinity."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)
