"""Streamed trials give the in-memory run's rows and summary, resume after an interruption, and
do not depend on chunk size, executor or worker count."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from immunotwin.demo import demo_spec
from immunotwin.engine.streams import RNG_BLOCK_PATIENTS, BlockRandom
from immunotwin.trials.run import run_spec
from immunotwin.trials.stream import ChunkLimitReached, chunk_bounds, run_streamed

TABLES = ("patients.parquet", "doses.parquet", "adtte.parquet", "adrs.parquet")


@pytest.fixture(scope="module")
def spec():
    return demo_spec().model_copy(update={"patients_per_arm": 30, "follow_up_months": 12.0})


BLOCK = 10  # small random blocks so a 30-patient arm has 3 chunks (the default is 1,000)


@pytest.fixture(scope="module")
def reference(spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("in_memory")
    return out, run_spec(spec, out, rng_block_patients=BLOCK)


def _same_outputs(a, b):
    for name in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True, obj=name
        )
    assert json.loads((a / "summary.json").read_text()) == json.loads(
        (b / "summary.json").read_text()
    )


def test_block_random_does_not_depend_on_chunking():
    whole = BlockRandom([7, 1], 0, 2500)
    draws = whole.standard_normal(2500), whole.exponential(1.0, size=(2500, 3))
    parts = [BlockRandom([7, 1], a, min(1000, 2500 - a)) for a in (0, 1000, 2000)]
    pieces = [(r.standard_normal(r.n), r.exponential(1.0, size=(r.n, 3))) for r in parts]
    np.testing.assert_array_equal(draws[0], np.concatenate([p[0] for p in pieces]))
    np.testing.assert_array_equal(draws[1], np.concatenate([p[1] for p in pieces]))
    assert not np.array_equal(draws[0][:1000], draws[0][1000:2000])  # blocks differ
    with pytest.raises(Exception, match="multiple of"):
        BlockRandom([7, 1], 500, 10)


def test_chunk_bounds_round_to_random_blocks():
    assert chunk_bounds(2500, 1500) == [(0, 2000), (2000, 2500)]
    assert chunk_bounds(10, 1) == [(0, 10)]
    assert chunk_bounds(25, 1, block=10) == [(0, 10), (10, 20), (20, 25)]
    assert RNG_BLOCK_PATIENTS == 1000


def test_streamed_equals_in_memory(spec, reference, tmp_path):
    out = tmp_path / "streamed"
    summary = run_streamed(spec, out, chunk_patients=10, rng_block_patients=BLOCK)
    _same_outputs(reference[0], out)
    assert summary["arms"] == reference[1]["arms"]
    assert not (out / "parts").exists()
    assert (out / "report.html").stat().st_size > 0


def test_interrupted_run_resumes_to_the_same_result(spec, reference, tmp_path):
    out = tmp_path / "resumed"
    calls = []
    with pytest.raises(ChunkLimitReached):
        run_streamed(spec, out, chunk_patients=10, rng_block_patients=BLOCK, stop_after_chunks=2)
    done = sorted((out / "parts" / "patients").glob("arm=*/chunk=*.parquet"))
    assert len(done) == 2
    stamps = {p: p.stat().st_mtime_ns for p in done}
    run_streamed(
        spec,
        out,
        chunk_patients=10,
        rng_block_patients=BLOCK,
        resume=True,
        keep_parts=True,
        progress=lambda arm, d, n: calls.append((arm, d, n)),
    )
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # not redone
    assert len(calls) == 4  # 6 chunks in all, 2 were done
    _same_outputs(reference[0], out)


def test_resume_refuses_a_different_spec(spec, tmp_path):
    out = tmp_path / "changed"
    with pytest.raises(ChunkLimitReached):
        run_streamed(spec, out, chunk_patients=10, rng_block_patients=BLOCK, stop_after_chunks=1)
    with pytest.raises(Exception, match="cannot resume"):
        run_streamed(
            spec.model_copy(update={"seed": 99}),
            out,
            chunk_patients=10,
            rng_block_patients=BLOCK,
            resume=True,
        )


@pytest.mark.slow  # the Dask test covers worker processes in the fast set
def test_process_pool_gives_the_same_rows(spec, reference, tmp_path):
    from immunotwin.engine import ProcessExecutor

    run_streamed(
        spec, tmp_path, chunk_patients=10, rng_block_patients=BLOCK, executor=ProcessExecutor(2)
    )
    _same_outputs(reference[0], tmp_path)


def test_cli_streams_and_resumes(tmp_path):
    from typer.testing import CliRunner

    from immunotwin.cli import app
    from immunotwin.demo import DEMO_SPEC

    args = ["trial", "run", str(DEMO_SPEC), "--patients", "8", "--out", str(tmp_path)]
    first = CliRunner().invoke(app, [*args, "--chunk-patients", "4"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, [*args, "--chunk-patients", "4", "--resume"])
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "summary.json").read_text())["arms"][0]["n"] == 8
