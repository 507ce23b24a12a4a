"""Shared fixtures: paths to the shared data folder and compiled reference models."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent (it sits beside the repository)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def kuznetsov():
    from immunotwin.model import compile_model
    from immunotwin.model.library.kuznetsov import kuznetsov_1994

    return compile_model(kuznetsov_1994())


@pytest.fixture(scope="session")
def pembrolizumab_pk():
    """Pembrolizumab two-compartment PK alone (Ahamadi 2017 typical values)."""
    from immunotwin.model import Model, Source, compile_model
    from immunotwin.model.library.pk import add_two_compartment_pk

    model = add_two_compartment_pk(
        Model(name="pembrolizumab_pk"),
        "pembrolizumab",
        cl_l_per_day=0.22,
        v1_l=3.48,
        q_l_per_day=0.795,
        v2_l=4.06,
        source=Source(citation="Ahamadi 2017 CPT:PSP"),
    )
    return compile_model(model)
