"""Which virtual-patient parameters and biomarkers separate the responders of a calibration arm.

Draws the arm's virtual patients and their effective parameters exactly as the trial engine
does (sampled -> biomarker maps -> shipped calibration), runs the arm with them, and prints the
Spearman correlation of every varying parameter and biomarker with objective response (CR/PR),
strongest first. A diagnostic for model changes (docs/validation.md, issue 5).

    PYTHONPATH=src python bench/response_drivers.py keynote024_pembrolizumab --patients 200
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from immunotwin.population.calibration_io import shipped_parameter_set
from immunotwin.population.catalog import load_tumor_catalog
from immunotwin.trials.engine import (
    _model_and_kernel,
    arm_patients,
    presenting_parameters,
    run_trial,
)
from immunotwin.trials.load import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
BIOMARKERS = (
    "tmb",
    "pdl1_tps",
    "cd8_relative",
    "treg_cd8_ratio",
    "baseline_sld_mm",
    "growth_rate_per_day",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", help="calibration spec name under examples/calibration/")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    spec = load_trial_spec(
        ROOT / "examples/calibration" / f"{args.spec.removesuffix('.yaml')}.yaml"
    )
    spec = spec.model_copy(update={"patients_per_arm": args.patients})
    model, _ = _model_and_kernel()
    calibration = shipped_parameter_set()
    patients = arm_patients(spec, 0)
    tumour = load_tumor_catalog().get(spec.tumor_type)
    params = presenting_parameters(spec, patients, tumour, calibration)
    result = run_trial(spec, calibration=calibration, patients=patients, parameters=params)
    table = result.arms[0].patients
    responder = table["best_overall_response"].isin(["CR", "PR"]).to_numpy()
    print(f"{spec.name}: {len(table)} patients, ORR {100 * responder.mean():.1f} %")

    rows = []
    for k, parameter in enumerate(model.parameters):
        if np.ptp(params[:, k]) > 0:
            rows.append((parameter.name, spearmanr(params[:, k], responder).statistic))
    for name in BIOMARKERS:
        values = patients[name].to_numpy(dtype=float) if name in patients else None
        if values is not None and np.isfinite(values).all() and np.ptp(values) > 0:
            rows.append((f"patient: {name}", spearmanr(values, responder).statistic))
    rows.sort(key=lambda row: -abs(np.nan_to_num(row[1])))
    chance = 3.0 / np.sqrt(len(table))
    print(f"(|rho| below ~{chance:.2f} = 3/sqrt(n) is within chance among ~300 parameters)")
    print(f"{'parameter or biomarker':45s} Spearman rho with response")
    for name, rho in rows[: args.top]:
        print(f"{name:45s} {rho:+.2f}")


if __name__ == "__main__":
    main()
