"""Published baselines: pan-cancer LORIS, NSCLC-LORIS, TMB alone and PD-L1 alone.

Formulas from the README of the public repository ``rootchang/LORIS`` (Chang T-G et al.,
Nat Cancer 5:1158-1175, 2024, doi:10.1038/s43018-024-00772-7), re-implemented here. The caps
(TMB 50 mut/Mb, NLR 25, age 85 years) are part of the published formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import CANCER_TYPES, PDL1_COLUMN

TMB_CAP_MUT_PER_MB = 50.0
NLR_CAP = 25.0
AGE_CAP_YEARS = 85.0

#: Cancer-type calibration term (CTCT) of pan-cancer LORIS, in CANCER_TYPES order.
LORIS_CANCER_TERM: dict[str, float] = dict(
    zip(
        CANCER_TYPES,
        (
            -0.3323,
            -0.3323,
            -0.102,
            -0.0079,
            0.55,
            0.2306,
            0.0678,
            -0.1189,
            -0.0086,
            0.1255,
            0.0008,
            -0.052,
            -1.1169,
            0.5451,
            0.0542,
            -0.0033,
        ),
        strict=True,
    )
)


def _sigmoid(s: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-s))


def loris_pan_cancer(df: pd.DataFrame) -> np.ndarray:
    """Pan-cancer LORIS (response probability, 0-1) of each row of a checked cohort table.

    S = 0.0371 min(TMB,50) - 0.8775 PSTH + 0.5382 Albumin[g/dL] - 0.033 min(NLR,25)
    + 0.0049 min(Age,85) + CTCT - 2.0886; cancer types without a CTCT term (CNS, unknown
    primary) get 0. Rows missing any input give NaN.
    """
    ctct = df["CancerType"].map(LORIS_CANCER_TERM).fillna(0.0).to_numpy(float)
    s = (
        0.0371 * np.minimum(df["TMB"].to_numpy(float), TMB_CAP_MUT_PER_MB)
        - 0.8775 * df["Systemic_therapy_history"].to_numpy(float)
        + 0.5382 * df["Albumin"].to_numpy(float)
        - 0.033 * np.minimum(df["NLR"].to_numpy(float), NLR_CAP)
        + 0.0049 * np.minimum(df["Age"].to_numpy(float), AGE_CAP_YEARS)
        + ctct
        - 2.0886
    )
    return _sigmoid(s)


def loris_nsclc(df: pd.DataFrame) -> np.ndarray:
    """NSCLC-specific LORIS: needs PD-L1 TPS in percent; rows without it give NaN.

    S = 0.0353 min(TMB,50) + 0.0111 PDL1[%] - 0.375 PSTH + 0.2924 Albumin[g/dL]
    - 0.0103 min(NLR,25) - 1.5593.
    """
    pdl1 = df[PDL1_COLUMN].to_numpy(float) if PDL1_COLUMN in df else np.full(len(df), np.nan)
    s = (
        0.0353 * np.minimum(df["TMB"].to_numpy(float), TMB_CAP_MUT_PER_MB)
        + 0.0111 * pdl1
        - 0.375 * df["Systemic_therapy_history"].to_numpy(float)
        + 0.2924 * df["Albumin"].to_numpy(float)
        - 0.0103 * np.minimum(df["NLR"].to_numpy(float), NLR_CAP)
        - 1.5593
    )
    return _sigmoid(s)


def tmb_score(df: pd.DataFrame) -> np.ndarray:
    """TMB alone (mutations/Mb) as a ranking score."""
    return df["TMB"].to_numpy(float)


def pdl1_score(df: pd.DataFrame) -> np.ndarray:
    """PD-L1 TPS alone (%) as a ranking score; NaN where not measured."""
    if PDL1_COLUMN not in df:
        return np.full(len(df), np.nan)
    return df[PDL1_COLUMN].to_numpy(float)
