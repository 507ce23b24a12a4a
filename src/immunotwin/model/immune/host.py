"""Host circulating lymphocytes (ALC proxy), depleted by chemotherapy (brief §2.4).

dL/dt = k_Lh*(L0 - L) - LD(t)*L; the chemotherapy module adds the depletion process. NK
recruitment into the tumour scales with L/L0.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = ("lymphocytes_baseline", "lymphocyte_recovery_rate")


def add_host(model: Model) -> Model:
    """Add the circulating-lymphocyte state ``lymphocytes`` (cell/uL)."""
    m = with_parameters(model, PARAMETERS)
    return m.extend(
        states=[
            state(
                "lymphocytes",
                "cell/uL",
                "absolute lymphocyte count (L)",
                initial=1800.0,
                abs_tol=1e-3,
            ),
        ],
        processes=[
            process(
                "lymphocyte_homeostasis",
                "lymphocyte_recovery_rate*(lymphocytes_baseline - lymphocytes)",
                "cell/(uL*day)",
                {"lymphocytes": 1},
                "homeostatic return to the baseline count",
            ),
        ],
    )
