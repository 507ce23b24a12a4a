"""Batched stiff integration of N virtual patients: the engine's one entry point.

``simulate`` is a pure function of arrays: the same inputs give bit-identical outputs whatever
the chunk size, executor or worker count, because every patient is integrated independently
with its own adaptive step (no lock-step across the batch). A patient that fails gets a status
and NaN outputs from the failure on; its batch-mates are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from immunotwin.engine.events import Events
from immunotwin.engine.executors import Executor, SerialExecutor
from immunotwin.errors import SolverError
from immunotwin.model.compile import CompiledModel


class SolveStatus(IntEnum):
    """Per-patient outcome of the integration; ``message`` says what to do about it."""

    OK = 0
    MAX_STEPS = 1
    NON_FINITE = 2
    STEP_UNDERFLOW = 3

    @property
    def message(self) -> str:
        return {
            0: "Integrated successfully.",
            1: "The maximum number of solver steps was reached. Increase `max_steps` or check "
            "the patient's parameters for very fast dynamics.",
            2: "A state became infinite or NaN: the model diverged for this patient's "
            "parameters (for example unbounded growth).",
            3: "The step size fell below 1e-12 days: the dynamics are too stiff or "
            "discontinuous for this patient's parameters.",
        }[int(self)]


ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SimulationResult:
    """States of every patient at every output time.

    ``states[patient, time, state]`` in the model's state units; ``status[patient]`` is a
    :class:`SolveStatus` code; ``n_steps`` counts attempted steps.
    """

    t: np.ndarray
    states: np.ndarray
    status: np.ndarray
    n_steps: np.ndarray
    state_names: tuple[str, ...]

    @property
    def ok(self) -> np.ndarray:
        return self.status == SolveStatus.OK

    def state(self, name: str) -> np.ndarray:
        """One state's trajectory for all patients, shape (n_patients, n_times)."""
        return self.states[:, :, self.state_names.index(name)]

    def failures(self) -> list[tuple[int, SolveStatus]]:
        return [(int(i), SolveStatus(int(self.status[i]))) for i in np.flatnonzero(~self.ok)]


@dataclass(frozen=True)
class _Chunk:
    compiled: CompiledModel
    y0: np.ndarray
    params: np.ndarray
    values: np.ndarray
    events: Events
    t0: float
    t_eval: np.ndarray
    atol: np.ndarray
    rtol: float
    h0: float
    nonneg: np.ndarray
    max_steps: int


def _run_chunk(chunk: _Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = chunk.y0.shape[0]
    out = np.empty((n, chunk.t_eval.shape[0], chunk.compiled.n_states))
    status = np.zeros(n, dtype=np.int64)
    n_steps = np.zeros(n, dtype=np.int64)
    ev = chunk.events
    chunk.compiled.kernel.integrate_batch(
        chunk.y0,
        chunk.params,
        chunk.t0,
        chunk.t_eval,
        ev.times,
        ev.kinds,
        ev.index,
        ev.index2,
        chunk.values,
        chunk.atol,
        chunk.rtol,
        chunk.h0,
        chunk.nonneg,
        chunk.max_steps,
        out,
        status,
        n_steps,
    )
    return out, status, n_steps


def _as_batch(array: np.ndarray, n: int, width: int, name: str) -> np.ndarray:
    a = np.asarray(array, dtype=np.float64)
    if a.ndim == 1:
        a = np.broadcast_to(a, (n, a.shape[0]))
    if a.shape != (n, width):
        raise SolverError(
            f"{name} has shape {a.shape}, expected ({n}, {width})",
            source="simulate()",
            fix=f"pass one row of {width} values per patient",
        )
    return np.ascontiguousarray(a)


def simulate(
    compiled: CompiledModel,
    y0: np.ndarray,
    params: np.ndarray,
    t_eval: np.ndarray,
    events: Events | None = None,
    *,
    t0: float = 0.0,
    rtol: float = 1e-6,
    atol: float | np.ndarray | None = None,
    h0: float = 1e-3,
    max_steps: int = 200_000,
    chunk_size: int = 2048,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
) -> SimulationResult:
    """Integrate N patients of ``compiled`` from ``t0`` over ``t_eval`` (days).

    Parameters
    ----------
    y0, params : (n_patients, n_states) and (n_patients, n_params); a 1-D array is shared.
    t_eval : increasing output times in days, all >= t0.
    events : dose/schedule events on a common time grid (see :mod:`immunotwin.engine.events`).
    rtol, atol : error control; ``atol`` defaults to each state's ``abs_tol`` or 1e-9.
    chunk_size : patients per task; memory is bounded by one chunk's outputs per worker.
    executor : how chunks run (serial by default); results do not depend on it.
    progress : called as ``progress(patients_done, n_patients)`` after each chunk.
    """
    t_eval = np.ascontiguousarray(t_eval, dtype=np.float64)
    if t_eval.ndim != 1 or t_eval.size == 0 or np.any(np.diff(t_eval) < 0) or t_eval[0] < t0:
        raise SolverError(
            "t_eval must be a non-empty increasing 1-D array with t_eval[0] >= t0",
            source="simulate()",
        )
    if not (0 < rtol < 1):
        raise SolverError(f"rtol={rtol} must lie in (0, 1)", source="simulate()")
    params_arr = np.asarray(params, dtype=np.float64)
    y0_arr = np.asarray(y0, dtype=np.float64)
    n = max(
        params_arr.shape[0] if params_arr.ndim == 2 else 1,
        y0_arr.shape[0] if y0_arr.ndim == 2 else 1,
    )
    y0_arr = _as_batch(y0_arr, n, compiled.n_states, "y0")
    params_arr = _as_batch(params_arr, n, compiled.n_params, "params")
    events = events if events is not None else Events.empty(n)
    if events.n_patients != n:
        raise SolverError(
            f"events are given for {events.n_patients} patients, not {n}", source="simulate()"
        )
    if atol is None:
        atol_arr = np.array([s.abs_tol or 1e-9 for s in compiled.model.states])
    else:
        atol_arr = np.broadcast_to(np.asarray(atol, dtype=np.float64), (compiled.n_states,)).copy()
    nonneg = np.array([s.nonnegative for s in compiled.model.states], dtype=np.bool_)

    starts = list(range(0, n, max(1, chunk_size)))
    chunks = [
        _Chunk(
            compiled,
            y0_arr[s : s + chunk_size],
            params_arr[s : s + chunk_size],
            np.ascontiguousarray(events.values[s : s + chunk_size]),
            events,
            float(t0),
            t_eval,
            atol_arr,
            float(rtol),
            float(h0),
            nonneg,
            int(max_steps),
        )
        for s in starts
    ]
    executor = executor or SerialExecutor()
    out = np.empty((n, t_eval.size, compiled.n_states))
    status = np.empty(n, dtype=np.int64)
    n_steps = np.empty(n, dtype=np.int64)
    done = 0
    for s, (o, st, ns) in zip(starts, executor.map(_run_chunk, chunks), strict=True):
        m = o.shape[0]
        out[s : s + m], status[s : s + m], n_steps[s : s + m] = o, st, ns
        done += m
        if progress is not None:
            progress(done, n)
    return SimulationResult(
        t=t_eval, states=out, status=status, n_steps=n_steps, state_names=compiled.model.state_names
    )
