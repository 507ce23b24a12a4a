"""Fuzz-test session report: cases run per parser (for the issue #13 closing note)."""

from __future__ import annotations

import json
import os

from ._support import CASES, REJECTED


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    if not CASES:
        return
    terminalreporter.write_sep("-", "fuzz cases per parser (rejected with ImmunotwinError)")
    for name in sorted(CASES):
        terminalreporter.write_line(f"{name:32s} {CASES[name]:7d}  ({REJECTED[name]} rejected)")
    report = os.environ.get("IMMUNOTWIN_FUZZ_REPORT")
    if report:
        with open(report, "w", encoding="utf-8") as fh:
            json.dump(
                {k: {"cases": CASES[k], "rejected": REJECTED[k]} for k in CASES}, fh, indent=2
            )
