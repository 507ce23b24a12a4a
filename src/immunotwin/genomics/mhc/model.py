"""immunotwin's default class I predictor: per-allele logistic models on eluted-ligand data.

The artifact (``immunotwin/data/mhc/immunotwin_mhci_v1.npz``) holds, per allele, a
position-specific log-odds matrix over the one-hot encoding of :mod:`.encoding` (learned by
deconvolving eluted ligands), and the score thresholds of a fixed, seeded set of random
peptides for percentile ranks. It was produced by :func:`.train.train_model` (see
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
from immunotwin.genomics.mhc.base import score_to_ic50_nm
from immunotwin.genomics.mhc.encoding import LENGTHS, N_POSITIONS, residue_indices

ARTIFACT_NAME = "immunotwin_mhci_v1.npz"


def default_artifact_path() -> Path:
    """Path of the packaged model artifact."""
    return Path(str(resources.files("immunotwin") / "data" / "mhc" / ARTIFACT_NAME))


class ImmunotwinMhcI:
    """Default predictor (Apache-2.0 code, weights trained by immunotwin on open data).

    ``ic50_nm`` is :func:`.base.score_to_ic50_nm` of the motif log-odds (an affinity-scale
    proxy, not a regression on measured IC50s); ``percentile_rank`` is against seeded random
    peptides.

    Parameters
    ----------
    artifact : path to a ``.npz`` written by :func:`.train.train_model`; default the packaged one.
    """

    name = "immunotwin-mhci-v1"

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
            self.coef_ = data["coef"].astype(np.float64)
            self.intercept_ = data["intercept"].astype(np.float64)
            self.percentile_levels_ = data["percentile_levels"].astype(np.float64)
            self.thresholds_ = data["thresholds"].astype(np.float64)
            self.metadata = json.loads(str(data["metadata"]))
        self.lengths: tuple[int, ...] = LENGTHS
        self._allele_index = {a: i for i, a in enumerate(self.alleles)}
        # position-specific tables for fast scoring: (A, 8, 20) and (A, 4)
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
        """Motif log-odds score (natural log) for each (peptide, allele index) pair."""
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
                "ic50_nm": score_to_ic50_nm(scores),
                "percentile_rank": ranks,
                "motif_log_odds": scores,
            }
        )
