"""Shared fixtures: locate ../shared/data beside the repository root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent
    raise RuntimeError("pyproject.toml not found above the tests")


def shared_data() -> Path:
    """``../shared/data`` beside the repo; ``$IMMUNOTWIN_SHARED_DATA`` or a worktree's
    grandparent ``shared/data`` when the checkout is nested (e.g. ``wt/<branch>``)."""
    env = os.environ.get("IMMUNOTWIN_SHARED_DATA")
    candidates = [Path(env)] if env else []
    root = repo_root()
    candidates += [root.parent / "shared" / "data", root.parent.parent / "shared" / "data"]
    for cand in candidates:
        if cand.exists():
            return cand
    return candidates[0] if env else root.parent / "shared" / "data"


def data_path(*parts: str) -> Path:
    path = shared_data().joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test data not found: {path} (clone ../shared beside the repo)")
    return path


@pytest.fixture
def pvacseq_dir() -> Path:
    return data_path("vcf", "pvacseq_test_hcc1395_grch37")


@pytest.fixture
def converter_dir() -> Path:
    return data_path("vcf", "input_file_converter_tests")
