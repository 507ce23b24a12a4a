"""The model as data: states, parameters, algebraic quantities and processes.

A :class:`Model` is a frozen, validated description. It says nothing about how it is solved;
:func:`immunotwin.model.compile.compile_model` turns it into a batched kernel, and
:mod:`immunotwin.model.sbml` writes it as SBML Level 3. Modules compose by pure functions that
return a new model (``add_checkpoint(model) -> Model``), built on :meth:`Model.extend`.

Conventions: model time is in days; every rate law is written in the units of its states per
day; formulas are sympy-parseable strings over state, parameter and quantity names, plus the
helper functions in :data:`FORMULA_FUNCTIONS`.
"""

from __future__ import annotations

import hashlib
import keyword
import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from immunotwin.errors import ModelError

TIME_UNIT = "day"

# Names that clash with SBML L3 MathML symbols or with the formula helpers.
RESERVED_NAMES = frozenset(
    {
        "time",
        "t",
        "pi",
        "e",
        "inf",
        "exp",
        "log",
        "ln",
        "sqrt",
        "hill",
        "Max",
        "Min",
        "abs",
        "Abs",
        "true",
        "false",
        "avogadro",
        "notanumber",
        "infinity",
        "I",
        "E",
        "S",
        "N",
        "O",
        "Q",
    }
)

# Helper functions a formula may use (expanded by the compiler; see compile.py).
FORMULA_FUNCTIONS = ("exp", "log", "sqrt", "hill", "Max", "Min")


