"""Response prediction for immune-checkpoint blockade from routine clinical and genomic features.

Public API
----------
check_cohort : the input gate (columns, units, ranges) for cohort tables.
read_cohort, read_patient_json : readers for cohort CSVs and single-patient JSON.
loris_pan_cancer, loris_nsclc, tmb_score, pdl1_score : published baselines.
PatternLogisticClassifier : immunotwin's response model (scikit-learn estimator).
train, load_artifact, predict_cohort : the shipped model and its reproduction.
score_virtual_patients : hook for the population layer.
"""

from __future__ import annotations

from .baselines import loris_nsclc as loris_nsclc
from .baselines import loris_pan_cancer as loris_pan_cancer
from .baselines import pdl1_score as pdl1_score
from .baselines import tmb_score as tmb_score
from .gate import check_cohort as check_cohort
from .io import read_cohort as read_cohort
from .io import read_patient_json as read_patient_json


def __getattr__(name: str):
    """scikit-learn is imported only when the model is used (keeps the CLI fast)."""
    if name == "PatternLogisticClassifier":
        from .model import PatternLogisticClassifier

        return PatternLogisticClassifier
    raise AttributeError(f"module 'immunotwin.response' has no attribute {name!r}")
