"""Dose, duration and start-day strings: any text is parsed or rejected with a DoseError."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from immunotwin.errors import DoseError
from immunotwin.therapies.dose import (
    DoseUnit,
    parse_dose_text,
    parse_duration_days,
    parse_start_day,
)

from ._support import fuzz_settings, run_parser

UNITS = [
    "mg",
    "mg/kg",
    "mg/m2",
    "mg/m^2",
    "mg/m²",
    "IU/kg",
    "MIU/m2",
    "cells/kg",
    "cells",
    "Gy",
    "ug/day",
    "µg/m2/day",
    "PFU",
    "dose",
    "doses",
    "g",
    "mL",
    "",
    "kg/mg",
    "AUC",
]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e999", "1e-400", "0", "0.0", ".5", "5.", "-3", "nan", "inf", "1e", "١٢"]),
)
SEPARATORS = st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0", "_"])

#: a structured dose: number, separator, unit (sometimes "AUC n")
DOSE_TEXT = st.one_of(
    st.builds(lambda n, s, u: f"{n}{s}{u}", NUMBERS, SEPARATORS, st.sampled_from(UNITS)),
    st.builds(lambda s, n: f"AUC{s}{n}", SEPARATORS, NUMBERS),
    st.text(max_size=30),
)
DURATION_TEXT = st.one_of(
    st.builds(
        lambda n, s, u: f"{n}{s}{u}",
        NUMBERS,
        SEPARATORS,
        st.sampled_from(
            ["days", "day", "d", "weeks", "w", "months", "hours", "h", "years", "", "Weeks"]
        ),
    ),
    st.text(max_size=30),
    st.integers(),
    st.floats(),
)
START_TEXT = st.one_of(
    st.builds(
        lambda u, s, n: f"{u}{s}{n}",
        st.sampled_from(["day", "week", "month", "Day", "year", ""]),
        SEPARATORS,
        NUMBERS,
    ),
    st.text(max_size=30),
    st.integers(),
)


@fuzz_settings(300)
@given(DOSE_TEXT)
def test_dose_strings(text):
    out = run_parser(
        "dose string", lambda: parse_dose_text(text), needs_location=False, needs_source=False
    )
    if isinstance(out, DoseError):
        assert text[:20] in str(out), "the message quotes the dose text"
    else:
        assert isinstance(out["unit"], DoseUnit)
        assert math.isfinite(out["value"]), f"{text!r} parsed to a non-finite dose"


@fuzz_settings(200)
@given(DURATION_TEXT)
def test_duration_strings(text):
    out = run_parser(
        "duration string",
        lambda: parse_duration_days(text),
        needs_location=False,
        needs_source=False,
    )
    if not isinstance(out, DoseError):
        assert math.isfinite(out) and out > 0, f"{text!r} parsed to {out}"


@fuzz_settings(200)
@given(START_TEXT)
def test_start_strings(text):
    out = run_parser(
        "start string", lambda: parse_start_day(text), needs_location=False, needs_source=False
    )
    if not isinstance(out, DoseError):
        assert math.isfinite(out) and out >= 0, f"{text!r} parsed to {out}"
