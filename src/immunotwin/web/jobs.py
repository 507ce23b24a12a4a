"""Background jobs: trial runs and neoantigen analyses in worker threads inside the server.

State lives in the database (``jobs`` table) and outputs in ``data_dir/jobs/<id>/``, so both
survive a restart. At start-up, jobs that were running when the server stopped are marked
``interrupted`` and queued jobs are queued again. Cancelling is cooperative: a queued job is
cancelled at once; a running trial stops at its next progress report (after a chunk of virtual
patients); a running neoantigen analysis has no progress reports and stops when it finishes
(its outputs are then discarded).

Logging names job ids and kinds only, never spec contents, file names or patient data.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from immunotwin.errors import ImmunotwinError
from immunotwin.web.db import Job, utcnow

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, CANCELLED, INTERRUPTED = (
    "queued",
    "running",
    "done",
    "failed",
    "cancelled",
    "interrupted",
)
FINISHED = (DONE, FAILED, CANCELLED, INTERRUPTED)
INTERRUPTED_MESSAGE = (
    "the server stopped while this job was running; its partial outputs were discarded. "
    "Start it again."
)


class _WithholdJobDetails(logging.Filter):
    """Library log records made inside a job thread lose their text (it may name samples,
    alleles or peptides); the level, logger and job thread remain."""

    def filter(self, record: logging.LogRecord) -> bool:
        if threading.current_thread().name.startswith(THREAD_PREFIX):
            record.msg = "details withheld in server logs (they may contain patient data)"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


_WITHHOLD = _WithholdJobDetails()
THREAD_PREFIX = "immunotwin-job"


def withhold_library_log_details() -> None:
    """Attach the withholding filter to every library logger except the web's own."""
    for name, item in list(logging.Logger.manager.loggerDict.items()):
        if (
            isinstance(item, logging.Logger)
            and name.startswith("immunotwin")
            and not name.startswith("immunotwin.web")
            and _WITHHOLD not in item.filters
        ):
            item.addFilter(_WITHHOLD)


class JobCancelled(Exception):
    """Raised inside a job's progress callback when its owner cancelled it."""


def job_dir(jobs_dir: Path, job_id: int) -> Path:
    return jobs_dir / str(int(job_id))


