from pathlib import Path

import pytest


def repo_root() -> Path:
    here = Path(__file__).resolve()
    return next(p for p in here.parents if (p / "pyproject.toml").exists())


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return repo_root() / "examples" / "patients"
