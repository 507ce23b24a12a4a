"""Model definitions are validated: units, names, stoichiometry, formulas."""

from __future__ import annotations

import pytest

from immunotwin.errors import ModelError, UnitError
from immunotwin.model import Model, Parameter, Process, Quantity, Source, State, compile_model
from immunotwin.model.symbolic import build_symbolic

SRC = Source(citation="test fixture", confidence="analytic")


def _model(rate: str, rate_unit: str = "cell/day", state_unit: str = "cell", **extra) -> Model:
    return Model(
        name="unit_test",
        states=(State(name="cells", unit=state_unit, description="x"),),
        parameters=(
            Parameter(name="k", value=0.1, unit="1/day", description="rate", source=SRC),
            Parameter(name="k_per_min", value=0.1, unit="1/min", description="rate", source=SRC),
            Parameter(name="volume", value=2.0, unit="mL", description="v", source=SRC),
            Parameter(name="one_cell", value=1.0, unit="cell", description="one cell", source=SRC),
        ),
        quantities=extra.get("quantities", ()),
        processes=(
            Process(
                name="growth",
                rate=rate,
                unit=rate_unit,
                stoichiometry={"cells": 1},
                description="g",
            ),
        ),
    )


def test_consistent_units_compile():
    build_symbolic(_model("k*cells"))
    build_symbolic(_model("k*cells*cells/(cells + one_cell)"))


@pytest.mark.parametrize(
    ("rate", "fragment"),
    [
        ("k*cells + k", "cannot add"),
        ("k_per_min*cells", "required"),  # 1/min is not 1/day: no hidden factor 1440
        ("k*cells/(cells + 1)", "cannot add"),  # a bare 1 is not a cell
        ("k*cells*exp(volume)", "dimensionless"),
        ("k*cells*(cells/one_cell)**k", "dimensionless"),
    ],
)
def test_inconsistent_units_are_rejected(rate, fragment):
    with pytest.raises(UnitError, match=fragment) as info:
        build_symbolic(_model(rate))
    assert "process 'growth'" in str(info.value)


def test_process_unit_must_match_state_per_day():
    with pytest.raises(UnitError, match="acting on state 'cells'"):
        build_symbolic(_model("k*one_cell", rate_unit="cell/day", state_unit="mg"))


def test_quantity_unit_is_checked():
    q = (Quantity(name="density", formula="cells/volume", unit="cell/L", description="d"),)
    with pytest.raises(UnitError, match="quantity 'density'"):
        build_symbolic(_model("k*cells", quantities=q))


def test_unknown_symbol_and_bad_syntax():
    with pytest.raises(ModelError, match="unknown name"):
        build_symbolic(_model("k*cells*mystery"))
    with pytest.raises(ModelError, match="cannot parse"):
        build_symbolic(_model("k*cells*("))


def test_formula_namespace_has_no_builtins():
    with pytest.raises(ModelError):
        build_symbolic(_model("__import__('os').getcwd()"))


def test_duplicate_and_reserved_names():
    with pytest.raises(ValueError, match="used twice"):
        Model(
            name="m",
            states=(State(name="a", unit="cell", description=""),),
            parameters=(Parameter(name="a", value=1, unit="cell", description="", source=SRC),),
        )
    with pytest.raises(ValueError, match="reserved"):
        State(name="time", unit="day", description="")


def test_unknown_state_in_stoichiometry():
    with pytest.raises(ValueError, match="unknown state"):
        Model(
            name="m",
            states=(State(name="a", unit="cell", description=""),),
            processes=(
                Process(
                    name="p", rate="a", unit="cell/day", stoichiometry={"b": 1}, description=""
                ),
            ),
        )


def test_extend_returns_new_model():
    base = _model("k*cells")
    bigger = base.extend(states=[State(name="other", unit="cell", description="")])
    assert len(base.states) == 1 and len(bigger.states) == 2
    with pytest.raises(ModelError, match="used twice"):
        base.extend(states=[State(name="cells", unit="cell", description="")])


def test_compiled_rhs_of_hill_function():
    q = (Quantity(name="h", formula="hill(cells, one_cell, 2)", unit="1", description="hill"),)
    cm = compile_model(_model("k*cells*h", quantities=q))
    import numpy as np

    y = np.array([3.0])
    expected = 0.1 * 3.0 * 9.0 / 10.0
    assert cm.rhs(y, cm.default_parameters())[0] == pytest.approx(expected, rel=1e-14)


def test_model_unit_converts_published_values():
    per_minute = Parameter(
        name="k_mig", value=0.0015, unit="1/min", model_unit="1/day", description="", source=SRC
    )
    assert per_minute.model_value == pytest.approx(0.0015 * 1440)
    bad = Parameter(name="x", value=1, unit="1/min", model_unit="mg", description="", source=SRC)
    with pytest.raises(UnitError, match="cannot convert"):
        _ = bad.model_value
