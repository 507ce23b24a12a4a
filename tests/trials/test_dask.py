"""A 2-worker Dask LocalCluster on 127.0.0.1 gives the same rows as the serial run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from immunotwin.demo import demo_spec
from immunotwin.trials.stream import run_streamed

pytest.importorskip("dask.distributed")


def test_two_dask_workers_give_identical_results(tmp_path):
    from immunotwin.engine import DaskExecutor

    spec = demo_spec().model_copy(update={"patients_per_arm": 12, "follow_up_months": 6.0})
    run_streamed(spec, tmp_path / "serial", chunk_patients=4, rng_block_patients=4)
    with DaskExecutor(local_workers=2) as executor:
        assert len(executor.client.scheduler_info()["workers"]) == 2
        run_streamed(
            spec, tmp_path / "dask", chunk_patients=4, rng_block_patients=4, executor=executor
        )
    for name in ("patients.parquet", "doses.parquet", "adtte.parquet", "adrs.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "serial" / name),
            pd.read_parquet(tmp_path / "dask" / name),
            check_exact=True,
        )
    serial = json.loads((tmp_path / "serial" / "summary.json").read_text())
    assert serial == json.loads((tmp_path / "dask" / "summary.json").read_text())
