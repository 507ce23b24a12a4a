"""Fit population-level hyper-parameters to the published calibration arms (likelihood-free).

Method (``immunotwin calibrate``): minimise a robust sum of standardised errors between
simulated and published arm outcomes over a few hyper-parameters in log space.

- **Common random numbers**: every evaluation re-runs the same virtual patients, PK and
  endpoint draws (each spec's seed), so differences between evaluations come from the
  hyper-parameters alone, and the same seed reproduces a fit exactly.
- **Objective**: for every mapped arm with a published value, z = (ORR_sim - ORR_pub) / 7 pp
  (weight 1; ORR first), z = (CR_sim - CR_pub) / 7 pp (weight 0.5), and
  z = ln(median_sim / median_pub) / ln(1.25) for median PFS and OS (weight 0.5 each; a median
  not reached is read at the end of follow-up, a lower bound). Standardising by the target's
  tolerance makes 1 unit = "at the edge of the acceptance band" for every endpoint. Each z
  enters through the soft-L1 loss 2*(sqrt(1 + z^2) - 1), quadratic near 0 and linear far away,
  so arms the model cannot reach (e.g. a therapy effect it lacks) do not dominate the fit.
- **Search**: staged Nelder-Mead (scipy; derivative-free, tolerant of the small steps that
  response counts make at finite n), ORR first: stage 1 fits the response parameters
  (chemotherapy kill, CD8 kill, antigen quality) on the ORR/CR terms, stage 2 the growth rate
  and the death hazard on all terms (:data:`STAGES`). One evaluation simulates every arm
  (~40-80 s at 30 patients per arm on a shared 2-core machine), so the whole fit gets ~20
  evaluations in 15-25 minutes: too few for CMA-ES or Bayesian optimisation in 5 dimensions,
  enough for low-dimensional simplex stages started from the uncalibrated model.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunotwin.population.calibration import ParameterSet
from immunotwin.population.validation import (
    MEDIAN_TOLERANCE,
    ORR_TOLERANCE_PP,
    compare,
    run_arms,
)

log = logging.getLogger(__name__)

WEIGHTS = {"orr": 1.0, "cr": 0.5, "pfs": 0.5, "os": 0.5}
FAILED_ARM_LOSS = 25.0
"""Loss of an arm whose simulation failed (so the search avoids parameters that break the
solver rather than dropping the arm's terms)."""


@dataclass(frozen=True)
class HyperParameter:
    """One fitted coordinate: a multiplier on a model parameter (or group), or a hazard."""

    name: str
    low: float
    high: float
    start: float
    meaning: str = ""


DEFAULT_HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    HyperParameter(
        "chemo_kill_tumor", 0.02, 2.0, 1.0, "x chemotherapy cancer-cell kill (both slots)"
    ),
    HyperParameter("cd8_kill_rate", 0.2, 5.0, 1.0, "x CD8 T-cell killing rate"),
    HyperParameter("antigen_quality", 0.1, 10.0, 1.0, "x antigen quality (priming strength)"),
    HyperParameter("tumor_growth_rate", 0.33, 3.0, 1.0, "x cancer-cell proliferation rate"),
    HyperParameter(
        "tumour_hazard_per_day",
        1.0 / (10 * 365.25),
        1.0 / (0.5 * 365.25),
        1.0 / (3 * 365.25),
        "death hazard at baseline burden (1/day)",
    ),
)


def soft_l1(z: np.ndarray) -> np.ndarray:
    """2*(sqrt(1+z^2)-1): ~z^2 for small z, ~2|z| for large z."""
    return 2.0 * (np.sqrt(1.0 + np.square(z)) - 1.0)


def objective_terms(table: pd.DataFrame) -> pd.DataFrame:
    """Standardised errors z and weighted losses per arm and endpoint (published values only)."""
    rows = []
    for _, r in table.iterrows():
        fu = r["follow_up_months"]
        if isinstance(r["error"], str):
            continue
        for key, pub_col, sim_col in (
            ("orr", "orr_published", "orr_simulated"),
            ("cr", "cr_published", "cr_simulated"),
        ):
            pub, sim = r[pub_col], r[sim_col]
            if np.isfinite(pub) and np.isfinite(sim):
                rows.append((r["trial_id"], r["arm"], key, (sim - pub) / ORR_TOLERANCE_PP))
        for key in ("pfs", "os"):
            pub = r[f"median_{key}_published"]
            sim = r[f"median_{key}_simulated"]
            if not np.isfinite(sim) and r[f"{key}_not_reached"]:
                sim = fu
            if np.isfinite(pub) and np.isfinite(sim) and sim > 0:
                rows.append(
                    (
                        r["trial_id"],
                        r["arm"],
                        key,
                        math.log(sim / pub) / math.log(1 + MEDIAN_TOLERANCE),
                    )
                )
    frame = pd.DataFrame(rows, columns=["trial_id", "arm", "endpoint", "z"])
    frame["loss"] = frame["endpoint"].map(WEIGHTS) * soft_l1(frame["z"].to_numpy())
    failed = table[table["error"].apply(lambda e: isinstance(e, str))]
    if len(failed):
        penalty = pd.DataFrame(
            {
                "trial_id": failed["trial_id"],
                "arm": failed["arm"],
                "endpoint": "error",
                "z": np.nan,
                "loss": FAILED_ARM_LOSS,
            }
        )
        frame = pd.concat([frame, penalty], ignore_index=True)
    return frame


def objective(table: pd.DataFrame) -> float:
    """The fit's objective: weighted soft-L1 loss of standardised errors (lower is better)."""
    return float(objective_terms(table)["loss"].sum())