def _check_name(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ValueError(
            f"'{name}' is not a valid model name: use letters, digits and underscores, "
            "starting with a letter"
        )
    if name in RESERVED_NAMES:
        raise ValueError(f"'{name}' is reserved (SBML/MathML or formula helper); rename it")
    return name


Name = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_check_name)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Where a number comes from: a citation plus how sure we are of it.

    ``confidence`` follows the model brief: ``curated`` = read from source code or a popPK file
    [H], ``literature`` = paper/label value cross-checked [M], ``assumption`` = order of
    magnitude to be calibrated [L], ``calibrated`` = fitted by ``immunotwin calibrate``
    (then ``citation`` names the targets it was fitted to).
    """

    citation: str = Field(min_length=3)
    confidence: Literal["curated", "literature", "assumption", "calibrated", "analytic"] = (
        "literature"
    )


class Distribution(_Frozen):
    """Inter-patient variability of a parameter around its typical value.

    ``lognormal``: value * exp(sigma * z); ``loguniform``/``uniform``: between low and high;
    ``fixed``: no variability.
    """

    kind: Literal["lognormal", "loguniform", "uniform", "fixed"] = "fixed"
    sigma: float | None = Field(default=None, ge=0)
    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        """Short text, e.g. ``lognormal(sigma=0.4)``."""
        if self.kind == "lognormal":
            return f"lognormal(sigma={self.sigma:g})"
        if self.kind in ("uniform", "loguniform"):
            return f"{self.kind}({self.low:g}, {self.high:g})"
        return "fixed"

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        if self.kind == "lognormal" and self.sigma is None:
            raise ValueError("a lognormal distribution needs 'sigma' (log-scale SD)")
        if self.kind in ("loguniform", "uniform"):
            if self.low is None or self.high is None or not self.low < self.high:
                raise ValueError(f"a {self.kind} distribution needs low < high")
            if self.kind == "loguniform" and self.low <= 0:
                raise ValueError("a loguniform distribution needs low > 0")
        return self


class State(_Frozen):
    """A dynamic variable of the model (one ODE)."""

    name: Name
    unit: str
    description: str
    initial: float = Field(default=0.0, description="default initial value, in `unit`")
    nonnegative: bool = True
    abs_tol: float | None = Field(
        default=None, gt=0, description="absolute tolerance in `unit` (default: solver's)"
    )


class Parameter(_Frozen):
    """A constant of the model with its value, unit and source."""

    name: Name
    value: float
    unit: str
    description: str
    source: Source
    distribution: Distribution = Distribution()
    calibrate: bool = False
    prior_range: tuple[float, float] | None = None
    model_unit: str | None = Field(
        default=None,
        description="unit the formulas use, if not `unit`; the value is converted with pint "
        "(e.g. a rate published per minute used per day)",
    )

    def record(self) -> dict[str, object]:
        """One row of a parameter table (catalogue listings, CLI, docs)."""
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "model_unit": self.formula_unit,
            "description": self.description,
            "source": self.source.citation,
            "confidence": self.source.confidence,
            "distribution": self.distribution.describe(),
            "calibrate": self.calibrate,
            "prior_range": self.prior_range,
        }

    @property
    def formula_unit(self) -> str:
        """The unit this parameter has inside formulas."""
        return self.model_unit or self.unit

    @property
    def model_value(self) -> float:
        """The value in :attr:`formula_unit` (converted from the published `unit`)."""
        if self.model_unit is None:
            return self.value
        from immunotwin.model.units import convert

        return convert(self.value, self.unit, self.model_unit, what=f"parameter '{self.name}'")

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("parameter values must be finite")
        return v

    @model_validator(mode="after")
    def _prior(self) -> Parameter:
        if self.calibrate and self.prior_range is None:
            raise ValueError(f"parameter '{self.name}' is marked calibrate but has no prior_range")
        if self.prior_range is not None and not self.prior_range[0] < self.prior_range[1]:
            raise ValueError(f"parameter '{self.name}': prior_range must be (low, high), low<high")
        return self


class Quantity(_Frozen):
    """An algebraic quantity: a named formula evaluated at every right-hand-side call."""

    name: Name
    formula: str
    unit: str
    description: str


class Process(_Frozen):
    """A rate law and the states it changes: d(state)/dt += coefficient * rate.

    ``unit`` is the unit of ``rate`` (e.g. ``cell/day``); each affected state must have unit
    ``unit * day`` up to the coefficient, which the compiler checks.
    """

    name: Name
    rate: str
    unit: str
    stoichiometry: dict[str, float] = Field(min_length=1)
    description: str
    source: str | None = None


class Model(_Frozen):
    """A complete model: the unit of composition, compilation and SBML export."""

    name: Name
    description: str = ""
    states: tuple[State, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    quantities: tuple[Quantity, ...] = ()
    processes: tuple[Process, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Model:
        seen: dict[str, str] = {}
        for kind, items in (
            ("state", self.states),
            ("parameter", self.parameters),
            ("quantity", self.quantities),
            ("process", self.processes),
        ):
            for item in items:
                if item.name in seen:
                    raise ValueError(
                        f"name '{item.name}' is used twice (as {seen[item.name]} and {kind})"
                    )
                seen[item.name] = kind
        state_names = {s.name for s in self.states}
        for proc in self.processes:
            unknown = set(proc.stoichiometry) - state_names
            if unknown:
                raise ValueError(
                    f"process '{proc.name}' changes unknown state(s) {sorted(unknown)}"
                )
        return self

    # --- composition -------------------------------------------------------------------
    def extend(
        self,
        *,
        states: tuple[State, ...] | list[State] = (),
        parameters: tuple[Parameter, ...] | list[Parameter] = (),
        quantities: tuple[Quantity, ...] | list[Quantity] = (),
        processes: tuple[Process, ...] | list[Process] = (),
        name: str | None = None,
    ) -> Model:
        """A new model with these items added (the original is unchanged)."""
        try:
            return Model(
                name=name or self.name,
                description=self.description,
                states=self.states + tuple(states),
                parameters=self.parameters + tuple(parameters),
                quantities=self.quantities + tuple(quantities),
                processes=self.processes + tuple(processes),
            )
        except ValueError as exc:
            raise ModelError(str(exc), source=f"model '{self.name}'") from exc

    def with_parameter_values(self, **values: float) -> Model:
        """A new model with some parameters' typical values replaced (same units)."""
        unknown = set(values) - {p.name for p in self.parameters}
        if unknown:
            raise ModelError(
                f"unknown parameter(s) {sorted(unknown)}", source=f"model '{self.name}'"
            )
        params = tuple(
            p.model_copy(update={"value": float(values[p.name])}) if p.name in values else p
            for p in self.parameters
        )
        return self.model_copy(update={"parameters": params})

    # --- lookups --------------------------------------------------------------------------
    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def state_index(self, name: str) -> int:
        try:
            return self.state_names.index(name)
        except ValueError:
            raise ModelError(
                f"no state named '{name}'",
                source=f"model '{self.name}'",
                fix=f"states are: {', '.join(self.state_names)}",
            ) from None

    def parameter_index(self, name: str) -> int:
        try:
            return self.parameter_names.index(name)
        except ValueError:
            raise ModelError(
                f"no parameter named '{name}'",
                source=f"model '{self.name}'",
                fix="list them with `immunotwin catalog parameters`",
            ) from None

    def content_hash(self) -> str:
        """A short hash of the model's full definition (provenance and compile caching)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]
