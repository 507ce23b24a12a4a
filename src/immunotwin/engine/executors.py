"""Executors: how independent chunks of work run. Results never depend on the choice.

Anything with ``map(fn, iterable) -> iterable`` in input order works (the
``concurrent.futures.Executor`` protocol). Randomness is never drawn inside a worker from a
global state: each chunk gets its own child of a ``numpy.random.SeedSequence``.
"""

from __future__ import annotations

import collections
import functools
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np

from immunotwin.errors import InputError

log = logging.getLogger(__name__)

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]: ...


class SerialExecutor:
    """Runs chunks one after another in this process (the default)."""

    def map(self, fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]:
        return map(fn, iterable)


def _limit_threads() -> None:
    """Worker initialiser: one BLAS/numba thread per worker process."""
    for var in THREAD_VARIABLES:
        os.environ[var] = "1"
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass


def _ordered_window(submit, iterable: Iterable[Any], window: int) -> Iterator[Any]:
    """Results in input order with at most ``window`` tasks in flight (bounded memory)."""
    pending: collections.deque = collections.deque()
    for item in iterable:
        pending.append(submit(item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


class ProcessExecutor:
    """A local process pool with thread-capped workers (``--workers N``).

    At most ``2 * workers`` tasks are in flight, so a long stream of chunks never piles up
    inputs or results in memory.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))

    def map(self, fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]:
        # spawn, not fork: numba's threading layer is not fork-safe
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_limit_threads
        ) as pool:
            yield from _ordered_window(
                functools.partial(pool.submit, fn), iterable, 2 * self.workers
            )


def _capped(fn: Callable[[Any], Any], item: Any) -> Any:
    """Run ``fn(item)`` on a Dask worker with one BLAS/numba thread."""
    _limit_threads()
    return fn(item)


class DaskExecutor:
    """Chunks as tasks on a Dask distributed cluster (``--scheduler`` or ``--dask-local N``).

    ``address``: a scheduler such as ``tcp://10.0.0.5:8786`` (e.g. started by dask-jobqueue on
    SLURM); ``local_workers``: start a ``LocalCluster`` of that many single-threaded worker
    processes (spawned, thread-capped) on 127.0.0.1 instead. Results come back in input order
    with a bounded number of tasks in flight; each task caps its worker's BLAS/numba threads.
    Use as a context manager so a local cluster is shut down.
    """

    def __init__(
        self, address: str | None = None, *, local_workers: int | None = None, window: int = 0
    ) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise InputError(
                "the Dask executor needs dask.distributed",
                source="--scheduler/--dask-local",
                fix="pip install 'dask[distributed]'",
            ) from exc
        if (address is None) == (local_workers is None):
            raise InputError(
                "give either a scheduler address or a number of local workers",
                source="DaskExecutor",
                fix="use --scheduler tcp://HOST:PORT or --dask-local N",
            )
        self.cluster = None
        if local_workers is not None:
            import dask

            # worker processes are spawned (numba's threading layer is not fork-safe)
            dask.config.set({"distributed.worker.multiprocessing-method": "spawn"})
            self.cluster = LocalCluster(
                n_workers=max(1, int(local_workers)),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                env={var: "1" for var in THREAD_VARIABLES},
            )
            self.client = Client(self.cluster)
        else:
            self.client = Client(address)
        n_workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.window = window or 2 * n_workers
        log.info("Dask executor: %d workers at %s", n_workers, self.client.scheduler.address)

    def map(self, fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]:
        # pure=False: equal inputs are still separate tasks; the key order keeps them distinct
        return _ordered_window(
            lambda item: self.client.submit(_capped, fn, item, pure=False),
            iterable,
            self.window,
        )

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(
    workers: int = 1, scheduler: str | None = None, dask_local: int | None = None
) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """The executor for CLI options: ``--scheduler``, ``--dask-local N``, ``--workers N``."""
    if scheduler or dask_local:
        return DaskExecutor(scheduler, local_workers=dask_local if not scheduler else None)
    if workers > 1:
        return ProcessExecutor(workers)
    return SerialExecutor()


def chunk_seeds(seed: int, n_chunks: int) -> list[np.random.SeedSequence]:
    """Independent seed sequences for chunks 0..n_chunks-1, fixed by ``seed`` alone."""
    return np.random.SeedSequence(seed).spawn(n_chunks)
