"""immunotwin's default class I predictor: per-allele linear models (numpy-only inference).

The artifact (``immunotwin/data/mhc/immunotwin_mhci_v2.npz``) holds, per allele, a kind
(``affinity``: ridge regression on measured BD2009 IC50s; ``ms_motif``: log-odds matrix from
deconvolved eluted ligands), a position-specific weight matrix over the one-hot encoding of
:mod:`.encoding`, and the score thresholds of a fixed, seeded set of random peptides for
percentile ranks. It was produced by :func:`.train.train_model` (see
``src/immunotwin/data/mhc/README.md`` for data, licence and the exact command).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from immunotwin.errors import GenomicsError
from immunotwin.genomics.hla import normalise_allele
from immunotwin.genomics.mhc.base import BACKGROUND_IC50_NM, score_to_ic50_nm
from immunotwin.genomics.mhc.encoding import LENGTHS, N_POSITIONS, residue_indices

ARTIFACT_NAME = "immunotwin_mhci_v2.npz"
BD2009_NAME = "kim2014_bd2009.tsv.gz"
MODEL_NAME = "immunotwin-mhci-v2"
KIND_AFFINITY = "affinity"
KIND_MS_MOTIF = "ms_motif"


def default_artifact_path() -> Path:
    """Path of the packaged model artifact."""
    return Path(str(resources.files("immunotwin") / "data" / "mhc" / ARTIFACT_NAME))


def default_bd2009_path() -> Path:
    """Path of the packaged BD2009 training table (see :mod:`.bd2009`)."""
    return Path(str(resources.files("immunotwin") / "data" / "mhc" / BD2009_NAME))


def affinity_score_to_ic50_nm(score: np.ndarray) -> np.ndarray:
    """IC50 (nM) from the regression output ``s = 1 - log(IC50)/log(50,000)``."""
    s = np.clip(np.asarray(score, dtype=float), 0.0, 1.0)
    return BACKGROUND_IC50_NM ** (1.0 - s)


class ImmunotwinMhcI:
    """Default predictor (Apache-2.0 code, weights trained by immunotwin on open data).

    ``ic50_nm`` is the regression estimate for ``affinity`` alleles and
    :func:`.base.score_to_ic50_nm` of the motif log-odds (an affinity-scale proxy) for
    ``ms_motif`` alleles; ``percentile_rank`` is against seeded random peptides.

    Parameters
    ----------
    artifact : path to a ``.npz`` written by :func:`.train.train_model`; default the packaged one.
    """

    name = MODEL_NAME

    def __init__(self, artifact: str | Path | None = None) -> None:
        path = Path(artifact) if artifact is not None else default_artifact_path()
        if not path.exists():
            raise GenomicsError(
                "the binding-model artifact is missing",
                source=str(path),
                fix="reinstall immunotwin, or rebuild it with `immunotwin mhc train`",
            )
        with np.load(path, allow_pickle=False) as data:
            self.alleles: tuple[str, ...] = tuple(str(a) for a in data["alleles"])
            self.kinds: tuple[str, ...] = tuple(str(k) for k in data["kind"])
            self.coef_ = data["coef"].astype(np.float64)
            self.intercept_ = data["intercept"].astype(np.float64)
            self.percentile_levels_ = data["percentile_levels"].astype(np.float64)
            self.thresholds_ = data["thresholds"].astype(np.float64)
            self.metadata = json.loads(str(data["metadata"]))
        self.lengths: tuple[int, ...] = LENGTHS
        self._allele_index = {a: i for i, a in enumerate(self.alleles)}
        self._is_affinity = np.array([k == KIND_AFFINITY for k in self.kinds])
        # position-specific tables for fast scoring: (A, 9, 20) and (A, 4)
        n_pos = N_POSITIONS * 20
        self._pssm = self.coef_[:, :n_pos].reshape(len(self.alleles), N_POSITIONS, 20)
        self._length_coef = self.coef_[:, n_pos:]

    def supports(self, allele: str) -> bool:
        """True if the allele (any spelling) has a model."""
        try:
            return normalise_allele(allele) in self._allele_index
        except GenomicsError:
            return False

    def score(self, peptides: Sequence[str], allele_index: np.ndarray) -> np.ndarray:
        """Linear score for each (peptide, allele index) pair (regression output or log-odds)."""
        idx, lens = residue_indices(peptides)
        a = np.asarray(allele_index)
        pos = np.arange(N_POSITIONS)
        s = self._pssm[a[:, None], pos[None, :], idx].sum(axis=1)
        return s + self._length_coef[a, lens] + self.intercept_[a]

    def percentile_rank(self, scores: np.ndarray, allele_index: np.ndarray) -> np.ndarray:
        """Percentile rank (%) of scores among the allele's random peptides (lower = better)."""
        out = np.empty(len(scores))
        levels = self.percentile_levels_
        for a in np.unique(allele_index):
            m = allele_index == a
            thr = self.thresholds_[a]  # decreasing in level
            out[m] = np.interp(-scores[m], -thr, levels, left=levels[0] / 2, right=100.0)
        return out

    def predict(self, peptides: Sequence[str], alleles: Sequence[str]) -> pd.DataFrame:
        """Score ``(peptides[i], alleles[i])`` pairs; see :class:`.base.BindingPredictor`."""
        if len(peptides) != len(alleles):
            raise GenomicsError(
                "peptides and alleles differ in length", fix="give one allele per peptide"
            )
        canon_cache: dict[str, str] = {}
        allele_idx = np.empty(len(alleles), dtype=np.int64)
        for i, a in enumerate(alleles):
            if a not in canon_cache:
                canon_cache[a] = normalise_allele(a)
            c = canon_cache[a]
            if c not in self._allele_index:
                raise GenomicsError(
                    f"allele {a!r} ({c}) is not supported by {self.name}",
                    location=f"row {i + 1}",
                    fix="use a supported allele (`immunotwin mhc alleles`) or an external "
                    "predictor (MHCflurry, NetMHCpan)",
                )
            allele_idx[i] = self._allele_index[c]
        peptides = [str(p).strip().upper() for p in peptides]
        try:
            scores = self.score(peptides, allele_idx)
        except ValueError as exc:
            raise GenomicsError(
                str(exc), fix="peptides must be 8-11 standard amino acids"
            ) from None
        ranks = self.percentile_rank(scores, allele_idx)
        return pd.DataFrame(
            {
                "peptide": peptides,
                "allele": [canon_cache[a] for a in alleles],
                "ic50_nm": np.where(
                    self._is_affinity[allele_idx],
                    affinity_score_to_ic50_nm(scores),
                    score_to_ic50_nm(scores),
                ),
                "percentile_rank": ranks,
                "score": scores,
            }
        )
