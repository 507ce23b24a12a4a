"""The shipped parameter set reproduces its fit report (a small sample of its arms).

``immunotwin calibrate`` wrote ``fit_report.csv``: the simulated ORR, CR and median PFS/OS of
every calibration arm at the fit's patients per arm, with the specs' seeds. Re-running a sample
with the shipped set must give the same numbers (same seeds, same virtual patients; rtol 1e-5
covers the 1e-6 log-rounding of the stored multipliers), and running an arm twice must give
identical results. If
the model changes (e.g. a new mechanism), this fails: re-run ``immunotwin calibrate``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunotwin.population.calibration_io import shipped_parameter_set
from immunotwin.population.validation import run_arm

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ("keynote024_pembrolizumab", "oak_docetaxel")


@pytest.fixture(scope="module")
def report() -> pd.DataFrame:
    path = Path(str(resources.files("immunotwin.data") / "calibration" / "fit_report.csv"))
    return pd.read_csv(path).set_index("spec")


@pytest.mark.parametrize("name", SAMPLE)
def test_shipped_set_reproduces_its_report(report, name):
    shipped = shipped_parameter_set()
    spec = f"examples/calibration/{name}.yaml"
    expected = report.loc[spec]
    assert int(expected["n_simulated"]) == shipped.patients_per_arm
    run = run_arm(
        spec,
        root=REPO_ROOT,
        patients=shipped.patients_per_arm,
        seed=shipped.seed,
        parameter_set=shipped,
    )
    assert run.ok, run.error
    got = run.summary
    np.testing.assert_allclose(100 * got["orr"], expected["orr_simulated"], rtol=1e-5)
    np.testing.assert_allclose(100 * got["cr_rate"], expected["cr_simulated"], rtol=1e-5)
    for key in ("median_pfs", "median_os"):
        value = got[f"{key}_months"]
        np.testing.assert_allclose(
            np.nan if value is None else value, expected[f"{key}_simulated"], rtol=1e-5
        )


def test_same_seed_reproduces_exactly():
    shipped = shipped_parameter_set()
    spec = f"examples/calibration/{SAMPLE[1]}.yaml"
    a, b = (
        run_arm(spec, root=REPO_ROOT, patients=20, seed=5, parameter_set=shipped) for _ in range(2)
    )
    assert a.ok and b.ok
    assert a.summary == b.summary
    np.testing.assert_array_equal(a.os.time_days, b.os.time_days)
