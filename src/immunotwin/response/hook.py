"""Hook for the population layer: score virtual patients' biomarkers with the shipped model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from .artifact import load_artifact, model_from_dict
from .features import build_features

#: tumour-catalogue key -> LORIS cancer type (keys not listed score as "other": no type term)
TUMOR_KEY_TO_CANCER_TYPE: dict[str, str] = {
    "nsclc": "NSCLC",
    "nsclc_squamous": "NSCLC",
    "sclc": "SCLC",
    "melanoma": "Melanoma",
    "rcc": "Renal",
    "urothelial": "Bladder",
    "hnscc": "Head & Neck",
    "crc_msi_h": "Colorectal",
    "crc_mss": "Colorectal",
    "tnbc": "Breast",
    "her2_breast": "Breast",
    "hcc": "Hepatobiliary",
    "gastric": "Gastric",
    "esophageal": "Esophageal",
    "endometrial": "Endometrial",
    "mesothelioma": "Mesothelioma",
    "ovarian": "Ovarian",
    "pancreatic": "Pancreatic",
    "sarcoma": "Sarcoma",
}

#: virtual-patient column -> (cohort column, multiplier to the cohort unit)
VIRTUAL_COLUMNS: dict[str, tuple[str, float]] = {
    "tmb_mut_per_mb": ("TMB", 1.0),
    "pdl1_tps": ("PDL1_TPS(%)", 100.0),  # fraction 0-1 -> percent
    "albumin_g_per_dl": ("Albumin", 1.0),
    "albumin_g_per_l": ("Albumin", 0.1),  # g/L -> g/dL
    "nlr": ("NLR", 1.0),
    "age_years": ("Age", 1.0),
    "prior_systemic_therapy": ("Systemic_therapy_history", 1.0),
}


def _require_column(df: pd.DataFrame, column: str, fix: str) -> None:
    """InputError naming the missing column of a virtual-patient table."""
    if column not in df.columns:
        raise InputError(
            f"column '{column}' is missing",
            source="virtual patients",
            location=f"column {column}",
            fix=fix,
        )


def virtual_to_cohort(df: pd.DataFrame) -> pd.DataFrame:
    """Map a virtual-patient biomarker table onto cohort column names and units."""
    _require_column(df, "tumor_type", "give the tumour-catalogue key, e.g. 'nsclc' or 'melanoma'")
    out = pd.DataFrame(index=range(len(df)))
    for col, (target, factor) in VIRTUAL_COLUMNS.items():
        if col in df.columns:
            values = pd.to_numeric(df[col], errors="coerce").to_numpy(float) * factor
            if target in out and col == "albumin_g_per_l":
                values = np.where(np.isnan(out[target]), values, out[target])
            out[target] = values
    if "PDL1_TPS(%)" in out and np.nanmax(np.r_[out["PDL1_TPS(%)"].to_numpy(), 0]) > 100:
        raise InputError(
            "pdl1_tps must be a fraction 0-1",
            source="virtual patients",
            location="column pdl1_tps",
            fix="divide percent values by 100",
        )
    keys = df["tumor_type"].astype(str).str.lower().to_numpy()
    out["CancerType"] = [TUMOR_KEY_TO_CANCER_TYPE.get(k, "Other") for k in keys]
    return out


def score_virtual_patients(df: pd.DataFrame, artifact: dict | None = None) -> np.ndarray:
    """Predicted probability of objective response to checkpoint blockade per virtual patient.

    Columns (missing columns or NaN values allowed): ``tmb_mut_per_mb``, ``pdl1_tps`` (fraction
    0-1), ``albumin_g_per_dl`` or ``albumin_g_per_l``, ``nlr``, ``age_years``,
    ``prior_systemic_therapy`` (0/1), and ``tumor_type`` (catalogue key such as 'nsclc').
    Missing core values (TMB, albumin, NLR, age) take the training median; missing optional
    values (PD-L1, prior therapy) select the submodel without them.
    """
    artifact = artifact if artifact is not None else load_artifact()
    model = model_from_dict(artifact["response_model"])
    X = build_features(virtual_to_cohort(df))
    return model.predict_proba(X)[:, 1]


def responder_agreement(patients: pd.DataFrame, artifact: dict | None = None) -> dict:
    """How well the response model's probabilities agree with a virtual ICB arm's responders.

    ``patients``: one arm's rows of a trial's ``patients.parquet`` (biomarker columns as in
    :func:`score_virtual_patients` plus ``best_overall_response``). Returns n, the simulated
    ORR, the mean predicted probability (what the model expects the ORR to be) and the AUC of
    the predicted probability for the simulated responders (None with one class only): a
    check that the mechanistic responders are the patients the data-driven model favours.
    """
    from sklearn.metrics import roc_auc_score

    _require_column(
        patients, "best_overall_response", "pass one arm of a finished trial's patients.parquet"
    )
    responder = patients["best_overall_response"].isin(["CR", "PR"]).to_numpy()
    prob = score_virtual_patients(patients, artifact)
    both = responder.any() and not responder.all()
    return {
        "n": int(len(patients)),
        "simulated_orr": float(responder.mean()),
        "mean_predicted_probability": float(prob.mean()),
        "auc_predicted_vs_simulated": float(roc_auc_score(responder, prob)) if both else None,
    }
