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


_FORMULA_FIX = (
    "write formulas in Python syntax over the model's states, parameters and quantities, "
    "with exp, log, sqrt, hill, Max, Min"
)

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
        raise ModelError(
            f"cannot parse formula '{formula}': {exc}",
            source=what,
            location="formula",
            fix=_FORMULA_FIX,
        ) from exc
    if not isinstance(expr, sympy.Expr):
        raise ModelError(
            f"formula '{formula}' is not an expression",
            source=what,
            location="formula",
            fix=_FORMULA_FIX,
        )
    unknown = {str(s) for s in expr.free_symbols - set(symbols.values())}
    if unknown:
        raise ModelError(
            f"formula uses unknown name(s) {sorted(unknown)}",
            source=what,
            location="formula",
            fix="define them as states, parameters or quantities of the model",
        )
    return expr


@dataclass(frozen=True)
class SymbolicModel:
    """Right-hand side and Jacobian, with quantities kept as named intermediates.

    Symbols: ``y_i`` (states), ``p_k`` (parameters), ``q_<name>`` (quantities, evaluated in
    ``quantity_order``) and ``g_<name>_<j>`` (the derivative of quantity ``name`` with respect
    to state j). Keeping quantities as intermediates (instead of substituting them) keeps every
    expression small: the Jacobian is assembled by the chain rule,
    J_ij = df_i/dy_j + sum_q df_i/dq * dq/dy_j, where each dq/dy_j is itself a short expression
    over earlier gradients.
    """

    model: Model
    y: tuple[sympy.Symbol, ...]
    p: tuple[sympy.Symbol, ...]
    q: dict[str, sympy.Symbol]
    quantity_order: tuple[str, ...]
    quantity_exprs: dict[str, sympy.Expr]
    rhs: tuple[sympy.Expr, ...]
    gradients: dict[tuple[str, int], sympy.Expr]
    jacobian: dict[tuple[int, int], sympy.Expr]

    def quantities_needed(self, exprs) -> list[str]:
        """Quantities (in evaluation order) that ``exprs`` read, directly or transitively."""
        needed: set[str] = set()
        pending = [e for e in exprs]
        by_symbol = {sym: name for name, sym in self.q.items()}
        while pending:
            for sym in pending.pop().free_symbols:
                name = by_symbol.get(sym)
                if name is not None and name not in needed:
                    needed.add(name)
                    pending.append(self.quantity_exprs[name])
        return [n for n in self.quantity_order if n in needed]

    def gradient_symbol(self, name: str, j: int) -> sympy.Symbol:
        return sympy.Symbol(f"g_{name}_{j}", real=True)


def _coefficient(value: float) -> sympy.Expr:
    return sympy.Integer(int(value)) if float(value).is_integer() else sympy.Float(value)


def build_symbolic(model: Model, *, check_units: bool = True) -> SymbolicModel:
    """Parse, unit-check and differentiate a model (quantities stay as intermediates)."""
    y = tuple(sympy.Symbol(f"y_{i}", real=True) for i in range(len(model.states)))
    p = tuple(sympy.Symbol(f"p_{k}", real=True) for k in range(len(model.parameters)))
    names: dict[str, sympy.Symbol] = {s.name: y[i] for i, s in enumerate(model.states)}
    names |= {par.name: p[k] for k, par in enumerate(model.parameters)}
    q_syms = {q.name: sympy.Symbol(f"q_{q.name}", real=True) for q in model.quantities}
    all_names = names | q_syms
    by_symbol = {sym: name for name, sym in q_syms.items()}

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
        name: {by_symbol[s] for s in expr.free_symbols if s in by_symbol}
        for name, expr in raw.items()
    }
    try:
        order = tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise ModelError(
            f"quantities depend on each other in a cycle: {exc.args[1]}",
            source=f"model '{model.name}'",
            location="quantities",
            fix="break the cycle: make one of these quantities a state or a parameter",
        ) from exc
    if check_units:
        declared = {q.name: q for q in model.quantities}
        for name in order:
            what = f"quantity '{name}'"
            units[q_syms[name]] = parse_unit(declared[name].unit, what=what)
            require_unit(unit_of(raw[name], units, what=what), units[q_syms[name]], what=what)

    # which states each quantity depends on (transitively)
    y_index = {sym: i for i, sym in enumerate(y)}
    depends: dict[str, set[int]] = {}
    for name in order:
        direct = {y_index[s] for s in raw[name].free_symbols if s in y_index}
        depends[name] = direct.union(*(depends[d] for d in graph[name]))

    def gradient(expr: sympy.Expr, j: int) -> sympy.Expr:
        """d expr / d y_j by the chain rule through quantity symbols."""
        total = sympy.diff(expr, y[j])
        for sym in expr.free_symbols:
            name = by_symbol.get(sym)
            if name is not None and j in depends[name]:
                total += sympy.diff(expr, sym) * sympy.Symbol(f"g_{name}_{j}", real=True)
        return total

    gradients: dict[tuple[str, int], sympy.Expr] = {}
    for name in order:
        for j in sorted(depends[name]):
            gradients[(name, j)] = gradient(raw[name], j)

    time_unit = parse_unit(TIME_UNIT, what="model time")
    rhs = [sympy.Integer(0)] * len(model.states)
    for proc in model.processes:
        what = f"process '{proc.name}'"
        rate = _parse(proc.rate, all_names, what=what)
        if check_units:
            declared_unit = parse_unit(proc.unit, what=what)
            require_unit(unit_of(rate, units, what=what), declared_unit, what=what)
            for state_name in proc.stoichiometry:
                i = model.state_index(state_name)
                require_unit(
                    declared_unit * time_unit,
                    units[y[i]],
                    what=f"{what} acting on state '{state_name}' (rate x day)",
                )
        for state_name, coefficient in proc.stoichiometry.items():
            i = model.state_index(state_name)
            rhs[i] = rhs[i] + _coefficient(coefficient) * rate

    jac: dict[tuple[int, int], sympy.Expr] = {}
    for i, f in enumerate(rhs):
        cols = {y_index[s] for s in f.free_symbols if s in y_index}
        for sym in f.free_symbols:
            if sym in by_symbol:
                cols |= depends[by_symbol[sym]]
        for j in sorted(cols):
            d = gradient(f, j)
            if d != 0:
                jac[(i, j)] = d
    return SymbolicModel(
        model=model,
        y=y,
        p=p,
        q=q_syms,
        quantity_order=order,
        quantity_exprs=raw,
        rhs=tuple(rhs),
        gradients=gradients,
        jacobian=jac,
    )
