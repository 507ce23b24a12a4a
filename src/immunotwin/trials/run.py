"""Run a trial spec end to end: simulate, cost, and write the outputs."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from immunotwin.engine.executors import Executor
from immunotwin.engine.streams import RNG_BLOCK_PATIENTS
from immunotwin.trials.engine import ProgressCallback, TrialResult, run_trial
from immunotwin.trials.outputs import write_outputs
from immunotwin.trials.spec import TrialSpec


def attach_costs(result: TrialResult) -> list[str]:
    """Add ``cost_usd`` (within-trial, discounted, economics defaults) to every arm's patients.

    Returns the economics warnings (e.g. drugs without a sourced price, costed at 0).
    """
    from immunotwin.economics.costs import resource_use
    from immunotwin.economics.io import check_patients
    from immunotwin.economics.models import per_patient_results
    from immunotwin.economics.settings import EconomicsSettings

    settings = EconomicsSettings()
    patients = check_patients(pd.concat([a.patients for a in result.arms], ignore_index=True))
    doses = pd.concat([a.doses for a in result.arms], ignore_index=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        use = resource_use(patients, doses, settings)
        per_patient = per_patient_results(patients, use, settings)
    cost = per_patient.set_index("patient_id")["cost_total"]
    for arm in result.arms:
        arm.patients["cost_usd"] = cost.loc[arm.patients["patient_id"]].to_numpy()
    return sorted({str(w.message) for w in caught})


def run_spec(
    spec: TrialSpec,
    out_dir: str | Path,
    *,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    rng_block_patients: int = RNG_BLOCK_PATIENTS,
) -> dict[str, Any]:
    """Simulate ``spec``, attach costs, write all outputs to ``out_dir``; returns summary.

    Everything is held in memory; :func:`immunotwin.trials.stream.run_streamed` writes the same
    files for trials of any size.
    """
    result = run_trial(
        spec, executor=executor, progress=progress, rng_block_patients=rng_block_patients
    )
    notes = attach_costs(result)
    result.provenance["economics_warnings"] = notes
    return write_outputs(result, out_dir)
