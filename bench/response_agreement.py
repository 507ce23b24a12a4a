"""Agreement of the response model with the mechanistic model's responders (issue 8 hook).

Runs checkpoint-inhibitor calibration arms with the shipped parameter set, scores every virtual
patient's biomarkers with the shipped response model, and prints the simulated ORR, the mean
predicted response probability and the AUC of the predicted probability for the simulated
responders.

    PYTHONPATH=src python bench/response_agreement.py --patients 300
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from immunotwin.response.hook import responder_agreement
from immunotwin.trials.engine import run_trial
from immunotwin.trials.load import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
ARMS = (
    "keynote042_pembrolizumab",
    "keynote024_pembrolizumab",
    "checkmate067_nivolumab",
    "keynote045_pembrolizumab",
    "imvigor210_cohort2_atezolizumab",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    args = parser.parse_args()
    rows = []
    for name in ARMS:
        spec = load_trial_spec(ROOT / "examples" / "calibration" / f"{name}.yaml")
        spec = spec.model_copy(update={"patients_per_arm": args.patients})
        arm = run_trial(spec).arms[0]
        patients = arm.patients.assign(tumor_type=spec.tumor_type)
        rows.append({"arm": name, "tumor_type": spec.tumor_type, **responder_agreement(patients)})
        print(json.dumps(rows[-1]))


if __name__ == "__main__":
    main()
