"""Paths for the calibration tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def trials_csv() -> Path:
    """The calibration targets: ../shared/data/calibration/trials.csv (or $IMMUNOTWIN_SHARED)."""
    shared = Path(os.environ.get("IMMUNOTWIN_SHARED", REPO_ROOT.parent / "shared"))
    path = shared / "data" / "calibration" / "trials.csv"
    if not path.is_file():
        pytest.skip(f"calibration targets {path} are absent (../shared sits beside the repo)")
    return path


@pytest.fixture(scope="session")
def model():
    """The immunotwin model (built once for the folder)."""
    from immunotwin.model.immune.build import immunotwin_model

    return immunotwin_model()


@pytest.fixture(scope="session")
def compiled(model):
    """The compiled immunotwin model (compiled once for the folder)."""
    from immunotwin.model.compile import compile_model

    return compile_model(model)
