"""The binding-predictor contract and the rank -> IC50 calibration shared by predictors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

#: (percentile rank %, IC50 nM) anchors used to express a rank as an IC50-like number.
#: 0.5 % -> 50 nM and 2 % -> 500 nM are NetMHCpan's strong/weak-binder conventions
#: (Jurtz et al., J Immunol 199:3360, 2017, doi:10.4049/jimmunol.1700893); the ends are
#: log-linear extensions to 5 nM (0.01 %) and 50,000 nM (100 %).
RANK_IC50_ANCHORS: tuple[tuple[float, float], ...] = (
    (0.01, 5.0),
    (0.5, 50.0),
    (2.0, 500.0),
    (10.0, 5000.0),
    (100.0, 50000.0),
)


def rank_to_ic50_nm(percentile_rank: np.ndarray) -> np.ndarray:
    """Monotone map from percentile rank (%) to an IC50-scale value (nM), log-log linear."""
    ranks = np.log10([a[0] for a in RANK_IC50_ANCHORS])
    ic50 = np.log10([a[1] for a in RANK_IC50_ANCHORS])
    r = np.log10(np.clip(np.asarray(percentile_rank, dtype=float), 1e-3, 100.0))
    return 10.0 ** np.interp(r, ranks, ic50, left=None, right=None)


#: IC50 (nM) given to a peptide with the background's likelihood; the 50,000 nM ceiling used
#: by NetMHC-family and MHCflurry affinity scales (O'Donnell et al., Cell Syst 7:129, 2018).
BACKGROUND_IC50_NM = 50_000.0


def score_to_ic50_nm(log_odds: np.ndarray) -> np.ndarray:
    """IC50-scale value (nM) from a motif log-likelihood ratio vs random peptides.

    ``ic50 = 50,000 nM / (1 + exp(log_odds))``: treats the likelihood ratio of being a ligand
    as proportional to affinity relative to a 50 uM background. A documented approximation,
    not a measured affinity.
    """
    lo = np.clip(np.asarray(log_odds, dtype=float), -50.0, 50.0)
    return BACKGROUND_IC50_NM / (1.0 + np.exp(lo))


@runtime_checkable
class BindingPredictor(Protocol):
    """Anything that scores peptide-MHC class I binding.

    Attributes
    ----------
    name : short identifier written to outputs.
    alleles : canonical allele names it can score (``HLA-A*02:01``).
    lengths : peptide lengths it can score.
    """

    name: str
    alleles: tuple[str, ...]
    lengths: tuple[int, ...]

    def predict(self, peptides: Sequence[str], alleles: Sequence[str]) -> pd.DataFrame:
        """Score pairs ``(peptides[i], alleles[i])``.

        Returns a DataFrame with columns ``peptide, allele, ic50_nm, percentile_rank`` in input
        order (IC50 in nM, lower binds better; percentile rank in %, lower binds better).
        """
        ...
