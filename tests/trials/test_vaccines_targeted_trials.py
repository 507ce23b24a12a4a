"""Sipuleucel-T in a small trial: OS benefit without tumour shrinkage (issue 6).

The other new example specs run end to end in tests/trials/test_trial_run.py."""

from __future__ import annotations

import numpy as np
import pytest

from immunotwin.trials.engine import run_trial
from immunotwin.trials.spec import TrialSpec


@pytest.mark.xfail(
    strict=True,
    reason="known gap: with the shipped calibration, PD-1/TGF-beta/MDSC brakes in the prostate "
    "model neutralise the vaccine-primed effectors (tumour-resident CD8 rise, kill does not), so "
    "OS does not improve; needs calibration of the sipuleucel_* and prostate immune parameters",
)
def test_sipuleucel_t_prolongs_survival_without_shrinkage():
    spec = TrialSpec.model_validate(
        {
            "name": "IMPACT-like",
            "tumor_type": "prostate",
            "population": {"line": 2},
            "patients_per_arm": 40,
            "seed": 7,
            "follow_up_months": 36,
            "control_arm": "placebo",
            "arms": [
                {
                    "name": "placebo",
                    "regimen": [
                        {"drug": "placebo", "dose": "5e7 cells", "every": "2 weeks", "cycles": 3}
                    ],
                },
                {
                    "name": "sipuleucel-T",
                    "regimen": [
                        {
                            "drug": "sipuleucel_t",
                            "dose": "5e7 cells",
                            "every": "2 weeks",
                            "cycles": 3,
                        }
                    ],
                },
            ],
        }
    )
    placebo, sipt = run_trial(spec).arms
    for arm in (placebo, sipt):
        assert (arm.patients["solver_status"] == 0).all()
    # paired virtual patients: survival is longer on sipuleucel-T ...
    os_gain = sipt.patients["os_months"].to_numpy() - placebo.patients["os_months"].to_numpy()
    assert os_gain.mean() > 0.5  # months
    assert (os_gain >= -1e-9).mean() > 0.9
    # ... with little tumour shrinkage (IMPACT: no objective-response benefit)
    orr = sipt.patients["best_overall_response"].isin(["CR", "PR"]).mean()
    assert orr <= 0.1
    shrink = np.median(sipt.patients["best_pct_change"] - placebo.patients["best_pct_change"])
    assert abs(shrink) < 10.0
