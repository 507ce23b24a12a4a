"""SBML export: a model whose formulas, names or values are mutated exports or fails with a
ModelError (never a sympy/libSBML exception)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from immunotwin.errors import ImmunotwinError
from immunotwin.model.library.kuznetsov import kuznetsov_1994
from immunotwin.model.sbml import consistency_errors, to_sbml, write_sbml

from ._mutate import mutated_text
from ._support import fuzz_settings, run_parser

BASE = kuznetsov_1994()
_TMP = Path(tempfile.mkdtemp(prefix="immunotwin-fuzz-sbml-"))
NAMES = [
    *BASE.state_names,
    *BASE.parameter_names,
    "exp",
    "log",
    "sqrt",
    "Max",
    "hill",
    "pi",
    "lambda",
    "x__y",
    "_a",
    "time",
    "t",
]


@st.composite
def formula(draw, original: str) -> str:
    return draw(
        st.one_of(
            mutated_text(original, 3),
            st.lists(
                st.sampled_from(
                    NAMES
                    + [
                        "+",
                        "-",
                        "*",
                        "/",
                        "**",
                        "(",
                        ")",
                        "1e308",
                        "0",
                        ",",
                        "1/0",
                        "nan",
                        "oo",
                        "zoo",
                    ]
                ),
                min_size=1,
                max_size=8,
            ).map(" ".join),
        )
    )


def _export(model):
    def go():
        text = to_sbml(model)
        assert "<sbml" in text
        write_sbml(model, _TMP / "model.xml")
        return text

    out = run_parser("SBML export", go)
    if isinstance(out, str):
        assert not consistency_errors(out)


@fuzz_settings(40)
@given(st.data())
def test_mutated_process_rate(data):
    i = data.draw(st.integers(0, len(BASE.processes) - 1))
    proc = BASE.processes[i]
    rate = data.draw(formula(proc.rate))
    processes = list(BASE.processes)
    processes[i] = proc.model_copy(update={"rate": rate})
    _export(BASE.model_copy(update={"processes": tuple(processes)}))


@fuzz_settings(30)
@given(st.data())
def test_mutated_parameter_values_and_names(data):
    i = data.draw(st.integers(0, len(BASE.parameters) - 1))
    value = data.draw(st.floats(allow_nan=False, allow_infinity=False))
    try:
        model = BASE.with_parameter_values(**{BASE.parameters[i].name: value})
    except ImmunotwinError:
        return
    _export(model)
