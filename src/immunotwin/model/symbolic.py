"""From a :class:`~immunotwin.model.spec.Model` to symbolic right-hand side and Jacobian.

Formulas are parsed with sympy in a closed namespace (no Python builtins), quantities are
substituted in dependency order, and units are checked here, once, before any code exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

import sympy
from sympy.parsing.sympy_parser import parse_expr

from immunotwin.errors import ModelError
from immunotwin.model.spec import TIME_UNIT, Model
from immunotwin.model.units import parse_unit, require_unit, unit_of


def hill(x: sympy.Expr, k: sympy.Expr, n: sympy.Expr | int = 1) -> sympy.Expr:
    """Hill function H(x; K, n) = (x/K)^n / (1 + (x/K)^n); x and K share a unit."""
    ratio = x / k
    return ratio**n / (1 + ratio**n)


_FUNCTIONS = {
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "hill": hill,
    "Max": sympy.Max,
    "Min": sympy.Min,
}


def _parse(formula: str, symbols: dict[str, sympy.Symbol], *, what: str) -> sympy.Expr:
    namespace = {
        "__builtins__": {},
        "Integer": sympy.Integer,
        "Float": sympy.Float,
        "Rational": sympy.Rational,
        "Symbol": sympy.Symbol,
        **_FUNCTIONS,
    }
    try:
        expr = parse_expr(formula, local_dict=dict(symbols), global_dict=namespace)
    except Exception as exc:  # sympy raises many types on bad syntax
        raise ModelError(f"cannot parse formula '{formula}': {exc}", source=what) from exc
    if not isinstance(expr, sympy.Expr):
        raise ModelError(f"formula '{formula}' is not an expression", source=what)
    unknown = {str(s) for s in expr.free_symbols - set(symbols.values())}
    if unknown:
        raise ModelError(
            f"formula uses unknown name(s) {sorted(unknown)}",
            source=what,
            fix="define them as states, parameters or quantities of the model",
        )
    return expr


@dataclass(frozen=True)
class SymbolicModel:
    """Right-hand side and Jacobian over symbols ``y_i`` (states) and ``p_k`` (parameters)."""

    model: Model
    y: tuple[sympy.Symbol, ...]
    p: tuple[sympy.Symbol, ...]
    rhs: tuple[sympy.Expr, ...]
    quantities: dict[str, sympy.Expr]
    jacobian: dict[tuple[int, int], sympy.Expr]


def build_symbolic(model: Model, *, check_units: bool = True) -> SymbolicModel:
    """Parse, unit-check and differentiate a model."""
    y = tuple(sympy.Symbol(f"y_{i}", real=True) for i in range(len(model.states)))
    p = tuple(sympy.Symbol(f"p_{k}", real=True) for k in range(len(model.parameters)))
    names: dict[str, sympy.Symbol] = {s.name: y[i] for i, s in enumerate(model.states)}
    names |= {par.name: p[k] for k, par in enumerate(model.parameters)}
    q_syms = {q.name: sympy.Symbol(f"q_{q.name}", real=True) for q in model.quantities}
    all_names = names | q_syms

    units = {}
    if check_units:
        for i, s in enumerate(model.states):
            units[y[i]] = parse_unit(s.unit, what=f"state '{s.name}'")
        for k, par in enumerate(model.parameters):
            units[p[k]] = parse_unit(par.formula_unit, what=f"parameter '{par.name}'")

    raw = {
        q.name: _parse(q.formula, all_names, what=f"quantity '{q.name}'") for q in model.quantities
    }
    graph = {
        name: {
            str(s)[2:] for s in expr.free_symbols if str(s).startswith("q_") and str(s)[2:] in raw
        }
        for name, expr in raw.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ModelError(
            f"quantities depend on each other in a cycle: {exc.args[1]}",
            source=f"model '{model.name}'",
        ) from exc
    expanded: dict[str, sympy.Expr] = {}
    declared = {q.name: q for q in model.quantities}
    for name in order:
        expr = raw[name].xreplace({q_syms[d]: expanded[d] for d in graph[name]})
        expanded[name] = expr
        if check_units:
            what = f"quantity '{name}'"
            units[q_syms[name]] = parse_unit(declared[name].unit, what=what)
            require_unit(unit_of(raw[name], units, what=what), units[q_syms[name]], what=what)
    subs = {q_syms[n]: e for n, e in expanded.items()}

    time_unit = parse_unit(TIME_UNIT, what="model time")
    rhs = [sympy.Integer(0)] * len(model.states)
    for proc in model.processes:
        what = f"process '{proc.name}'"
        rate_raw = _parse(proc.rate, all_names, what=what)
        if check_units:
            declared_unit = parse_unit(proc.unit, what=what)
            require_unit(unit_of(rate_raw, units, what=what), declared_unit, what=what)
            for state_name in proc.stoichiometry:
                i = model.state_index(state_name)
                require_unit(
                    declared_unit * time_unit,
                    units[y[i]],
                    what=f"{what} acting on state '{state_name}' (rate x day)",
                )
        rate = rate_raw.xreplace(subs)
        for state_name, coefficient in proc.stoichiometry.items():
            i = model.state_index(state_name)
            c = float(coefficient)
            rhs[i] = rhs[i] + (sympy.Integer(int(c)) if c.is_integer() else sympy.Float(c)) * rate

    jac: dict[tuple[int, int], sympy.Expr] = {}
    for i, f in enumerate(rhs):
        for j in sorted(int(str(s)[2:]) for s in f.free_symbols if str(s).startswith("y_")):
            d = sympy.diff(f, y[j])
            if d != 0:
                jac[(i, j)] = d
    return SymbolicModel(model=model, y=y, p=p, rhs=tuple(rhs), quantities=expanded, jacobian=jac)
