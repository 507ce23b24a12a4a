"""One compiled immunotwin model for the whole folder (a compile costs tens of seconds)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def immune_model():
    from immunotwin.model.immune import immunotwin_model

    return immunotwin_model()


@pytest.fixture(scope="session")
def immune_compiled(immune_model):
    from immunotwin.model import compile_model

    return compile_model(immune_model)


@pytest.fixture(scope="session")
def typical_baseline(immune_compiled):
    """The typical patient at a 3.7 cm NSCLC tumour (QSP-IO median diameter)."""
    from immunotwin.model.immune.baseline import baseline_state

    p = immune_compiled.default_parameters()
    volume_ml = np.pi / 6 * 3.7**3
    cells = 0.75 * volume_ml / 2.53e-9
    return p, baseline_state(immune_compiled, p[None, :], np.array([cells]))[0]
