"""The shipped response/survival model: training from the staged cohorts, saving, loading.

``train`` is deterministic: lbfgs logistic regression and lifelines' Newton-Raphson Cox fit use
no random numbers, the seed only drives the reported cross-validation folds, and the artifact is
JSON written with sorted keys and Python's shortest round-trip float repr. Bit-for-bit
reproduction assumes the same numpy / scikit-learn / lifelines versions (recorded in the file).
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path

import lifelines
import numpy as np
import pandas as pd
import sklearn
from sklearn.model_selection import StratifiedKFold

from immunotwin.io.atomic import write_text_atomic

from ..errors import InputError
from .features import MEASURED_CORE_FEATURES, build_features
from .io import read_named_cohort
from .model import PatternLogisticClassifier
from .survival import SURVIVAL_FEATURES, cox_risk, fit_cox, survival_design

ARTIFACT_NAME = "response_model.json"
#: hyper-parameters chosen by ``validation.select_model`` (see docs/response.md)
CHOSEN_PARAMS: dict = {
    "C": 1.0,
    "optional_groups": ["prior_therapy", "pdl1"],
    "min_patients": 100,
    "max_iter": 5000,
    "tmb_transform": "linear",
    "pdl1_transform": "sqrt",
    "nsclc_only_groups": ["pdl1"],
}
TRAIN_COHORT = "Chowell_train"


def default_data_dir() -> Path:
    """The ICB cohort folder: ``$IMMUNOTWIN_ICB_DATA``, else ``shared/data/icb`` in the nearest
    folder above the repository root that has one (normally ``../shared`` beside the clone)."""
    env = os.environ.get("IMMUNOTWIN_ICB_DATA")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    roots = [p for p in here.parents if (p / "pyproject.toml").is_file()]
    start = roots[0] if roots else Path.cwd()
    for parent in start.parents:
        candidate = parent / "shared" / "data" / "icb"
        if candidate.is_dir():
            return candidate
    return start.parent / "shared" / "data" / "icb"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(data_dir: str | Path | None = None, seed: int = 0) -> dict:
    """Fit the response classifier and OS/PFS Cox models on Chowell_train; return the artifact.

    Parameters
    ----------
    data_dir : folder holding the LORIS cohort CSVs (default ``../shared/data/icb``).
    seed : seed of the 5-fold cross-validation whose AUC is recorded in the artifact.
    """
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    df = read_named_cohort(data_dir, TRAIN_COHORT)
    X = build_features(df)
    y = df["Response"].to_numpy(float)
    params = _tuple_params(CHOSEN_PARAMS)
    model = PatternLogisticClassifier(**params).fit(X, y)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    cv = [
        PatternLogisticClassifier(**params).fit(X.iloc[a], y[a]).score(X.iloc[b], y[b])
        for a, b in folds.split(X, y)
    ]
    Xs = survival_design(df)
    medians = {c: float(Xs[c].median()) for c in Xs.columns}
    survival = {
        "os": fit_cox(Xs, df["OS_Months"].to_numpy(), df["OS_Event"].to_numpy()),
        "pfs": fit_cox(Xs, df["PFS_Months"].to_numpy(), df["PFS_Event"].to_numpy()),
        "medians": medians,
    }
    src = data_dir / f"LORIS_AllData__{TRAIN_COHORT}.csv"
    return {
        "format": "immunotwin.response/1",
        "training": {
            "cohort": TRAIN_COHORT,
            "file": src.name,
            "sha256": _sha256(src),
            "n_patients": len(df),
            "seed": seed,
            "cv5_auc_mean": float(np.mean(cv)),
        },
        "versions": {
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "lifelines": lifelines.__version__,
        },
        "response_model": model_to_dict(model),
        "survival": survival,
    }


_TUPLE_PARAMS = ("optional_groups", "nsclc_only_groups")


def _tuple_params(params: dict) -> dict:
    """Hyper-parameters with the JSON lists turned back into tuples."""
    out = dict(params)
    for key in _TUPLE_PARAMS:
        if key in out:
            out[key] = tuple(out[key])
    return out


def model_to_dict(model: PatternLogisticClassifier) -> dict:
    """JSON-able form of a fitted classifier."""
    params = model.get_params()
    for key in _TUPLE_PARAMS:
        params[key] = list(params[key])
    return {
        "params": params,
        "core_median": model.core_median_,
        "submodels": [
            {
                "pattern": list(p),
                "features": s["features"],
                "mean": s["mean"].tolist(),
                "scale": s["scale"].tolist(),
                "coef": s["coef"].tolist(),
                "intercept": s["intercept"],
                "n_train": s["n_train"],
            }
            for p, s in model.submodels_.items()
        ],
    }


def model_from_dict(d: dict) -> PatternLogisticClassifier:
    """Rebuild a fitted classifier from :func:`model_to_dict` output."""
    m = PatternLogisticClassifier(**_tuple_params(d["params"]))
    m.classes_ = np.array([0, 1])
    m.core_median_ = dict(d["core_median"])
    m.submodels_ = {
        tuple(s["pattern"]): {
            "features": s["features"],
            "mean": np.asarray(s["mean"]),
            "scale": np.asarray(s["scale"]),
            "coef": np.asarray(s["coef"]),
            "intercept": s["intercept"],
            "n_train": s["n_train"],
        }
        for s in d["submodels"]
    }
    return m


def dumps(artifact: dict) -> str:
    """Canonical JSON text of an artifact (sorted keys, fixed indentation)."""
    return json.dumps(artifact, sort_keys=True, indent=1) + "\n"


def save_artifact(artifact: dict, path: str | Path) -> None:
    """Write the artifact JSON."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, dumps(artifact))


