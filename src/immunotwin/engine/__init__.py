"""Batched stiff integration of virtual patients with dose events."""

from immunotwin.engine.events import EventKind, Events, build_events
from immunotwin.engine.executors import ProcessExecutor, SerialExecutor, chunk_seeds
from immunotwin.engine.simulate import SimulationResult, SolveStatus, simulate

__all__ = [
    "EventKind",
    "Events",
    "ProcessExecutor",
    "SerialExecutor",
    "SimulationResult",
    "SolveStatus",
    "build_events",
    "chunk_seeds",
    "simulate",
]
