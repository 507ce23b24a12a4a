"""Executors: how independent chunks of work run. Results never depend on the choice.

Anything with ``map(fn, iterable) -> iterable`` in input order works (the
``concurrent.futures.Executor`` protocol). Randomness is never drawn inside a worker from a
global state: each chunk gets its own child of a ``numpy.random.SeedSequence``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import numpy as np


class Executor(Protocol):
    def map(self, fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]: ...


class SerialExecutor:
    """Runs chunks one after another in this process (the default)."""

    def map(self, fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]:
        return map(fn, iterable)


def _limit_threads() -> None:
    """Worker initialiser: one BLAS/numba thread per worker process."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass


class ProcessExecutor:
    """A local process pool with thread-capped workers (``--workers N``)."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))

    def map(self, fn: Callable[[Any], Any], iterable: Iterable[Any]) -> Iterator[Any]:
        # spawn, not fork: numba's threading layer is not fork-safe
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=_limit_threads
        ) as pool:
            yield from pool.map(fn, iterable)


def chunk_seeds(seed: int, n_chunks: int) -> list[np.random.SeedSequence]:
    """Independent seed sequences for chunks 0..n_chunks-1, fixed by ``seed`` alone."""
    return np.random.SeedSequence(seed).spawn(n_chunks)
