"""Random streams per fixed block of patients, so results do not depend on chunking.

A trial draws its random numbers (parameter variability, PK variability, measurement noise,
new lesions, death times) from one stream per *fixed block* of ``RNG_BLOCK_PATIENTS`` patients:
block ``b >= 1`` of a stream named by ``key`` uses ``SeedSequence([*key, b])`` and block 0 uses
``SeedSequence(key)`` (the stream the whole arm used before, so arms of up to one block give the
same numbers as earlier versions, e.g. the calibration's fit report). Patient ``i`` therefore
always gets the same numbers, whether the arm is simulated in one piece, in chunks of 5,000 on a
laptop or on 100 Dask workers, as long as every chunk starts on a block boundary.

:class:`BlockRandom` looks like a ``numpy.random.Generator`` for draws whose leading dimension
is the number of patients (``rng.standard_normal(n)``, ``rng.exponential(1.0, size=(n, k))``):
each block's rows come from that block's generator. Library functions that take ``rng`` need no
change.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from immunotwin.errors import SolverError

RNG_BLOCK_PATIENTS = 1000
"""Patients per random block; chunk sizes are multiples of it."""


class BlockRandom:
    """Per-block generators for patients ``start .. start + n`` of the stream ``key``.

    ``start`` must be a multiple of ``block``. Every draw must have ``n`` rows (its first
    dimension); per-patient array arguments (same number of dimensions as the draw) are split
    by block, anything else is broadcast.
    """

    def __init__(
        self, key: Sequence[int], start: int, n: int, block: int = RNG_BLOCK_PATIENTS
    ) -> None:
        if start % block:
            raise SolverError(
                f"a random block starts at patient {start}, not a multiple of {block}",
                source="BlockRandom",
                fix=f"start chunks at multiples of {block} patients",
            )
        self.n = int(n)
        self._bounds: list[tuple[int, int]] = []
        self._generators: list[np.random.Generator] = []
        first = start // block
        for k, a in enumerate(range(0, self.n, block)):
            b = min(a + block, self.n)
            index = first + k
            # block 0 keeps the stream a whole-arm generator had (SeedSequence(key)), so trials
            # of up to one block reproduce the numbers of earlier versions
            entropy = [int(v) for v in key] + ([index] if index else [])
            seq = np.random.SeedSequence(entropy)
            self._bounds.append((a, b))
            self._generators.append(np.random.default_rng(seq))

    def _draw(self, method: str, size, *args) -> np.ndarray:
        shape = (int(size),) if np.ndim(size) == 0 else tuple(int(s) for s in size)
        if not shape or shape[0] != self.n:
            raise SolverError(
                f"BlockRandom.{method} asked for shape {shape}; the first dimension must be "
                f"the {self.n} patients",
                source="BlockRandom",
                fix="draw one row per patient",
            )
        parts = []
        for gen, (a, b) in zip(self._generators, self._bounds, strict=True):
            split = [
                np.asarray(x)[a:b] if np.ndim(x) == len(shape) and np.shape(x)[0] == self.n else x
                for x in args
            ]
            parts.append(getattr(gen, method)(*split, size=(b - a, *shape[1:])))
        if not parts:
            return np.empty(shape)
        return np.concatenate(parts, axis=0)

    def standard_normal(self, size) -> np.ndarray:
        return self._draw("standard_normal", size)

    def normal(self, loc=0.0, scale=1.0, size=None) -> np.ndarray:
        return self._draw("normal", size, loc, scale)

    def lognormal(self, mean=0.0, sigma=1.0, size=None) -> np.ndarray:
        return self._draw("lognormal", size, mean, sigma)

    def uniform(self, low=0.0, high=1.0, size=None) -> np.ndarray:
        return self._draw("uniform", size, low, high)

    def exponential(self, scale=1.0, size=None) -> np.ndarray:
        return self._draw("exponential", size, scale)

    def random(self, size=None) -> np.ndarray:
        return self._draw("random", size)
