"""Helpers shared by the fuzz tests: data paths, case counters and the error-contract check.

The contract (issue #13): a parser given any input either returns or raises an
:class:`immunotwin.errors.ImmunotwinError` subclass whose ``source`` names the input, whose
``location`` (or message) names the field/line, and whose ``fix`` says what to do. Anything
else escaping (KeyError, ValueError, TypeError, IndexError, pydantic ValidationError, ...) is a
crash and fails the test.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from immunotwin.errors import ImmunotwinError

#: cases run per parser in this session (printed at the end, written to $IMMUNOTWIN_FUZZ_REPORT)
CASES: collections.Counter[str] = collections.Counter()
#: of those, how many ended in a (well-formed) ImmunotwinError
REJECTED: collections.Counter[str] = collections.Counter()

DEFAULT_EXAMPLES = 60


def n_examples(default: int = DEFAULT_EXAMPLES) -> int:
    """Examples per fuzz test: ``$IMMUNOTWIN_FUZZ_EXAMPLES`` or the fast CI default."""
    return int(os.environ.get("IMMUNOTWIN_FUZZ_EXAMPLES", default))


def fuzz_settings(default: int = DEFAULT_EXAMPLES, **kw: Any) -> settings:
    return settings(
        max_examples=n_examples(default),
        deadline=None,
        derandomize=os.environ.get("IMMUNOTWIN_FUZZ_RANDOM") is None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
        database=None,
        # no shrinking by default: a failure prints its (unshrunk) input quickly in CI
        phases=[Phase.explicit, Phase.reuse, Phase.generate]
        + ([Phase.shrink] if os.environ.get("IMMUNOTWIN_FUZZ_SHRINK") else []),
        **kw,
    )


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent
    raise RuntimeError("pyproject.toml not found above the tests")


def shared_data(*parts: str) -> Path:
    """A path under ``../shared/data`` (skips the test when the shared data is absent)."""
    root = repo_root()
    for base in (root.parent / "shared" / "data", root.parent.parent / "shared" / "data"):
        if base.exists():
            path = base.joinpath(*parts)
            if path.exists():
                return path
    pytest.skip(f"shared test data not found: ../shared/data/{'/'.join(parts)}")
    raise AssertionError  # unreachable


def check_error(
    exc: ImmunotwinError, *, parser: str, needs_location: bool = True, needs_source: bool = True
) -> None:
    """Assert the message names the input, the field/line and the fix.

    ``needs_source=False`` for fragment parsers (a dose string, one HLA name) whose callers add
    the source (spec file, CSV line); their message must then quote the fragment itself.
    """
    if needs_source:
        assert exc.source, f"{parser}: error without source: {exc!r}"
    assert exc.fix, f"{parser}: error without a fix: {exc}"
    if needs_location:
        assert exc.location or ":" in exc.message or "'" in exc.message, (
            f"{parser}: error names no field or line: {exc}"
        )
    assert str(exc).strip(), f"{parser}: empty message"


def run_parser(
    parser: str,
    fn: Callable[[], Any],
    *,
    needs_location: bool = True,
    needs_source: bool = True,
) -> Any:
    """Call ``fn``; only a well-formed ImmunotwinError may escape (counted per parser)."""
    CASES[parser] += 1
    try:
        return fn()
    except ImmunotwinError as exc:
        REJECTED[parser] += 1
        check_error(exc, parser=parser, needs_location=needs_location, needs_source=needs_source)
        return exc