@dataclass
class FitResult:
    parameter_set: ParameterSet
    history: pd.DataFrame
    table: pd.DataFrame
    best_objective: float
    start_objective: float
    evaluations: int
    seconds: float
    stopped_by: str
    extra: dict[str, Any] = field(default_factory=dict)


class _Budget(Exception):
    pass


def _to_values(x: np.ndarray, hyper: tuple[HyperParameter, ...]) -> dict[str, float]:
    return {
        h.name: float(np.clip(math.exp(v), h.low, h.high)) for v, h in zip(x, hyper, strict=True)
    }


STAGES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("response", ("chemo_kill_tumor", "cd8_kill_rate", "antigen_quality"), ("orr", "cr")),
    (
        "time-to-event",
        ("tumor_growth_rate", "tumour_hazard_per_day"),
        ("orr", "cr", "pfs", "os"),
    ),
)
"""ORR first, then medians: stage 1 moves the response parameters on the ORR/CR terms; stage 2
moves growth and the death hazard on all terms, the stage-1 values held."""


def fit_hyperparameters(
    arms: pd.DataFrame,
    *,
    root: Path,
    patients: int = 30,
    seed: int | None = None,
    hyper: tuple[HyperParameter, ...] = DEFAULT_HYPERPARAMETERS,
    stages: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = STAGES,
    max_evaluations: int = 24,
    max_minutes: float = 25.0,
    base: ParameterSet | None = None,
    start: dict[str, float] | None = None,
    on_evaluation: Callable[[int, float, dict[str, float]], None] | None = None,
) -> FitResult:
    """Fit ``hyper`` to the arms stage by stage with Nelder-Mead (see module docstring).

    Each stage searches its hyper-parameters (log space, clipped to the bounds) on the objective
    restricted to its endpoints; the evaluation and time budgets are shared by all stages.
    Deterministic: the spec seeds fix every virtual patient (common random numbers).
    """
    from scipy.optimize import minimize

    base = base or ParameterSet.identity()
    specs = list(arms["spec"]) + [s for s in arms["hr_control_spec"] if s]
    by_name = {h.name: h for h in hyper}
    start = start or {}
    current = {h.name: math.log(start.get(h.name, h.start)) for h in hyper}
    start_clock = time.perf_counter()
    history: list[dict[str, Any]] = []
    cache: dict[tuple, pd.DataFrame] = {}
    evaluated: dict[tuple, dict[str, float]] = {}

    def table_for(logs: dict[str, float]) -> pd.DataFrame:
        values = {
            n: float(np.clip(math.exp(v), by_name[n].low, by_name[n].high)) for n, v in logs.items()
        }
        key = tuple(round(math.log(values[h.name]), 6) for h in hyper)
        if key not in cache:
            if len(cache) >= max_evaluations or (
                cache and time.perf_counter() - start_clock > 60.0 * max_minutes
            ):
                raise _Budget
            runs = run_arms(
                specs,
                root=root,
                patients=patients,
                seed=seed,
                parameter_set=base.with_values(values),
            )
            cache[key] = compare(arms, runs)
            evaluated[key] = values
            full = objective(cache[key])
            history.append({"evaluation": len(cache), "objective": full, **values})
            if on_evaluation is not None:
                on_evaluation(len(cache), full, values)
        return cache[key]

    def staged(table: pd.DataFrame, endpoints: tuple[str, ...]) -> float:
        terms = objective_terms(table)
        return float(terms.loc[terms["endpoint"].isin((*endpoints, "error")), "loss"].sum())

    stopped_by = "converged"
    start_logs = dict(current)
    try:
        table_for(current)
        for stage, names, endpoints in stages:
            lows = np.log([by_name[n].low for n in names])
            highs = np.log([by_name[n].high for n in names])

            def f(x, names=names, endpoints=endpoints, lows=lows, highs=highs):
                logs = dict(current)
                logs.update(zip(names, np.clip(x, lows, highs), strict=True))
                return staged(table_for(logs), endpoints)

            x0 = np.array([current[n] for n in names])
            step = 0.15 * (highs - lows)
            simplex = np.vstack(
                [x0] + [x0 + np.eye(len(names))[i] * step[i] for i in range(len(names))]
            )
            try:
                res = minimize(
                    f,
                    x0,
                    method="Nelder-Mead",
                    options={"initial_simplex": simplex, "xatol": 0.03, "fatol": 0.2},
                )
                current.update(zip(names, np.clip(res.x, lows, highs), strict=True))
            except _Budget:
                stopped_by = f"budget (in stage '{stage}')"
                # keep the best point this stage has seen
                best = min(
                    (k for k in cache),
                    key=lambda k: staged(cache[k], endpoints),
                )
                current.update(
                    {h.name: v for h, v in zip(hyper, best, strict=True) if h.name in names}
                )
                break
    except _Budget:
        stopped_by = "budget"

    def key_of(logs: dict[str, float]) -> tuple:
        return tuple(
            round(math.log(float(np.clip(math.exp(logs[h.name]), h.low, h.high))), 6) for h in hyper
        )

    final_key = key_of(current)
    if final_key not in cache:  # not reached: every stage ends on an evaluated point
        final_key = min(cache, key=lambda k: objective(cache[k]))
    final = cache[final_key]
    values = evaluated[final_key]  # exactly the values the final table was simulated with
    start_key = key_of(start_logs)
    return FitResult(
        parameter_set=base.with_values(values),
        history=pd.DataFrame(history),
        table=final,
        best_objective=objective(final),
        start_objective=objective(cache[start_key]),
        evaluations=len(cache),
        seconds=time.perf_counter() - start_clock,
        stopped_by=stopped_by,
    )