def shipped_artifact_path() -> Path:
    """Path of the packaged artifact ``immunotwin/data/response/response_model.json``."""
    return Path(str(resources.files("immunotwin") / "data" / "response" / ARTIFACT_NAME))


def load_artifact(path: str | Path | None = None) -> dict:
    """Read an artifact (default: the packaged one)."""
    path = Path(path) if path is not None else shipped_artifact_path()
    if not path.is_file():
        raise InputError(
            "model artifact not found",
            source=str(path),
            fix="run `immunotwin response train` to create it",
        )
    return json.loads(path.read_text())


def predict_cohort(df: pd.DataFrame, artifact: dict | None = None) -> pd.DataFrame:
    """Response probability, OS/PFS log relative hazard and top explanations for each row.

    ``df`` must have passed ``check_cohort``. Columns added: response_probability,
    os_risk_log_hr, pfs_risk_log_hr, optional_features_used, imputed_with_training_median
    (the core and survival features that were missing and took the training median, or
    "none"), top_positive, top_negative.
    """
    artifact = artifact if artifact is not None else load_artifact()
    model = model_from_dict(artifact["response_model"])
    X = build_features(df)
    imputable = list(dict.fromkeys([*MEASURED_CORE_FEATURES, *SURVIVAL_FEATURES]))
    missing = X[imputable].isna()
    logit, contrib, used = model.explain(X)
    out = pd.DataFrame(index=range(len(df)))
    out["response_probability"] = 1.0 / (1.0 + np.exp(-logit))
    surv = artifact["survival"]
    Xs = survival_design(df, surv["medians"])
    out["os_risk_log_hr"] = cox_risk(surv["os"], Xs)
    out["pfs_risk_log_hr"] = cox_risk(surv["pfs"], Xs)
    out["optional_features_used"] = [";".join(u) if u else "core only" for u in used]
    out["imputed_with_training_median"] = [
        ";".join(missing.columns[row]) or "none" for row in missing.to_numpy()
    ]
    out["top_positive"] = [_top(contrib.iloc[i], +1) for i in range(len(df))]
    out["top_negative"] = [_top(contrib.iloc[i], -1) for i in range(len(df))]
    return out


def _top(row: pd.Series, sign: int, k: int = 3) -> str:
    """The k features that moved the log-odds most in one direction, as 'name:+0.42;...'."""
    r = row.dropna()
    r = r[np.sign(r) == sign]
    r = r.reindex(r.abs().sort_values(ascending=False).index)[:k]
    return ";".join(f"{n}:{v:+.2f}" for n, v in r.items())
