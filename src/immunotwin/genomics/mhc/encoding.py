"""Peptide encodings for class I binding models (pure numpy).

A peptide of length 8-11 is read at its first five and last four residues (P1-P5 and
PΩ-3..PΩ), the positions that carry the main class I anchors (P2, PΩ) and most secondary
specificity; the middle of longer peptides bulges out of the groove (for an 8-mer P5 is also
PΩ-3). Nine one-hot positions (9 x 20) plus a one-hot length (4) give 184 features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
AA_INDEX = {aa: i for i, aa in enumerate(AMINO_ACIDS)}
LENGTHS = (8, 9, 10, 11)
N_POSITIONS = 9
#: positions of the motif-only (mass-spec) matrices: P1-P4 and the last four (no P5)
MOTIF_POSITIONS = (0, 1, 2, 3, 5, 6, 7, 8)
N_FEATURES = N_POSITIONS * 20 + len(LENGTHS)

_LUT = np.full(256, -1, dtype=np.int16)
for _aa, _i in AA_INDEX.items():
    _LUT[ord(_aa)] = _i


def valid_peptide(peptide: str) -> bool:
    """True if the peptide has length 8-11 and only the 20 standard amino acids."""
    return len(peptide) in LENGTHS and all(c in AA_INDEX for c in peptide)


def residue_indices(peptides: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 9) residue indices at P1-P5 and the last four, and (n,) length indices.

    Raises ValueError for a peptide outside 8-11 residues or with a non-standard residue.
    """
    n = len(peptides)
    idx = np.empty((n, N_POSITIONS), dtype=np.int16)
    lens = np.empty(n, dtype=np.int16)
    for r, pep in enumerate(peptides):
        k = len(pep)
        if k not in LENGTHS:
            raise ValueError(f"peptide {pep!r} has length {k}; class I models take 8-11")
        codes = _LUT[np.frombuffer(pep.encode("ascii", "replace"), dtype=np.uint8)]
        if (codes < 0).any():
            raise ValueError(f"peptide {pep!r} has a non-standard amino acid")
        idx[r, :5] = codes[:5]
        idx[r, 5:] = codes[-4:]
        lens[r] = k - LENGTHS[0]
    return idx, lens


def one_hot(peptides: Sequence[str]) -> np.ndarray:
    """(n, 184) float32 one-hot features (see module docstring)."""
    idx, lens = residue_indices(peptides)
    n = len(peptides)
    x = np.zeros((n, N_FEATURES), dtype=np.float32)
    rows = np.arange(n)
    for p in range(N_POSITIONS):
        x[rows, p * 20 + idx[:, p]] = 1.0
    x[rows, N_POSITIONS * 20 + lens] = 1.0
    return x
