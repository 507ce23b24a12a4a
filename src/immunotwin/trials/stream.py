"""Streamed virtual trials: any number of patients in bounded memory, resumable, distributable.

Each arm is cut into chunks of ``chunk_patients`` (a multiple of the random block,
:data:`immunotwin.engine.streams.RNG_BLOCK_PATIENTS`). A chunk is one task for the executor
(serial, process pool or Dask): it simulates its patients, computes their endpoints and costs,
and returns small per-patient tables (no trajectories). The driver writes each chunk's rows to
part files under ``OUT/parts/`` (``patients|visits|doses/arm=<i>/chunk=<k>.parquet``; the
patients part is written last and atomically, so its presence marks the chunk done). When all
chunks are done the parts are consolidated into the same files an in-memory run writes
(``patients.parquet``, ``doses.parquet``, ``adtte.parquet``, ``adrs.parquet``, one row group
per chunk, read one part at a time), the summary is computed from the per-patient table, and the
parts are removed. Rows and summary are identical to :func:`immunotwin.trials.run.run_spec`
for the same spec and seed, because every random number comes from a per-block stream.

``resume=True`` keeps the finished chunks of an interrupted run (same spec, seed and chunk
size; checked against ``parts/manifest.json``) and runs only the missing ones.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from immunotwin import __version__
from immunotwin.engine.executors import Executor, SerialExecutor
from immunotwin.engine.streams import RNG_BLOCK_PATIENTS
from immunotwin.errors import InputError
from immunotwin.population.basket import TUMOR_TYPE_COLUMN, spec_tumour
from immunotwin.population.calibration import ParameterSet
from immunotwin.trials.engine import (
    ArmOutcome,
    ChunkTask,
    ProgressCallback,
    TrialResult,
    _model_and_kernel,
    arm_patients,
    resolve_calibration,
    run_chunk,
    trial_provenance,
)
from immunotwin.trials.outputs import (
    ADTTE_PARAMS,
    _atomic_bytes,
    adrs_bor_rows,
    adrs_ovr_rows,
    adtte_rows,
    build_summary,
    write_report,
)
from immunotwin.trials.spec import TrialSpec

log = logging.getLogger(__name__)

DEFAULT_CHUNK_PATIENTS = 5000
STREAM_ABOVE_PATIENTS = 20_000
# patients per arm drawn in the report's waterfall/swimmer/spider figures of a streamed run: a
# bar per patient is unreadable beyond this, and drawing 10^4 bars costs tens of seconds
FIGURE_PATIENTS_PER_ARM = 1000
"""``immunotwin trial run`` streams by itself above this many patients per arm."""
SUMMARY_COLUMNS = (
    "patient_id",
    "arm",
    "solver_status",
    "best_overall_response",
    "dor_months",
    "dor_event",
    "pfs_months",
    "pfs_event",
    "os_months",
    "os_event",
    "grade3plus_ae",
    "irae_any_grade",
    "crs_grade",
    "icans_grade",
    "cost_usd",
    TUMOR_TYPE_COLUMN,
)
"""Columns the summary, KM curves, toxicity table and cost section need (a few per patient;
``tumor_type`` only in basket arms, for their per-type rows)."""
NOTES_KEY = b"immunotwin_economics_warnings"


class ChunkLimitReached(RuntimeError):
    """Raised by ``stop_after_chunks`` (tests of interrupted runs)."""


@dataclass(frozen=True)
class ChunkRows:
    """What a chunk task returns: per-patient, per-visit and per-dose rows, cost warnings."""

    arm_index: int
    chunk_index: int
    patients: pd.DataFrame
    visits: pd.DataFrame
    doses: pd.DataFrame
    notes: list[str]


def run_chunk_rows(task: ChunkTask) -> ChunkRows:
    """One chunk end to end (simulation, endpoints, costs): the executor's task function."""
    from immunotwin.trials.run import attach_costs

    outcome = run_chunk(task)
    notes = attach_costs(TrialResult(task.spec, [outcome], "", ""))
    return ChunkRows(
        task.arm_index,
        task.chunk_index,
        outcome.patients,
        outcome.visits,
        outcome.doses,
        notes,
    )


