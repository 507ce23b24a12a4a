"""A failing virtual patient (NaN parameter) is reported with a reason by every executor
(serial, process pool, Dask LocalCluster), counted in the summary, and the other patients'
rows are identical to a run without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunotwin.demo import demo_spec
from immunotwin.engine import ProcessExecutor, SerialExecutor
from immunotwin.trials.engine import (
    ChunkTask,
    TrialResult,
    arm_patients,
    resolve_calibration,
    run_chunk,
)
from immunotwin.trials.outputs import arm_summaries

N, CHUNK, BAD = 6, 3, 1


@pytest.fixture(scope="module")
def spec():
    return demo_spec().model_copy(
        update={"patients_per_arm": N, "follow_up_months": 6.0, "control_arm": None}
    )


def _tasks(spec, inject: bool) -> list[ChunkTask]:
    calibration = resolve_calibration(None)
    patients = arm_patients(spec, 0)
    if inject:
        patients = patients.copy()
        patients.loc[BAD, "growth_rate_per_day"] = np.nan  # -> a NaN model parameter
    return [
        ChunkTask(spec, calibration, 0, k, start, patients.iloc[start : start + CHUNK], CHUNK)
        for k, start in enumerate(range(0, N, CHUNK))
    ]


def _run(executor, spec, inject: bool) -> pd.DataFrame:
    outcomes = list(executor.map(run_chunk, _tasks(spec, inject)))
    return pd.concat([o.patients for o in outcomes], ignore_index=True), outcomes


@pytest.fixture(scope="module")
def clean(spec):
    return _run(SerialExecutor(), spec, inject=False)[0]


@pytest.mark.parametrize(
    "name",
    # the spawned pools cost ~30 s each on 2 cores (worker start-up + kernel load)
    [
        "serial",
        pytest.param("process", marks=pytest.mark.slow),
        pytest.param("dask", marks=pytest.mark.slow),
    ],
)
def test_failing_patient_is_reported_and_isolated(name, spec, clean):
    if name == "dask":
        pytest.importorskip("dask.distributed")
        from immunotwin.engine import DaskExecutor

        with DaskExecutor(local_workers=2) as executor:
            rows, outcomes = _run(executor, spec, inject=True)
    else:
        executor = SerialExecutor() if name == "serial" else ProcessExecutor(2)
        rows, outcomes = _run(executor, spec, inject=True)

    assert len(rows) == N, "the failing patient is kept, not dropped"
    bad = rows.iloc[BAD]
    assert bad["solver_status"] != 0
    assert len(bad["failure_reason"]) > 10 and bad["best_overall_response"] == "NE"
    others = [i for i in range(N) if i != BAD]
    pd.testing.assert_frame_equal(
        rows.iloc[others].reset_index(drop=True),
        clean.iloc[others].reset_index(drop=True),
        check_exact=True,
    )

    arm = outcomes[0].__class__(
        name=outcomes[0].name,
        patients=rows,
        visits=pd.concat([o.visits for o in outcomes], ignore_index=True),
        doses=pd.concat([o.doses for o in outcomes], ignore_index=True),
        classes=outcomes[0].classes,
    )
    result = TrialResult(
        spec=spec, arms=[arm], model_name="immunotwin", model_hash="", provenance={}
    )
    (summary,) = arm_summaries(result)
    assert summary["failed_patients"] == 1 and summary["n"] == N
