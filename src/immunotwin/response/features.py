"""Feature matrix for immunotwin's response model, built from a checked cohort table.

Core features (always used; a missing value is replaced by the training median and reported):
capped TMB (50 mut/Mb), albumin (g/dL), capped NLR (25), capped age (85 years) and the 16
cancer-type indicators (a type outside the 16, e.g. CNS, has all indicators 0, as in LORIS).
Optional feature groups (used only when measured; see ``model.PatternLogisticClassifier``):
PD-L1 TPS (%), prior systemic therapy, FCNA, drug class (two indicators), sex, platelets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .baselines import AGE_CAP_YEARS, NLR_CAP, TMB_CAP_MUT_PER_MB
from .schema import CANCER_TYPES, PDL1_COLUMN

MEASURED_CORE_FEATURES: tuple[str, ...] = (
    "tmb_capped",
    "albumin_g_per_dl",
    "nlr_capped",
    "age_capped",
)
"""Core features read from a measurement (a missing one takes the training median)."""
CORE_FEATURES: tuple[str, ...] = MEASURED_CORE_FEATURES + tuple(f"type_{t}" for t in CANCER_TYPES)

#: optional group -> the feature columns it contributes
OPTIONAL_GROUPS: dict[str, tuple[str, ...]] = {
    "pdl1": ("pdl1_tps_percent",),
    "prior_therapy": ("prior_systemic_therapy",),
    "fcna": ("fcna",),
    "drug": ("drug_combo_ctla4_pd1", "drug_ctla4_mono"),
    "sex": ("sex_male",),
    "platelets": ("platelets_k_per_ul",),
}


def build_features(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric model features (NaN = not measured) from a table passed by ``check_cohort``."""

    def col(name: str) -> np.ndarray:
        if name in df.columns:
            return pd.to_numeric(df[name], errors="coerce").to_numpy(float)
        return np.full(len(df), np.nan)

    out = pd.DataFrame(index=range(len(df)))
    out["tmb_capped"] = np.minimum(col("TMB"), TMB_CAP_MUT_PER_MB)
    out["albumin_g_per_dl"] = col("Albumin")
    out["nlr_capped"] = np.minimum(col("NLR"), NLR_CAP)
    out["age_capped"] = np.minimum(col("Age"), AGE_CAP_YEARS)
    types = df["CancerType"].astype(str).to_numpy()
    for t in CANCER_TYPES:
        out[f"type_{t}"] = (types == t).astype(float)
    out["pdl1_tps_percent"] = col(PDL1_COLUMN)
    out["prior_systemic_therapy"] = col("Systemic_therapy_history")
    out["fcna"] = col("FCNA")
    drug = col("Drug")
    out["drug_combo_ctla4_pd1"] = np.where(np.isnan(drug), np.nan, (drug == 1).astype(float))
    out["drug_ctla4_mono"] = np.where(np.isnan(drug), np.nan, (drug == 2).astype(float))
    out["sex_male"] = col("Sex")
    out["platelets_k_per_ul"] = col("Platelets")
    return out
