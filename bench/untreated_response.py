"""Objective responses without any drug: the IMPACT placebo arm run in several tumour types.

A trial enrols progressing disease, so an untreated arm should have (almost) no responses
(IMPACT placebo 0/171). Prints each type's ORR and CR, and the plausibility step's count of
redrawn patients (docs/model.md, docs/validation.md model change 7).

    PYTHONPATH=src python bench/untreated_response.py --patients 300
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from immunotwin.trials.engine import run_trial
from immunotwin.trials.load import load_trial_spec

ROOT = Path(__file__).resolve().parents[1]
TUMOUR_TYPES = ("nsclc", "prostate", "melanoma", "hcc", "cervical", "urothelial")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    args = parser.parse_args()
    logging.basicConfig(format="  %(message)s")
    logging.getLogger("immunotwin.population.plausibility").setLevel(logging.INFO)
    placebo = load_trial_spec(ROOT / "examples/calibration/impact_placebo.yaml")
    for tumour in TUMOUR_TYPES:
        spec = placebo.model_copy(update={"tumor_type": tumour, "patients_per_arm": args.patients})
        table = run_trial(spec).arms[0].patients
        best = table["best_overall_response"]
        print(
            f"{tumour:12s} untreated ORR {100 * best.isin(['CR', 'PR']).mean():5.1f} %  "
            f"CR {100 * (best == 'CR').mean():5.1f} %"
        )


if __name__ == "__main__":
    main()