def chunk_bounds(
    n_patients: int, chunk_patients: int, block: int = RNG_BLOCK_PATIENTS
) -> list[tuple[int, int]]:
    """(start, stop) of each chunk; chunk sizes are rounded up to whole random blocks."""
    size = max(1, -(-int(chunk_patients) // block)) * block
    return [(a, min(a + size, n_patients)) for a in range(0, n_patients, size)]


def _part(parts: Path, table: str, arm: int, chunk: int) -> Path:
    return parts / table / f"arm={arm}" / f"chunk={chunk:05d}.parquet"


def _write_part(path: Path, frame: pd.DataFrame, notes: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if notes is not None:
        meta = dict(table.schema.metadata or {})
        meta[NOTES_KEY] = json.dumps(notes).encode()
        table = table.replace_schema_metadata(meta)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def _manifest(spec: TrialSpec, chunk_patients: int, calibration: ParameterSet, block: int) -> dict:
    model, _ = _model_and_kernel()
    return {
        "immunotwin_version": __version__,
        "spec": spec.model_dump(mode="json"),
        "chunk_patients": chunk_bounds(spec.patients_per_arm, chunk_patients, block)[0][1],
        "rng_block_patients": block,
        "calibration": calibration.version,
        "model_hash": model.content_hash(),
    }


def _prepare_parts(parts: Path, manifest: dict, resume: bool) -> None:
    path = parts / "manifest.json"
    if resume and path.exists():
        found = json.loads(path.read_text())
        if found != manifest:
            changed = sorted(k for k in manifest if found.get(k) != manifest[k])
            raise InputError(
                f"cannot resume: the unfinished run in {parts.parent} differs in {changed}",
                source=str(path),
                fix="rerun with the same spec, seed and --chunk-patients, or drop --resume "
                "to start again",
            )
        return
    if parts.exists():
        shutil.rmtree(parts)
    parts.mkdir(parents=True)
    _atomic_bytes(path, json.dumps(manifest, indent=2).encode())


class _Consolidator:
    """Appends frames to one Parquet file (one row group each) under a fixed schema."""

    def __init__(self, dest: Path, schema: pa.Schema) -> None:
        self.dest, self.schema = dest, schema
        self.tmp = dest.with_name(f".{dest.name}.tmp")
        self.writer = pq.ParquetWriter(self.tmp, schema)

    def write(self, table: pa.Table | pd.DataFrame) -> None:
        if isinstance(table, pd.DataFrame):
            table = pa.Table.from_pandas(table, preserve_index=False)
        table = table.select(self.schema.names).replace_schema_metadata(None)
        self.writer.write_table(
            table.cast(self.schema.remove_metadata()).replace_schema_metadata(self.schema.metadata)
        )

    def close(self) -> None:
        self.writer.close()
        self.tmp.replace(self.dest)


def _schema(tables: list[pa.Schema]) -> pa.Schema:
    """The unified schema of parts (a column all-null in one chunk takes the others' type)."""
    meta = dict(tables[0].metadata or {})
    meta.pop(NOTES_KEY, None)
    return pa.unify_schemas([t.remove_metadata() for t in tables]).with_metadata(meta)


def _frame_schema(frame: pd.DataFrame) -> pa.Schema:
    return pa.Table.from_pandas(frame, preserve_index=False).schema


def _arm_classes(spec: TrialSpec, arm_index: int) -> frozenset[str]:
    from immunotwin.therapies.catalog import load_drug_catalog

    catalog = load_drug_catalog()
    return frozenset(catalog.get(item.drug).drug_class for item in spec.arms[arm_index].regimen)


def _consolidate(
    spec: TrialSpec, out: Path, parts: Path, n_chunks: int, calibration: ParameterSet
) -> dict[str, Any]:
    """Parts -> patients/doses/adtte/adrs.parquet, summary.json and report.html."""
    from immunotwin.therapies.catalog import load_drug_catalog

    arms = range(len(spec.arms))
    paths = {
        t: {a: [_part(parts, t, a, k) for k in range(n_chunks)] for a in arms}
        for t in ("patients", "visits", "doses")
    }
    every = {t: [p for a in arms for p in paths[t][a]] for t in paths}

    patients = _Consolidator(
        out / "patients.parquet", _schema([pq.read_schema(p) for p in every["patients"]])
    )
    for p in every["patients"]:
        patients.write(pq.read_table(p))
    patients.close()

    catalog = load_drug_catalog()
    doses = _Consolidator(
        out / "doses.parquet", _schema([pq.read_schema(p) for p in every["doses"]])
    )
    for a in arms:  # in-memory order: arm, then regimen item, then patient
        drugs = dict.fromkeys(catalog.get(item.drug).key for item in spec.arms[a].regimen)
        for drug in drugs:
            for p in paths["doses"][a]:
                frame = pq.read_table(p).to_pandas()
                doses.write(frame[frame["drug"] == drug])
    doses.close()

    first = pq.read_table(every["patients"][0]).to_pandas()
    first_visits = pq.read_table(every["visits"][0]).to_pandas()
    name0 = spec.arms[0].name
    adtte = _Consolidator(out / "adtte.parquet", _frame_schema(adtte_rows(first, name0, "OS")))
    adrs = _Consolidator(
        out / "adrs.parquet", _frame_schema(adrs_ovr_rows(first, first_visits, name0))
    )
    needed = ["usubjid", "patient_id", "best_overall_response"]
    for a in arms:
        name = spec.arms[a].name
        for code in ADTTE_PARAMS:
            for p in paths["patients"][a]:
                cols = needed + [f"{code.lower()}_months", f"{code.lower()}_event"]
                adtte.write(adtte_rows(pq.read_table(p, columns=cols).to_pandas(), name, code))
        for p, v in zip(paths["patients"][a], paths["visits"][a], strict=True):
            ids = pq.read_table(p, columns=needed).to_pandas()
            adrs.write(adrs_ovr_rows(ids, pq.read_table(v).to_pandas(), name))
        for p in paths["patients"][a]:
            adrs.write(adrs_bor_rows(pq.read_table(p, columns=needed).to_pandas(), name))
    adtte.close()
    adrs.close()

    columns = set(pq.read_schema(every["patients"][0]).names)
    wanted = [c for c in columns if c in SUMMARY_COLUMNS or c.startswith("worst_grade_")]
    order = [c for c in pq.read_schema(every["patients"][0]).names if c in wanted]
    notes: set[str] = set()
    outcomes, figure_patients, figure_visits = [], [], []
    for a in arms:
        for p in paths["patients"][a]:
            meta = pq.read_schema(p).metadata or {}
            notes.update(json.loads(meta.get(NOTES_KEY, b"[]")))
        frame = pd.concat(
            [pq.read_table(p, columns=order).to_pandas() for p in paths["patients"][a]],
            ignore_index=True,
        )
        outcomes.append(
            ArmOutcome(
                spec.arms[a].name, frame, pd.DataFrame(), pd.DataFrame(), _arm_classes(spec, a)
            )
        )
        shown = pq.read_table(paths["patients"][a][0]).to_pandas().head(FIGURE_PATIENTS_PER_ARM)
        visits = pq.read_table(paths["visits"][a][0]).to_pandas()
        figure_patients.append(shown)
        figure_visits.append(visits[visits["patient_id"].isin(shown["patient_id"])])
    model, _ = _model_and_kernel()
    provenance = trial_provenance(calibration)
    provenance["economics_warnings"] = sorted(notes)
    result = TrialResult(spec, outcomes, model.name, model.content_hash(), provenance)
    summary = build_summary(result)
    write_report(
        result,
        out,
        summary,
        figure_patients=pd.concat(figure_patients, ignore_index=True),
        figure_visits=pd.concat(figure_visits, ignore_index=True),
    )
    _atomic_bytes(out / "summary.json", json.dumps(summary, indent=2).encode())
    return summary


def run_streamed(
    spec: TrialSpec,
    out_dir: str | Path,
    *,
    executor: Executor | None = None,
    chunk_patients: int = DEFAULT_CHUNK_PATIENTS,
    resume: bool = False,
    progress: ProgressCallback | None = None,
    calibration: ParameterSet | None = None,
    keep_parts: bool = False,
    stop_after_chunks: int | None = None,
    rng_block_patients: int = RNG_BLOCK_PATIENTS,
) -> dict[str, Any]:
    """Run ``spec`` chunk by chunk and write the same outputs as ``run_spec``; returns summary.

    ``executor`` runs the chunks (serial by default; a process pool or Dask cluster gives the
    same rows). ``resume`` continues an interrupted run in ``out_dir``. ``stop_after_chunks``
    raises :class:`ChunkLimitReached` after that many chunks are written (to test resuming);
    ``rng_block_patients`` sets the random streams (keep the default outside tests).
    """
    calibration = resolve_calibration(calibration)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    parts = out / "parts"
    _prepare_parts(parts, _manifest(spec, chunk_patients, calibration, rng_block_patients), resume)
    tumour = spec_tumour(spec)
    n = spec.patients_per_arm
    bounds = chunk_bounds(n, chunk_patients, rng_block_patients)
    cohorts: dict[int, pd.DataFrame] = {}

    def cohort(arm_index: int) -> pd.DataFrame:
        key = 0 if spec.paired_patients else arm_index
        if key not in cohorts:
            cohorts.clear()  # one arm's virtual patients in memory at a time (unpaired)
            cohorts[key] = arm_patients(spec, key, tumour)
        return cohorts[key]

    done_chunks = {
        (a, k)
        for a in range(len(spec.arms))
        for k in range(len(bounds))
        if _part(parts, "patients", a, k).exists()
    }
    if done_chunks:
        log.info(
            "resuming: %d of %d chunks already done", len(done_chunks), len(bounds) * len(spec.arms)
        )

    def tasks() -> Iterator[ChunkTask]:
        for a in range(len(spec.arms)):
            for k, (start, stop) in enumerate(bounds):
                if (a, k) not in done_chunks:
                    rows = cohort(a).iloc[start:stop]
                    yield ChunkTask(spec, calibration, a, k, start, rows, rng_block_patients)

    done = {
        a: sum(bounds[k][1] - bounds[k][0] for (b, k) in done_chunks if b == a)
        for a in range(len(spec.arms))
    }
    chunks = (executor or SerialExecutor()).map(run_chunk_rows, tasks())
    for written, rows in enumerate(chunks, start=1):
        a, k = rows.arm_index, rows.chunk_index
        _write_part(_part(parts, "visits", a, k), rows.visits)
        _write_part(_part(parts, "doses", a, k), rows.doses)
        _write_part(_part(parts, "patients", a, k), rows.patients, notes=rows.notes)
        done[a] += bounds[k][1] - bounds[k][0]
        if progress is not None:
            progress(spec.arms[a].name, done[a], n)
        if stop_after_chunks is not None and written >= stop_after_chunks:
            raise ChunkLimitReached(f"stopped after {written} chunks (test hook)")
    cohorts.clear()
    summary = _consolidate(spec, out, parts, len(bounds), calibration)
    if not keep_parts:
        shutil.rmtree(parts)
    return summary
