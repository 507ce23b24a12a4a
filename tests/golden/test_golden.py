"""Every example spec reproduces its checked-in golden summary (readable diff on failure).

A change that moves a number must regenerate the goldens deliberately:
``PYTHONPATH=src python -m tests.golden.regenerate``.
"""

from __future__ import annotations

import difflib

import pytest

from .regenerate import EXAMPLES, dumps, golden_path, golden_summary

SPECS = sorted(EXAMPLES.glob("*.yaml"))


def test_every_example_has_a_golden():
    missing = [p.name for p in SPECS if not golden_path(p).exists()]
    assert not missing, f"no golden for {missing}; run python -m tests.golden.regenerate"


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.stem)
def test_summary_matches_golden(spec_path):
    golden = golden_path(spec_path)
    if not golden.exists():
        pytest.fail(f"{golden.name} missing; run PYTHONPATH=src python -m tests.golden.regenerate")
    expected, actual = golden.read_text(), dumps(golden_summary(spec_path))
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"golden/{golden.name}",
                tofile="this run",
                n=2,
            )
        )
        pytest.fail(
            f"{spec_path.name} moved from its golden summary:\n{diff}\n"
            "If the change is intended, regenerate: "
            f"PYTHONPATH=src python -m tests.golden.regenerate {spec_path.stem}"
        )
