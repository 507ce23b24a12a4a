"""Unit registry and dimensional checking of rate laws.

Checks are strict: every term of a sum must have the same unit *and* the same scale (no hidden
factor 1000 between mL and L), arguments of exp/log and symbolic exponents must be
dimensionless, and a process rate must equal (state unit)/day for every state it changes.
Numeric literals are dimensionless coefficients; a constant with a unit (say one cell, to keep a
ratio finite) must be a named parameter.
"""

from __future__ import annotations

from functools import lru_cache

import pint
import sympy

from immunotwin.errors import UnitError

_REL_TOL = 1e-9


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """immunotwin's pint registry: SI plus counting units used in immunology."""
    ureg = pint.UnitRegistry()
    ureg.define("cell = [cell_count] = cells")
    ureg.define("international_unit = [biological_activity] = IU")
    ureg.define("mutation = [mutation_count]")
    ureg.define("fraction = [] = frac")
    return ureg


def parse_unit(text: str, *, what: str) -> pint.Quantity:
    """A unit string as a pint quantity of magnitude 1; UnitError names `what` on failure."""
    ureg = registry()
    cleaned = text.strip() or "dimensionless"
    if cleaned in ("1", "-", "–"):
        cleaned = "dimensionless"
    try:
        return ureg.Quantity(1.0, cleaned)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        AttributeError,
        TypeError,
        ValueError,
    ) as exc:
        raise UnitError(
            f"cannot read unit '{text}' ({exc})",
            source=what,
            fix="use units like 'cell', 'cell/day', 'mg', 'mg/L', 'nM', 'molecule/um**2', '1/day'",
        ) from exc


def _same(a: pint.Quantity, b: pint.Quantity) -> bool:
    try:
        factor = a.to(b.units).magnitude
    except pint.errors.DimensionalityError:
        return False
    return abs(factor - 1.0) <= _REL_TOL


def _describe(q: pint.Quantity) -> str:
    return f"{q.units:~}" if str(q.units) != "dimensionless" else "dimensionless"


def unit_of(
    expr: sympy.Expr, units: dict[sympy.Symbol, pint.Quantity], *, what: str
) -> pint.Quantity:
    """The unit of a sympy expression given the units of its symbols (magnitude-1 quantity)."""
    one = registry().Quantity(1.0, "dimensionless")

    def walk(e: sympy.Expr) -> pint.Quantity:
        if e.is_Number:
            return one
        if e.is_Symbol:
            return units[e]
        if isinstance(e, sympy.Add):
            terms = [walk(a) for a in e.args]
            ref = terms[0]
            for a, q in zip(e.args[1:], terms[1:], strict=True):
                if not _same(q, ref):
                    raise UnitError(
                        f"cannot add '{e.args[0]}' [{_describe(ref)}] and '{a}' [{_describe(q)}]",
                        source=what,
                        fix="make every term of a sum the same unit, with the same scale",
                    )
            return ref
        if isinstance(e, sympy.Mul):
            q = one
            for a in e.args:
                q = q * walk(a)
            return q
        if isinstance(e, sympy.Pow):
            base, exponent = e.args
            qb = walk(base)
            if exponent.is_Number:
                return qb ** float(exponent)
            qe = walk(exponent)
            for part, q in ((base, qb), (exponent, qe)):
                if not _same(q, one):
                    raise UnitError(
                        f"'{part}' in '{e}' must be dimensionless (it is {_describe(q)})",
                        source=what,
                        fix="a symbolic exponent needs a dimensionless base: write (x/K)**n",
                    )
            return one
        if isinstance(e, (sympy.exp, sympy.log)):
            q = walk(e.args[0])
            if not _same(q, one):
                raise UnitError(
                    f"the argument of {type(e).__name__}() must be dimensionless, "
                    f"'{e.args[0]}' is {_describe(q)}",
                    source=what,
                    fix="divide by a reference value with the same unit",
                )
            return one
        if isinstance(e, (sympy.Max, sympy.Min)):
            qs = [walk(a) for a in e.args]
            for q in qs[1:]:
                if not _same(q, qs[0]):
                    raise UnitError(f"Max/Min arguments differ in unit in '{e}'", source=what)
            return qs[0]
        raise UnitError(
            f"cannot check the unit of '{e}' ({type(e).__name__})",
            source=what,
            fix="use +, -, *, /, **, exp, log, sqrt, hill, Max, Min only",
        )

    return walk(expr)


def require_unit(actual: pint.Quantity, expected: pint.Quantity, *, what: str) -> None:
    """Raise UnitError unless `actual` equals `expected` exactly (dimension and scale)."""
    if not _same(actual, expected):
        raise UnitError(
            f"has unit {_describe(actual)} but {_describe(expected)} is required",
            source=what,
            fix="check the formula and the units of the parameters it uses",
        )


def convert(value: float, from_unit: str, to_unit: str, *, what: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``; UnitError if dimensions differ."""
    source = parse_unit(from_unit, what=what)
    target = parse_unit(to_unit, what=what)
    try:
        return float(value) * source.to(target.units).magnitude
    except pint.errors.DimensionalityError as exc:
        raise UnitError(
            f"cannot convert {from_unit} to {to_unit}",
            source=what,
            fix="give model_unit with the same dimension as unit",
        ) from exc
