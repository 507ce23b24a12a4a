"""A neoantigen list -> the model's vaccine-slot parameters (brief §2.4, §2.8).

The personalised mRNA vaccine (``neoantigen_mrna_vaccine``) primes clones against the encoded
neoepitopes. Given the genomics pipeline's table (``epitopes.tsv`` / ``vaccine.tsv``, pVACseq
column names: ``MT Epitope Seq``, ``Best MT IC50 Score``, optional ``Tumor DNA VAF``), the
encoded set is the best ``max_epitopes`` distinct peptides that bind (IC50 <= ``ic50_max_nm``).
Each epitope's immunogenicity weight is the binding term of the pipeline's ranking,
w = clip(1 - log10(IC50)/log10(50,000), 0, 1) (1 nM -> 1, 50 uM -> 0). Then

- n_cl,vac = clones_per_epitope x sum(w) (expected primed clones);
- q_vac = mean(w) over the encoded epitopes (antigen quality, 0-1];
- f_vAg = max clonal fraction min(1, 2 VAF) of the encoded epitopes (1 when no VAF is given).

Every output is monotone: a stronger binder or one more binding epitope never lowers n_cl,vac.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunotwin.errors import InputError

PEPTIDE = "MT Epitope Seq"
IC50 = "Best MT IC50 Score"
VAF = "Tumor DNA VAF"
IC50_ZERO_WEIGHT_NM = 50_000.0


@dataclass(frozen=True)
class VaccineSlot:
    """Values of the model's vaccine plugs (parameter names in ``parameters/vaccines.toml``)."""

    vaccine_antigen_quality: float
    vaccine_clones: float
    vaccine_tumor_coverage: float
    encoded_epitopes: int

    def parameters(self) -> dict[str, float]:
        """The three plugs by model-parameter name."""
        return {
            "vaccine_antigen_quality": self.vaccine_antigen_quality,
            "vaccine_clones": self.vaccine_clones,
            "vaccine_tumor_coverage": self.vaccine_tumor_coverage,
        }


def binding_weight(ic50_nm: np.ndarray) -> np.ndarray:
    """Immunogenicity weight of an epitope from its predicted IC50 (nM), 0-1."""
    ic50 = np.clip(np.asarray(ic50_nm, dtype=float), 1.0, None)
    return np.clip(1.0 - np.log10(ic50) / math.log10(IC50_ZERO_WEIGHT_NM), 0.0, 1.0)


def neoantigen_vaccine_parameters(
    epitopes: pd.DataFrame,
    *,
    max_epitopes: int = 34,
    clones_per_epitope: float = 0.3,
    ic50_max_nm: float = 500.0,
) -> VaccineSlot:
    """Vaccine-slot parameters of a personalised neoantigen vaccine from an epitope table.

    ``max_epitopes`` 34 (mRNA-4157/V940, brief §3); ``clones_per_epitope`` is the catalogue value
    ``neoantigen_vaccine_clones_per_epitope`` (about a third of predicted neoepitopes elicit
    responses, [L]); ``ic50_max_nm`` 500 nM is the usual binder threshold.
    """
    missing = [c for c in (PEPTIDE, IC50) if c not in epitopes.columns]
    if missing:
        raise InputError(
            f"epitope table lacks column(s) {missing}",
            source="neoantigen list",
            fix="pass the genomics pipeline's epitopes.tsv or vaccine.tsv (pVACseq columns)",
        )
    table = epitopes[[c for c in (PEPTIDE, IC50, VAF) if c in epitopes.columns]].copy()
    table[IC50] = pd.to_numeric(table[IC50], errors="coerce")
    table = table[table[IC50].notna() & (table[IC50] <= ic50_max_nm)]
    table = table.sort_values(IC50, kind="stable").drop_duplicates(PEPTIDE).head(max_epitopes)
    if table.empty:
        return VaccineSlot(0.0, 0.0, 0.0, 0)
    w = binding_weight(table[IC50].to_numpy())
    if VAF in table.columns:
        vaf = pd.to_numeric(table[VAF], errors="coerce").to_numpy(dtype=float)
        coverage = float(np.nanmax(np.minimum(1.0, 2.0 * vaf), initial=0.0))
        coverage = coverage if np.isfinite(vaf).any() else 1.0
    else:
        coverage = 1.0
    return VaccineSlot(
        vaccine_antigen_quality=float(w.mean()),
        vaccine_clones=float(clones_per_epitope * w.sum()),
        vaccine_tumor_coverage=coverage,
        encoded_epitopes=len(table),
    )
