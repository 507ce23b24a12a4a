"""The long fuzz run: every fuzz test with many more examples (``-m slow``).

Equivalent by hand: ``IMMUNOTWIN_FUZZ_EXAMPLES=2000 IMMUNOTWIN_FUZZ_REPORT=fuzz.json
PYTHONPATH=src python -m pytest tests/fuzz`` (add ``IMMUNOTWIN_FUZZ_RANDOM=1`` for fresh
random inputs instead of the derandomised CI sequence, ``IMMUNOTWIN_FUZZ_SHRINK=1`` to shrink a
failure to a minimal input).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ._support import repo_root


@pytest.mark.slow
def test_long_fuzz_run(tmp_path):
    report = tmp_path / "fuzz.json"
    env = {
        **os.environ,
        "IMMUNOTWIN_FUZZ_EXAMPLES": os.environ.get("IMMUNOTWIN_FUZZ_EXAMPLES", "1000"),
        "IMMUNOTWIN_FUZZ_RANDOM": "1",
        "IMMUNOTWIN_FUZZ_REPORT": str(report),
        "PYTHONPATH": str(repo_root() / "src"),
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
            str(repo_root() / "tests" / "fuzz"),
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=repo_root(),
        timeout=3600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    counts = json.loads(report.read_text())
    assert min(v["cases"] for v in counts.values()) >= 100
