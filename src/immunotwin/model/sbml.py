"""SBML Level 3 Version 2 export of a :class:`~immunotwin.model.spec.Model`.

Mapping: every state is a species with ``hasOnlySubstanceUnits`` in a unit compartment (so a
species' value is the state's value in its own unit), every parameter a constant parameter,
every algebraic quantity a non-constant parameter with an assignment rule, every process a
reaction whose kinetic law is the rate and whose stoichiometry is the process's. Doses are not
events in the file: the engine applies them between integration segments, and so does a user
looping libRoadRunner (see ``bench/engine.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import libsbml
import sympy

from immunotwin import __version__
from immunotwin.errors import ModelError
from immunotwin.model.spec import Model
from immunotwin.model.symbolic import _parse


class _SbmlPrinter(sympy.printing.str.StrPrinter):
    """Infix formulas in libSBML's L3 syntax (``^`` for powers, ``exp``/``ln``/``max``)."""

    def _print_Pow(self, expr: sympy.Expr, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent == sympy.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if exponent == -1:
            return f"(1/({self._print(base)}))"
        return f"(({self._print(base)})^({self._print(exponent)}))"

    def _print_log(self, expr: sympy.Expr) -> str:
        return f"ln({self._print(expr.args[0])})"

    def _print_Max(self, expr: sympy.Expr) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr: sympy.Expr) -> str:
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Float(self, expr: sympy.Expr) -> str:
        return repr(float(expr))

    def _print_Rational(self, expr: sympy.Expr) -> str:
        return f"({expr.p}/{expr.q})"


def _formula(model: Model, text: str, what: str) -> str:
    names = [*model.state_names, *model.parameter_names, *(q.name for q in model.quantities)]
    symbols = {n: sympy.Symbol(n, real=True) for n in names}
    expr = _parse(text, symbols, what=what)
    return _SbmlPrinter().doprint(expr)


def _species_used(model: Model, text: str) -> set[str]:
    """States a formula reads, directly or through quantities."""
    quantities = {q.name: q.formula for q in model.quantities}
    states = set(model.state_names)
    seen: set[str] = set()
    found: set[str] = set()
    pending = [text]
    while pending:
        names = set(re.findall(r"[A-Za-z][A-Za-z0-9_]*", pending.pop()))
        found |= names & states
        for name in (names & set(quantities)) - seen:
            seen.add(name)
            pending.append(quantities[name])
    return found


def _check(status: int, what: str) -> None:
    if status != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise ModelError(
            f"libSBML refused {what}: {libsbml.OperationReturnValue_toString(status)}",
            source="SBML export",
            location=what,
            fix="use SBML-compatible names and finite values (see docs/model.md)",
        )


def to_sbml(model: Model) -> str:
    """The model as an SBML L3V2 document (a string)."""
    doc = libsbml.SBMLDocument(3, 2)
    m = doc.createModel()
    _check(m.setId(model.name), "model id")
    m.setName(model.description or model.name)
    note = (
        f"<body xmlns='http://www.w3.org/1999/xhtml'><p>Exported by immunotwin {__version__}; "
        f"model hash {model.content_hash()}. Time unit: day.</p></body>"
    )
    m.setNotes(note)
    m.setTimeUnits("dimensionless")
    comp = m.createCompartment()
    _check(comp.setId("default_compartment"), "compartment")
    comp.setConstant(True)
    comp.setSize(1.0)
    comp.setSpatialDimensions(3)
    for s in model.states:
        sp = m.createSpecies()
        _check(sp.setId(s.name), f"species {s.name}")
        sp.setName(f"{s.description} [{s.unit}]")
        sp.setCompartment("default_compartment")
        sp.setInitialAmount(s.initial)
        sp.setHasOnlySubstanceUnits(True)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
    for p in model.parameters:
        par = m.createParameter()
        _check(par.setId(p.name), f"parameter {p.name}")
        par.setName(f"{p.description} [{p.formula_unit}] ({p.source.citation})")
        par.setValue(p.model_value)
        par.setConstant(True)
    for q in model.quantities:
        par = m.createParameter()
        _check(par.setId(q.name), f"quantity {q.name}")
        par.setName(f"{q.description} [{q.unit}]")
        par.setConstant(False)
        rule = m.createAssignmentRule()
        rule.setVariable(q.name)
        math = libsbml.parseL3Formula(_formula(model, q.formula, f"quantity '{q.name}'"))
        if math is None:
            raise ModelError(
                f"libSBML cannot parse quantity '{q.name}'",
                source="SBML export",
                location=f"quantity {q.name}",
                fix="simplify the formula to +, -, *, /, ^ and exp/log/sqrt/max/min",
            )
        rule.setMath(math)
    for proc in model.processes:
        r = m.createReaction()
        _check(r.setId(proc.name), f"reaction {proc.name}")
        r.setName(proc.description)
        r.setReversible(False)
        for state, coefficient in proc.stoichiometry.items():
            ref = r.createProduct() if coefficient > 0 else r.createReactant()
            ref.setSpecies(state)
            ref.setStoichiometry(abs(float(coefficient)))
            ref.setConstant(True)
        for state in sorted(_species_used(model, proc.rate) - set(proc.stoichiometry)):
            r.createModifier().setSpecies(state)
        law = r.createKineticLaw()
        math = libsbml.parseL3Formula(_formula(model, proc.rate, f"process '{proc.name}'"))
        if math is None:
            raise ModelError(
                f"libSBML cannot parse process '{proc.name}'",
                source="SBML export",
                location=f"process {proc.name}",
                fix="simplify the rate to +, -, *, /, ^ and exp/log/sqrt/max/min",
            )
        law.setMath(math)
    return libsbml.writeSBMLToString(doc)


def consistency_errors(sbml_text: str) -> list[str]:
    """libSBML's consistency check: messages of severity error or fatal (empty = valid).

    Unit consistency is not checked by libSBML here (the SBML carries no unit definitions);
    immunotwin checks units itself at compile time.
    """
    doc = libsbml.readSBMLFromString(sbml_text)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    doc.checkConsistency()
    errors = []
    for i in range(doc.getNumErrors()):
        err = doc.getError(i)
        if err.getSeverity() >= libsbml.LIBSBML_SEV_ERROR:
            errors.append(f"line {err.getLine()}: {err.getMessage().strip()}")
    return errors


def write_sbml(model: Model, path: str | Path) -> Path:
    """Write the SBML file atomically; raises ModelError if libSBML finds errors."""
    text = to_sbml(model)
    errors = consistency_errors(text)
    if errors:
        raise ModelError(
            "the exported SBML is not consistent:\n" + "\n".join(errors[:10]),
            source=str(path),
            location="model",
            fix="fix the model items named above (units, names, formulas) and export again",
        )
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


__all__ = ["consistency_errors", "to_sbml", "write_sbml"]
