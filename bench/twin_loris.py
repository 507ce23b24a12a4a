"""Digital twins of the MSK1 checkpoint-blockade cohort: AUC for objective response.

For every patient of ``../shared/data/icb/LORIS_AllData__MSK1.csv`` (Chang 2024 Nat Cancer,
doi:10.1038/s43018-024-00772-7) a twin is built from the cohort's columns (tumour type, age,
sex, albumin, NLR, TMB, PD-L1 TPS, prior systemic therapy; no measurements) and simulated under
the therapy the patient received (``Drug``: 0 anti-PD-(L)1 -> pembrolizumab 200 mg q3w,
1 combination -> nivolumab + ipilimumab, 2 anti-CTLA-4 -> ipilimumab 3 mg/kg q3w x4). The twin's
P(response) is its members' CR/PR fraction, without and with the response model as evidence
(immunotwin.twin.evidence.response_model_weights). AUCs carry 95 % bootstrap intervals
(1,000 resamples of patients). Patients whose cancer type has no tumour-catalogue entry are
left out of the twin (the table reports the response model on the same subset). Mapping of
cancer types to catalogue entries: Colorectal -> crc_mss (MSK1 has no MSI column), Breast ->
tnbc, Esophageal -> gastric; the response model itself scores the cohort's own labels.

Usage: PYTHONPATH=src python bench/twin_loris.py [--ensemble 16] [--seed 0] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from immunotwin.population.calibration_io import shipped_parameter_set
from immunotwin.response.artifact import load_artifact, model_from_dict
from immunotwin.response.features import build_features
from immunotwin.trials.engine import _model_and_kernel
from immunotwin.twin.build import TRAINING_RESPONSE_RATE
from immunotwin.twin.ensemble import Ensemble, prior_ensemble
from immunotwin.twin.evidence import response_model_weights
from immunotwin.twin.forecast import responders, run_forecast
from immunotwin.twin.patient import Patient
from immunotwin.twin.regimens import Regimen

CANCER_TO_TUMOUR = {
    "NSCLC": "nsclc",
    "Melanoma": "melanoma",
    "Renal": "rcc",
    "Bladder": "urothelial",
    "Head & Neck": "hnscc",
    "Colorectal": "crc_mss",
    "Breast": "tnbc",
    "Gastric": "gastric",
    "Esophageal": "gastric",
    "Hepatobiliary": "hcc",
    "SCLC": "sclc",
    "Endometrial": "endometrial",
    "Mesothelioma": "mesothelioma",
    "Ovarian": "ovarian",
    "Pancreatic": "pancreatic",
}
ITEMS = {
    0: [{"drug": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "max_cycles": 35}],
    1: [
        {"drug": "nivolumab", "dose": "1 mg/kg", "every": "3 weeks", "cycles": 4},
        {"drug": "ipilimumab", "dose": "3 mg/kg", "every": "3 weeks", "cycles": 4},
    ],
    2: [{"drug": "ipilimumab", "dose": "3 mg/kg", "every": "3 weeks", "cycles": 4}],
}


def patient_of(row: pd.Series, tumour: str) -> Patient:
    pdl1 = row["PDL1_TPS(%)"]
    return Patient(
        id=f"MSK1-{int(row['SAMPLE_ID'])}",
        tumor_type=tumour,
        line=2 if row["Systemic_therapy_history"] == 1 else 1,
        age_years=float(np.clip(row["Age"], 18, 110)),
        sex="male" if row["Sex"] == 1 else "female",
        albumin_g_per_l=float(np.clip(row["Albumin"] * 10, 5.1, 70)),
        nlr=float(np.clip(row["NLR"], 0.01, 200)),
        prior_systemic_therapy=bool(row["Systemic_therapy_history"]),
        biomarkers={
            "tmb_mut_per_mb": float(row["TMB"]),
            "pdl1_tps": None if pd.isna(pdl1) else float(pdl1) / 100.0,
        },
    )


def bootstrap_auc(y, p, rng, n=1000):
    y, p = np.asarray(y), np.asarray(p)
    stats = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        if y[i].min() != y[i].max():
            stats.append(roc_auc_score(y[i], p[i]))
    return [float(roc_auc_score(y, p)), *np.quantile(stats, [0.025, 0.975]).tolist()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ensemble", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    from immunotwin.response.artifact import default_data_dir

    csv = default_data_dir() / "LORIS_AllData__MSK1.csv"  # ../shared/data/icb by default
    cohort = pd.read_csv(csv)
    model, _ = _model_and_kernel()
    calibration = shipped_parameter_set()
    start = time.perf_counter()
    cohort["tumour"] = cohort["CancerType"].map(CANCER_TO_TUMOUR)
    # the response model scores the cohort's own columns (its real cancer-type labels)
    classifier = model_from_dict(load_artifact()["response_model"])
    cohort["p_model"] = classifier.predict_proba(build_features(cohort))[:, 1]
    n = args.ensemble
    cohort["p_twin"] = np.nan
    cohort["p_twin_rm"] = np.nan
    for (tumour, drug), group in cohort.dropna(subset=["tumour"]).groupby(["tumour", "Drug"]):
        members = [
            prior_ensemble(
                patient_of(r, tumour),
                model,
                n,
                seed=args.seed + int(r["SAMPLE_ID"]),
                calibration=calibration,
            )
            for _, r in group.iterrows()
        ]
        stacked = Ensemble(
            members[0].tumour,
            pd.concat([m.patients for m in members], ignore_index=True),
            np.vstack([m.z for m in members]),
            members[0].space,
            calibration,
        )
        regimen = Regimen(
            key=f"drug_{int(drug)}", name=f"drug class {int(drug)}", items=ITEMS[int(drug)]
        )
        arm = run_forecast(stacked, (regimen,), args.seed).arms[0]
        resp = responders(arm).reshape(len(group), n)
        p_twin = resp.mean(axis=1)
        p_rm = []
        for k, p_model in enumerate(group["p_model"].to_numpy()):
            w, _ = response_model_weights(resp[k], p_model, TRAINING_RESPONSE_RATE)
            p_rm.append(float(np.sum(w * resp[k])))
        cohort.loc[group.index, "p_twin"] = p_twin
        cohort.loc[group.index, "p_twin_rm"] = p_rm
        print(
            f"{tumour} drug {drug}: {len(group)} patients, mean P(twin) {p_twin.mean():.2f}",
            flush=True,
        )
    elapsed = time.perf_counter() - start
    rng = np.random.default_rng(args.seed)
    sub = cohort.dropna(subset=["p_twin"])
    y = sub["Response"].to_numpy()
    result = {
        "cohort": csv.name,
        "patients": int(len(cohort)),
        "patients_with_twin": int(len(sub)),
        "ensemble": n,
        "seed": args.seed,
        "seconds": round(elapsed, 1),
        "auc_twin_without_response_model": bootstrap_auc(y, sub["p_twin"], rng),
        "auc_twin_with_response_model": bootstrap_auc(y, sub["p_twin_rm"], rng),
        "auc_response_model_alone_same_patients": bootstrap_auc(y, sub["p_model"], rng),
        "auc_response_model_alone_all_patients": bootstrap_auc(
            cohort["Response"], cohort["p_model"], rng
        ),
        "loris_published_auc_msk1": 0.699,
        "mean_p_twin": float(sub["p_twin"].mean()),
        "observed_response_rate": float(y.mean()),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
