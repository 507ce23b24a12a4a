"""Small constructors shared by the mechanism modules (keeps each module a readable table)."""

from __future__ import annotations

from immunotwin.model.spec import Process, Quantity, State


def state(name: str, unit: str, description: str, *, initial: float = 0.0, abs_tol: float) -> State:
    return State(name=name, unit=unit, description=description, initial=initial, abs_tol=abs_tol)


def quantity(name: str, formula: str, unit: str, description: str) -> Quantity:
    return Quantity(
        name=name, formula=" ".join(formula.split()), unit=unit, description=description
    )


def process(
    name: str,
    rate: str,
    unit: str,
    stoichiometry: dict[str, float],
    description: str,
    source: str | None = None,
) -> Process:
    return Process(
        name=name,
        rate=" ".join(rate.split()),
        unit=unit,
        stoichiometry=stoichiometry,
        description=description,
        source=source,
    )
