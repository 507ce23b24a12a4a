"""Dose and schedule events as arrays: a common time grid, per-patient values.

All patients of a batch share event times (a trial arm's dosing grid, brief §5.1); amounts
differ per patient (mg/kg dosing, BSA, Calvert AUC). A patient who skips a dose gets value 0
for an additive event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from immunotwin.errors import SolverError


class EventKind(IntEnum):
    """What an event does to a patient's state or parameters."""

    ADD_TO_STATE = 0  # bolus dose: state += value
    SET_PARAMETER = 1  # infusion rate on/off, schedule switches: parameter = value
    SCALE_STATE = 2  # state *= value
    TRANSFER = 3  # fraction `value` of state `index` moves to state `index2`


@dataclass(frozen=True)
class Events:
    """Events sorted by time. ``values`` has shape (n_patients, n_events)."""

    times: np.ndarray
    kinds: np.ndarray
    index: np.ndarray
    index2: np.ndarray
    values: np.ndarray

    @staticmethod
    def empty(n_patients: int) -> Events:
        z = np.zeros(0)
        zi = np.zeros(0, dtype=np.int64)
        return Events(z, zi, zi, zi, np.zeros((n_patients, 0)))

    @property
    def n_patients(self) -> int:
        return self.values.shape[0]

    def take(self, rows: slice | np.ndarray) -> Events:
        """The same events for a subset of patients."""
        return Events(self.times, self.kinds, self.index, self.index2, self.values[rows])


def build_events(
    n_patients: int, items: list[tuple[float, EventKind, int, int, np.ndarray | float]]
) -> Events:
    """Events from (time_days, kind, index, index2, value per patient or scalar) tuples.

    Stable-sorted by time, so events given at the same time keep their order.
    """
    if not items:
        return Events.empty(n_patients)
    times = np.array([it[0] for it in items], dtype=np.float64)
    if not np.all(np.isfinite(times)):
        raise SolverError("event times must be finite", source="dose schedule")
    order = np.argsort(times, kind="stable")
    values = np.empty((n_patients, len(items)))
    for col, it in enumerate(items):
        values[:, col] = np.broadcast_to(np.asarray(it[4], dtype=np.float64), (n_patients,))
    return Events(
        times=times[order],
        kinds=np.array([int(items[k][1]) for k in order], dtype=np.int64),
        index=np.array([items[k][2] for k in order], dtype=np.int64),
        index2=np.array([items[k][3] for k in order], dtype=np.int64),
        values=np.ascontiguousarray(values[:, order]),
    )
