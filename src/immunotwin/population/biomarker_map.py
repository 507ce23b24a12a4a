"""Biomarkers -> mechanistic parameters: explicit, documented, monotone maps (brief §2.8).

- tumour growth rate (catalogue) -> ``tumor_growth_rate``: the patient's sampled value (1/day).
- TMB (mut/Mb) -> ``n_clones``: n_cl = c_TMB * TMB with c_TMB = 10 clones per mut/Mb (brief
  §2.8: NSCLC ~9 mut/Mb <-> QSP-IO's 92 tumour-reactive clones).
- PD-L1 TPS (0-1), or CPS/100 -> ``pdl1_basal_density``: rho = rho_ref * (floor + TPS) /
  (floor + TPS_ref), floor 0.05, TPS_ref 0.30 (assumption: a median NSCLC tumour has QSP-IO's
  250 molecules/um2).
- HLA LOH -> ``mhc_basal`` x 0.5 (one haplotype lost, half the presented repertoire; assumption).
- B2M loss -> ``escape_fraction_initial`` >= 0.3: part of the tumour starts MHC-I-negative
  (assumption).

- immune context ``cd8_relative`` (multiple of the nominal CD8 infiltrate) ->
  ``cd8_infiltrate_relative``, which scales CD8 killing capacity by I^alpha_I (see
  ``infiltrate_kill_exponent``); missing -> 1.
- immune context ``treg_cd8_ratio`` (Treg per CD8) -> ``treg_recruitment`` x ratio / 0.5, the
  catalogue's default median (recruitment is the model's Treg/CD8 lever, brief §2.4); missing ->
  unchanged.
- the tumour type's median ``mdsc_relative`` -> ``mdsc_recruitment`` x that median: a per-type
  shift only, because the patient-level spread of MDSC recruitment is already the parameter
  catalogue's (same QSP-IO sigma 0.6).
- line of therapy >= 2 -> ``prior_systemic_therapy`` = 1, which scales CD8 killing capacity by
  ``pretreated_kill_factor`` (the LORIS cohorts' Systemic_therapy_history has the same meaning);
  no ``line`` column -> 0.

MSI-high acts through TMB and the CD8 infiltrate: an MSI-high patient of a mostly
microsatellite-stable type draws TMB and ``cd8_relative`` from the catalogue's MSI-high type at
sampling (``virtual_patients.MSI_HIGH_REFERENCE_TYPE``), so MSI-H -> hypermutated -> more
clones, and MSI-H -> T-cell-inflamed (its IFN-gamma tone) -> more CD8 entry; a histology whose
MMR-deficient tumours stay cold (glioblastoma) keeps its own CD8 entry. The
catalogue's M1/M2 ratio is not mapped (the model's macrophage polarisation is driven by its own
cytokines); PD-L1 TPS also enters CD8 killing through ``pdl1_kill_exponent`` (adaptive
resistance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from immunotwin.model.spec import Model
from immunotwin.population.catalog import TumorType

CLONES_PER_MUT_PER_MB = 10.0
PDL1_FLOOR = 0.05
PDL1_REFERENCE_TPS = 0.30
HLA_LOH_MHC_FACTOR = 0.5
B2M_LOSS_ESCAPE_FRACTION = 0.3
TREG_CD8_REFERENCE = 0.5
"""Treg per CD8 at which ``treg_recruitment`` keeps its catalogue value (the default median of
the tumour catalogue's treg_cd8_ratio, inside QSP-IO's observed 0-2.3)."""
BASELINE_LESIONS = 3
"""Baseline burden is read as this many equal spherical target lesions whose diameters add up
to the sampled sum of diameters (RECIST allows up to 5 targets; assumption)."""


def pdl1_fraction(patients: pd.DataFrame) -> np.ndarray:
    """PD-L1 as a 0-1 fraction: TPS where scored, else CPS/100 (capped at 1)."""
    tps = patients["pdl1_tps"].to_numpy(dtype=float)
    cps = patients["pdl1_cps"].to_numpy(dtype=float) / 100.0
    return np.clip(np.where(np.isfinite(tps), tps, cps), 0.0, 1.0)


def apply_biomarkers(
    model: Model, params: np.ndarray, patients: pd.DataFrame, tumor: TumorType
) -> np.ndarray:
    """A copy of ``params`` (n_patients x n_params) with biomarker-driven parameters set."""
    out = params.copy()

    def column(name: str) -> int:
        return model.parameter_index(name)

    out[:, column("tumor_growth_rate")] = patients["growth_rate_per_day"].to_numpy()
    out[:, column("n_clones")] = CLONES_PER_MUT_PER_MB * patients["tmb"].to_numpy()
    pdl1 = pdl1_fraction(patients)
    ref = params[:, column("pdl1_basal_density")]
    scaled = ref * (PDL1_FLOOR + pdl1) / (PDL1_FLOOR + PDL1_REFERENCE_TPS)
    out[:, column("pdl1_basal_density")] = np.where(np.isfinite(pdl1), scaled, ref)
    loh = patients["hla_loh"].to_numpy(dtype=bool)
    out[loh, column("mhc_basal")] *= HLA_LOH_MHC_FACTOR
    b2m = patients["b2m_loss"].to_numpy(dtype=bool)
    out[b2m, column("escape_fraction_initial")] = np.maximum(
        out[b2m, column("escape_fraction_initial")], B2M_LOSS_ESCAPE_FRACTION
    )
    _apply_immune_context(out, patients, tumor, column)
    if "line" in patients:
        pretreated = patients["line"].to_numpy(dtype=float) >= 2
        out[:, column("prior_systemic_therapy")] = pretreated.astype(float)
    return out


def _apply_immune_context(out: np.ndarray, patients: pd.DataFrame, tumor: TumorType, column):
    if "cd8_relative" in patients:
        infiltrate = patients["cd8_relative"].to_numpy(dtype=float)
        current = out[:, column("cd8_infiltrate_relative")]
        out[:, column("cd8_infiltrate_relative")] = np.where(
            np.isfinite(infiltrate), infiltrate, current
        )
    if "treg_cd8_ratio" in patients:
        ratio = patients["treg_cd8_ratio"].to_numpy(dtype=float)
        scale = np.where(np.isfinite(ratio), ratio / TREG_CD8_REFERENCE, 1.0)
        out[:, column("treg_recruitment")] *= scale
    out[:, column("mdsc_recruitment")] *= tumor.immune.mdsc_relative.typical()