class JobManager:
    """Runs queued jobs on ``workers`` threads; progress and state are written to the DB."""

    def __init__(self, sessions: sessionmaker, jobs_dir: Path, workers: int = 1) -> None:
        self.sessions = sessions
        self.jobs_dir = jobs_dir
        self._pool: ThreadPoolExecutor | None = None
        self._workers = workers
        self._cancel: set[int] = set()
        self._lock = threading.Lock()

    # lifecycle -------------------------------------------------------------------------------
    def recover(self) -> list[int]:
        """Mark jobs left running by a stopped server as interrupted; return queued job ids."""
        with self.sessions() as db:
            for job in db.scalars(select(Job).where(Job.status == RUNNING)):
                job.status = INTERRUPTED
                job.error = INTERRUPTED_MESSAGE
                job.message = "interrupted"
                job.finished_at = utcnow()
                shutil.rmtree(job_dir(self.jobs_dir, job.id) / "out", ignore_errors=True)
                log.warning("job %d was running at shutdown: marked interrupted", job.id)
            db.commit()
            return list(db.scalars(select(Job.id).where(Job.status == QUEUED).order_by(Job.id)))

    def start(self) -> None:
        queued = self.recover()
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix=THREAD_PREFIX)
        for job_id in queued:
            self._pool.submit(self._run, job_id)

    def shutdown(self) -> None:
        """Ask running jobs to stop and wait for the workers (they are marked interrupted)."""
        if self._pool is None:
            return
        with self.sessions() as db:
            running = list(db.scalars(select(Job.id).where(Job.status == RUNNING)))
        with self._lock:
            self._cancel.update(running)
        self._stopping = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None

    # API -------------------------------------------------------------------------------------
    def submit(self, job_id: int) -> None:
        if self._pool is not None:
            self._pool.submit(self._run, job_id)

    def cancel(self, job_id: int) -> str:
        """Cancel a job; returns its new status."""
        with self.sessions() as db:
            job = db.get(Job, job_id)
            if job is None or job.status in FINISHED:
                return job.status if job else CANCELLED
            if job.status == QUEUED:
                job.status = CANCELLED
                job.message = "cancelled before it started"
                job.finished_at = utcnow()
                db.commit()
                return CANCELLED
            job.message = "cancelling: stops at the next progress report"
            db.commit()
        with self._lock:
            self._cancel.add(job_id)
        return RUNNING

    def cancelled(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._cancel

    # worker ----------------------------------------------------------------------------------
    def _update(self, job_id: int, **fields: Any) -> None:
        with self.sessions() as db:
            job = db.get(Job, job_id)
            if job is not None:
                for key, value in fields.items():
                    setattr(job, key, value)
                db.commit()

    def _run(self, job_id: int) -> None:
        with self.sessions() as db:
            job = db.get(Job, job_id)
            if job is None or job.status != QUEUED:
                return
            job.status, job.started_at, job.message = RUNNING, utcnow(), "starting"
            kind, params = job.kind, dict(job.params)
            db.commit()
        out = job_dir(self.jobs_dir, job_id) / "out"
        shutil.rmtree(out, ignore_errors=True)
        log.info("job %d (%s) started", job_id, kind)
        t0 = time.monotonic()
        try:
            runner = RUNNERS[kind]
            message = runner(self, job_id, params, out)
        except JobCancelled:
            shutil.rmtree(out, ignore_errors=True)
            stopping = getattr(self, "_stopping", False)
            self._update(
                job_id,
                status=INTERRUPTED if stopping else CANCELLED,
                error=INTERRUPTED_MESSAGE if stopping else None,
                message="interrupted" if stopping else "cancelled by its owner",
                finished_at=utcnow(),
            )
            log.info("job %d (%s) %s", job_id, kind, "interrupted" if stopping else "cancelled")
        except ImmunotwinError as exc:
            self._update(job_id, status=FAILED, error=str(exc), message="failed")
            self._update(job_id, finished_at=utcnow())
            log.info("job %d (%s) failed: %s", job_id, kind, type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - a job must never take the worker down
            self._update(
                job_id,
                status=FAILED,
                error=f"internal error ({type(exc).__name__}): {exc}",
                message="failed",
                finished_at=utcnow(),
            )
            log.error("job %d (%s) crashed with %s", job_id, kind, type(exc).__name__)
        else:
            if self.cancelled(job_id):
                shutil.rmtree(out, ignore_errors=True)
                self._update(
                    job_id, status=CANCELLED, message="cancelled by its owner", finished_at=utcnow()
                )
            else:
                self._update(
                    job_id, status=DONE, progress=1.0, message=message, finished_at=utcnow()
                )
                log.info("job %d (%s) done in %.1f s", job_id, kind, time.monotonic() - t0)
        finally:
            with self._lock:
                self._cancel.discard(job_id)


def _run_trial(manager: JobManager, job_id: int, params: dict, out: Path) -> str:
    from immunotwin.economics import run_economics
    from immunotwin.trials.load import validate_trial_spec
    from immunotwin.trials.run import run_spec

    withhold_library_log_details()
    spec = validate_trial_spec(params["spec"], source="trial spec")
    n_arms = len(spec.arms)
    arm_index = {arm.name: i for i, arm in enumerate(spec.arms)}
    passes: dict[str, int] = {}
    last = [0.0]

    def progress(arm: str, done: int, total: int) -> None:
        withhold_library_log_details()  # modules imported lazily during the run
        if manager.cancelled(job_id):
            raise JobCancelled
        if done >= total:
            passes[arm] = passes.get(arm, 0) + 1
        # each arm is simulated twice (full schedule, then stopped at progression)
        part = (min(passes.get(arm, 0), 2) + (0 if done >= total else done / max(total, 1))) / 2
        fraction = min(0.95, 0.9 * (arm_index.get(arm, 0) + part) / n_arms)
        now = time.monotonic()
        if now - last[0] > 0.5 or done >= total:
            last[0] = now
            manager._update(job_id, progress=fraction, message=f"simulating arm '{arm}'")

    manager._update(job_id, progress=0.01, message="compiling the model and sampling patients")
    run_spec(spec, out, progress=progress)
    if manager.cancelled(job_id):
        raise JobCancelled
    manager._update(job_id, progress=0.95, message="costs and QALYs")
    try:
        run_economics(out)
    except ImmunotwinError as exc:  # the trial itself succeeded: keep it, say why no economics
        (out / "economics_error.txt").write_text(str(exc), encoding="utf-8")
    return "finished"


def _run_neoantigens(manager: JobManager, job_id: int, params: dict, out: Path) -> str:
    from immunotwin.genomics.pipeline import run_neoantigens

    withhold_library_log_details()
    if manager.cancelled(job_id):
        raise JobCancelled
    manager._update(job_id, progress=0.1, message="reading the VCF and predicting binding")
    folder = job_dir(manager.jobs_dir, job_id)
    vcf = folder / "input.vcf.gz" if (folder / "input.vcf.gz").is_file() else folder / "input.vcf"
    summary = run_neoantigens(
        vcf,
        params["hla"],
        out,
        sample=params.get("sample") or None,
        n_vaccine=int(params.get("n_vaccine", 20)),
        vaccine_format=params.get("vaccine_format", "long_peptides"),
    )
    return f"{summary.get('n_epitope_rows', 0)} epitope rows"


def _run_twin(manager: JobManager, job_id: int, params: dict, out: Path) -> str:
    from immunotwin.twin.build import build_twin
    from immunotwin.twin.patient import patient_from_dict
    from immunotwin.twin.report import write_twin

    withhold_library_log_details()
    steps = {"prior ensemble": 0.05, "updating on measurements": 0.1, "counterfactual twins": 0.7}

    def progress(message: str) -> None:
        withhold_library_log_details()
        if manager.cancelled(job_id):
            raise JobCancelled
        fraction = steps.get(message, 0.3 if message.startswith("forecasting") else 0.5)
        manager._update(job_id, progress=fraction, message=message)

    patient = patient_from_dict(params["patient"], source="patient")
    twin = build_twin(
        patient,
        n=int(params.get("ensemble", 100)),
        seed=int(params.get("seed", 0)),
        use_response_model=bool(params.get("use_response_model", True)),
        rank_by=params.get("rank_by", "expected_qalys"),
        progress=progress,
    )
    if manager.cancelled(job_id):
        raise JobCancelled
    write_twin(twin, out)
    return f"{len(twin['ranking'])} regimens ranked"


RUNNERS = {"trial": _run_trial, "neoantigens": _run_neoantigens, "twin": _run_twin}
