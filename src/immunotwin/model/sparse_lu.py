"""Straight-line sparse LU for the Newton matrix W = fac*I - J of one model.

The sparsity of J is known symbolically, so elimination is planned once: a greedy
minimum-degree ordering keeps fill-in small, and the factorisation and solves are emitted as
scalar statements with no loops or index arrays (one model, one code). There is no pivoting:
the integrator rejects a step whose pivot is not finite and non-zero and retries with a smaller
step, which makes W more diagonally dominant (fac = 1/(gamma*h) grows).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LUPlan:
    """Ordering and storage of W's factors: ``slot[(i, j)]`` indexes the flat array ``w``."""

    n: int
    order: tuple[int, ...]  # order[k] = original state index eliminated k-th
    slot: dict[tuple[int, int], int]  # (row, col) in eliminated (permuted) coordinates


def minimum_degree_order(n: int, pattern: set[tuple[int, int]]) -> tuple[int, ...]:
    """Greedy minimum-degree elimination order on the symmetrised pattern."""
    adj = {i: set() for i in range(n)}
    for i, j in pattern:
        if i != j:
            adj[i].add(j)
            adj[j].add(i)
    remaining = set(range(n))
    order = []
    while remaining:
        node = min(remaining, key=lambda v: (len(adj[v] & remaining), v))
        neighbours = adj[node] & remaining
        for a in neighbours:
            adj[a] |= neighbours - {a}
        remaining.remove(node)
        order.append(node)
    return tuple(order)


def plan_lu(n: int, jac_pattern: set[tuple[int, int]]) -> LUPlan:
    """Elimination order and fill-in for W whose off-diagonal pattern is ``jac_pattern``."""
    order = minimum_degree_order(n, jac_pattern)
    position = {old: new for new, old in enumerate(order)}
    filled = {(position[i], position[j]) for i, j in jac_pattern} | {(k, k) for k in range(n)}
    for k in range(n):
        rows = [i for i in range(k + 1, n) if (i, k) in filled]
        cols = [j for j in range(k + 1, n) if (k, j) in filled]
        for i in rows:
            for j in cols:
                filled.add((i, j))
    slot = {rc: s for s, rc in enumerate(sorted(filled))}
    return LUPlan(n=n, order=order, slot=slot)


def emit_factor(plan: LUPlan, jac_slots: dict[tuple[int, int], int]) -> list[str]:
    """Source lines of ``model_factor(jv, fac, w, dinv) -> bool``.

    ``jv`` holds J's non-zeros (``jac_slots`` maps original (i, j) to its index); on return
    ``w`` holds L (unit diagonal, below) and U (above), ``dinv`` the inverse pivots.

    The elimination runs on local scalars (``w<slot>``, ``d<k>``) that are stored into ``w``
    and ``dinv`` once at the end: the compiler can keep them in registers instead of
    re-loading array entries it cannot prove un-aliased. The floating-point operations and
    their order are those of the in-place version, so the factors are bit-identical.
    """
    n, order, slot = plan.n, plan.order, plan.slot
    position = {old: new for new, old in enumerate(order)}
    lines = ["def model_factor(jv, fac, w, dinv):"]
    jac_at = {(position[i], position[j]): s for (i, j), s in jac_slots.items()}
    for (r, c), s in sorted(slot.items(), key=lambda kv: kv[1]):
        j_term = f"jv[{jac_at[(r, c)]}]" if (r, c) in jac_at else None
        if r == c:
            lines.append(f"    w{s} = fac - {j_term}" if j_term else f"    w{s} = fac")
        else:
            lines.append(f"    w{s} = -{j_term}" if j_term else f"    w{s} = 0.0")
    for k in range(n):
        kk = slot[(k, k)]
        lines.append(f"    if not (abs(w{kk}) > 1e-300 and abs(w{kk}) < 1e300):")
        lines.append("        return False")
        lines.append(f"    d{k} = 1.0 / w{kk}")
        rows = [i for i in range(k + 1, n) if (i, k) in slot]
        cols = [j for j in range(k + 1, n) if (k, j) in slot]
        for i in rows:
            ik = slot[(i, k)]
            lines.append(f"    w{ik} = w{ik} * d{k}")
            for j in cols:
                ij = slot[(i, j)]
                lines.append(f"    w{ij} = w{ij} - w{ik} * w{slot[(k, j)]}")
    for s in sorted(slot.values()):
        lines.append(f"    w[{s}] = w{s}")
    for k in range(n):
        lines.append(f"    dinv[{k}] = d{k}")
    lines.append("    return True")
    return lines


def emit_solve(plan: LUPlan) -> list[str]:
    """Source lines of ``model_solve(w, dinv, b, x)``: x = W^-1 b (b is not modified)."""
    n, order, slot = plan.n, plan.order, plan.slot
    lines = ["def model_solve(w, dinv, b, x):"]
    for k in range(n):
        terms = "".join(f" - w[{slot[(k, j)]}] * z{j}" for j in range(k) if (k, j) in slot)
        lines.append(f"    z{k} = b[{order[k]}]{terms}")
    for k in reversed(range(n)):
        terms = "".join(f" - w[{slot[(k, j)]}] * z{j}" for j in range(k + 1, n) if (k, j) in slot)
        lines.append(f"    z{k} = (z{k}{terms}) * dinv[{k}]")
        lines.append(f"    x[{order[k]}] = z{k}")
    return lines
