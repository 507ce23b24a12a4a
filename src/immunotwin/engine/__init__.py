"""Batched stiff integration of virtual patients with dose events."""

from immunotwin.engine.events import EventKind, Events, build_events
from immunotwin.engine.executors import (
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    chunk_seeds,
    make_executor,
)
from immunotwin.engine.simulate import SimulationResult, SolveStatus, simulate

__all__ = [
    "DaskExecutor",
    "EventKind",
    "Events",
    "ProcessExecutor",
    "SerialExecutor",
    "SimulationResult",
    "SolveStatus",
    "build_events",
    "chunk_seeds",
    "make_executor",
    "simulate",
]
