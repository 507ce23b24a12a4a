from __future__ import annotations

from pathlib import Path

import pytest


def _repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise RuntimeError("pyproject.toml not found")


@pytest.fixture(scope="session")
def icb_dir() -> Path:
    root = _repo_root()
    for parent in [root, *root.parents]:
        candidate = parent.parent / "shared" / "data" / "icb"
        if (candidate / "LORIS_AllData__Chowell_train.csv").is_file():
            return candidate
    pytest.skip("../shared/data/icb (LORIS cohort CSVs) not found beside the repository")
