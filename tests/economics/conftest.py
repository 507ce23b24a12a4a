"""Fixtures of the economics tests (helpers live in economics_testdata.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from economics_testdata import make_run


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return make_run(tmp_path / "run")
