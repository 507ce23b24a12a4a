"""The generated Jacobian (chain rule through nested quantities) equals finite differences."""

from __future__ import annotations

import numpy as np

from immunotwin.model import compile_model
from immunotwin.model.library.checkpoint_reference import checkpoint_reference_model


def test_chain_rule_jacobian_matches_central_differences():
    cm = compile_model(checkpoint_reference_model())
    y = cm.default_initial_state()
    y[cm.model.state_index("antipd1_central")] = 150.0
    y[cm.model.state_index("ab_tumor")] = 3.0
    y[cm.model.state_index("pd1_bound")] = 0.4
    y[cm.model.state_index("autoreactive")] = 0.1
    p = cm.default_parameters()
    jac = cm.jacobian(y, p)
    for j in range(cm.n_states):
        h = 1e-6 * max(abs(y[j]), 1.0)
        up, down = y.copy(), y.copy()
        up[j] += h
        down[j] -= h
        fd = (cm.rhs(up, p) - cm.rhs(down, p)) / (2 * h)
        scale = np.maximum(np.abs(fd), np.abs(jac[:, j])) + 1e-8 * np.abs(cm.rhs(y, p)).max() / max(
            abs(y[j]), 1.0
        )
        assert np.all(np.abs(jac[:, j] - fd) <= 1e-5 * scale + 1e-9), j
