"""Dose and schedule strings of trial specs, parsed with units.

Accepted doses (DESIGN.md §5): ``200 mg``, ``2 mg/kg``, ``500 mg/m2``, ``AUC 5`` (carboplatin,
Calvert formula), ``600000 IU/kg``, ``20 MIU/m2``, ``2e6 cells/kg``, ``5e8 cells``, ``60 Gy``
(with ``fractions``), ``28 ug/day`` and ``15 ug/m2/day`` (continuous infusions).
Durations: ``3 weeks``, ``21 days``, ``6 months``, ``day 5``, ``week 12``.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from immunotwin.errors import DoseError

DAYS_PER_MONTH = 30.4375  # DESIGN.md: months are 30.4375 days


class DoseUnit(StrEnum):
    MG = "mg"
    MG_PER_KG = "mg/kg"
    MG_PER_M2 = "mg/m2"
    AUC = "AUC"
    IU_PER_KG = "IU/kg"
    MIU_PER_M2 = "MIU/m2"
    CELLS_PER_KG = "cells/kg"
    CELLS = "cells"
    GY = "Gy"
    UG_PER_DAY = "ug/day"
    UG_PER_M2_PER_DAY = "ug/m2/day"
    PFU = "PFU"  # plaque-forming units (oncolytic virus)
    DOSE = "dose"  # one administration of a fixed-dose product (e.g. a vaccine)


_UNIT_ALIASES = {
    "mg": DoseUnit.MG,
    "mg/kg": DoseUnit.MG_PER_KG,
    "mg/m2": DoseUnit.MG_PER_M2,
    "mg/m^2": DoseUnit.MG_PER_M2,
    "mg/m²": DoseUnit.MG_PER_M2,
    "iu/kg": DoseUnit.IU_PER_KG,
    "miu/m2": DoseUnit.MIU_PER_M2,
    "miu/m^2": DoseUnit.MIU_PER_M2,
    "cells/kg": DoseUnit.CELLS_PER_KG,
    "cells": DoseUnit.CELLS,
    "gy": DoseUnit.GY,
    "ug/day": DoseUnit.UG_PER_DAY,
    "µg/day": DoseUnit.UG_PER_DAY,
    "ug/m2/day": DoseUnit.UG_PER_M2_PER_DAY,
    "µg/m2/day": DoseUnit.UG_PER_M2_PER_DAY,
    "pfu": DoseUnit.PFU,
    "dose": DoseUnit.DOSE,
    "doses": DoseUnit.DOSE,
}
_NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?"
_DOSE_RE = re.compile(rf"^\s*(?P<value>{_NUMBER})\s*(?P<unit>[A-Za-zµ/0-9^²]+)\s*$")
_AUC_RE = re.compile(rf"^\s*AUC\s*(?P<value>{_NUMBER})\s*$", re.IGNORECASE)
_DURATION_RE = re.compile(rf"^\s*(?P<value>{_NUMBER})\s*(?P<unit>[A-Za-z]+)\s*$")
_START_RE = re.compile(rf"^\s*(?P<unit>day|week|month)\s*(?P<value>{_NUMBER})\s*$", re.IGNORECASE)
_DAYS = {
    "day": 1.0,
    "days": 1.0,
    "d": 1.0,
    "week": 7.0,
    "weeks": 7.0,
    "wk": 7.0,
    "w": 7.0,
    "month": DAYS_PER_MONTH,
    "months": DAYS_PER_MONTH,
    "hour": 1 / 24,
    "hours": 1 / 24,
    "h": 1 / 24,
}
_EXAMPLES = "200 mg, 2 mg/kg, 500 mg/m2, AUC 5, 600000 IU/kg, 20 MIU/m2, 2e6 cells/kg, 60 Gy"


class Dose(BaseModel):
    """A dose amount with its unit, as written in a spec (per administration)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: float
    unit: DoseUnit

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            raise DoseError(
                f"dose '{data}' has no unit", fix=f"write it with a unit, e.g. {_EXAMPLES}"
            )
        if isinstance(data, str):
            return parse_dose_text(data)
        return data

    @model_validator(mode="after")
    def _positive(self) -> Dose:
        if not self.value > 0:
            raise DoseError(
                f"dose must be positive, got {self.value:g} {self.unit}",
                fix="give the amount per administration, e.g. '200 mg'",
            )
        return self

    def __str__(self) -> str:
        return f"AUC {self.value:g}" if self.unit is DoseUnit.AUC else f"{self.value:g} {self.unit}"


def _finite_number(number: str, text: str, what: str) -> float:
    """``float(number)``, rejecting overflow to infinity (e.g. ``1e999``) with a DoseError."""
    value = float(number)
    if not math.isfinite(value):
        raise DoseError(f"{what} '{text}' is not a finite number", fix=f"give a realistic {what}")
    return value


def parse_dose_text(text: str) -> dict[str, Any]:
    """``'2 mg/kg'`` -> ``{'value': 2.0, 'unit': DoseUnit.MG_PER_KG}``; DoseError otherwise."""
    auc = _AUC_RE.match(text)
    if auc:
        return {"value": _finite_number(auc["value"], text, "dose"), "unit": DoseUnit.AUC}
    m = _DOSE_RE.match(text)
    if not m:
        raise DoseError(
            f"cannot read dose '{text}'", fix=f"write '<number> <unit>', e.g. {_EXAMPLES}"
        )
    unit = _UNIT_ALIASES.get(m["unit"].lower().replace("²", "2"))
    if unit is None:
        raise DoseError(
            f"unknown dose unit '{m['unit']}' in '{text}'",
            fix=f"use one of: {', '.join(u.value for u in DoseUnit)}",
        )
    return {"value": _finite_number(m["value"], text, "dose"), "unit": unit}


def parse_duration_days(text: str | float | int, *, what: str = "duration") -> float:
    """``'3 weeks'`` -> 21.0 days. A bare number is rejected (the unit is not guessable)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raise DoseError(f"{what} '{text}' has no unit", fix="write e.g. '3 weeks' or '21 days'")
    m = _DURATION_RE.match(str(text))
    if not m or m["unit"].lower() not in _DAYS:
        raise DoseError(
            f"cannot read {what} '{text}'",
            fix="write '<number> days|weeks|months|hours', e.g. '3 weeks'",
        )
    days = _finite_number(m["value"], str(text), what) * _DAYS[m["unit"].lower()]
    if not (days > 0 and math.isfinite(days)):
        raise DoseError(
            f"{what} must be positive, got '{text}'", fix="write e.g. '3 weeks' or '21 days'"
        )
    return days


def parse_start_day(text: str | float | int) -> float:
    """``'day 5'`` -> 5.0, ``'week 12'`` -> 84.0 (days after the start of treatment, day 0)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raise DoseError(f"start '{text}' has no unit", fix="write e.g. 'day 5' or 'week 12'")
    m = _START_RE.match(str(text))
    if not m:
        raise DoseError(f"cannot read start '{text}'", fix="write 'day N', 'week N' or 'month N'")
    return _finite_number(m["value"], str(text), "start") * _DAYS[m["unit"].lower()]
