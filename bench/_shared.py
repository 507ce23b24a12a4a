"""Helpers shared by the benchmark scripts (run as ``python bench/<script>.py``)."""

from __future__ import annotations

import platform
from collections.abc import Iterable


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (what the figures were measured on)."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(ln.split(":")[1].strip() for ln in info if ln.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def append_dose_events(model, dosed: str, days: Iterable[float], amount: str) -> None:
    """Add one SBML event per dose day to a libSBML ``Model``: at ``time >= day`` the species
    ``dosed`` gains ``amount`` (a number or a parameter id). This is libRoadRunner's fastest way
    to dose; values are taken at trigger time and the trigger is persistent."""
    import libsbml

    for k, t in enumerate(days):
        ev = model.createEvent()
        ev.setId(f"dose_{k}")
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        trig.setInitialValue(False)
        trig.setPersistent(True)
        trig.setMath(libsbml.parseL3Formula(f"time >= {float(t)!r}"))
        assignment = ev.createEventAssignment()
        assignment.setVariable(dosed)
        assignment.setMath(libsbml.parseL3Formula(f"{dosed} + {amount}"))
