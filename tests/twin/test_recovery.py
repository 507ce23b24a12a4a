"""Synthetic-patient recovery: measurements generated from known parameters."""

import datetime as dt

import numpy as np

from immunotwin.population.calibration_io import shipped_parameter_set
from immunotwin.trials.engine import _model_and_kernel
from immunotwin.twin.build import update_with_measurements
from immunotwin.twin.ensemble import GROWTH, prior_ensemble
from immunotwin.twin.history import simulate_history_sld
from immunotwin.twin.patient import patient_from_dict

DAYS = (0, 42, 84, 126, 168)


def _patient(sld):
    start = dt.date(2025, 1, 6)
    return patient_from_dict(
        {
            "tumor_type": "nsclc",
            "line": 2,
            "age_years": 65,
            "biomarkers": {"pdl1_tps": 0.1, "tmb_mut_per_mb": 6},
            "measurements": [
                {"date": str(start + dt.timedelta(days=d)), "sld_mm": float(s)}
                for d, s in zip(DAYS, sld, strict=True)
            ],
            "treatments": [
                {
                    "start_date": str(start),
                    "regimen": [
                        {"drug": "docetaxel", "dose": "75 mg/m2", "every": "3 weeks", "cycles": 4}
                    ],
                }
            ],
        }
    )


def test_posterior_contains_truth_and_narrows():
    model, _ = _model_and_kernel()
    calibration = shipped_parameter_set()
    placeholder = _patient([70.0] * len(DAYS))
    truth = prior_ensemble(placeholder, model, 1, seed=2024, calibration=calibration)
    true_sld = simulate_history_sld(truth, placeholder)[0]
    rng = np.random.default_rng(1)
    noisy = true_sld * (1 + 0.1 * rng.standard_normal(true_sld.size))
    noisy[0] = 70.0
    patient = _patient(noisy)
    prior = prior_ensemble(patient, model, 40, seed=7, calibration=calibration)
    posterior, info = update_with_measurements(prior, patient, seed=7)
    g_true = float(truth.table()[GROWTH].iloc[0])
    lo, hi = info["posterior"][GROWTH]["interval90"]
    plo, phi = info["prior"][GROWTH]["interval90"]
    assert lo <= g_true <= hi
    assert np.log(hi / lo) < 0.7 * np.log(phi / plo)
    fit = info["history_fit"]
    # the posterior's simulated trajectory follows the measured one
    assert np.all(np.array(fit["posterior_q10_mm"]) <= np.array(fit["observed_mm"]) * 1.25)
    assert np.all(np.array(fit["posterior_q90_mm"]) >= np.array(fit["observed_mm"]) * 0.75)
    assert info["temperatures"][-1] == 1.0
