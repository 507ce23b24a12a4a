"""Benchmarks of a binding predictor on the shared held-out data.

* Kim 2014 BLIND (Kim et al., BMC Bioinformatics 15:241, 2014): pooled ROC AUC for
  ``meas <= 500 nM`` on the rows whose allele the predictor supports, with NetMHCpan and
  SMMPMBEC (trained on BD2009, from the derived table) scored on the same rows.
* MHCflurry multi-allelic MS benchmark (O'Donnell et al., Cell Systems 11:42, 2020): per-sample
  PPV = fraction of hits among the top-k peptides (k = number of hits), scoring each peptide by
  its best (lowest) percentile rank over the sample's supported alleles.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from immunotwin.genomics.hla import normalise_allele
from immunotwin.genomics.mhc.base import BindingPredictor
from immunotwin.genomics.mhc.train import MS_BENCHMARK, is_heldout_sample, load_ms_benchmark

KIM_DERIVED = Path("mhc") / "kim2014_blind" / "derived__blind_with_BD2009_predictor_outputs.csv"


def _roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def evaluate_kim2014_blind(predictor: BindingPredictor, data_dir: str | Path) -> dict:
    """Pooled AUC (binder = measured IC50 <= 500 nM) on BLIND rows the predictor supports."""
    blind = pd.read_csv(Path(data_dir) / KIM_DERIVED)
    canon = {}
    for a in blind["allele"].unique():
        try:
            canon[a] = normalise_allele(a)
        except Exception:  # noqa: BLE001 - unparseable names are just unsupported
            canon[a] = None
    blind["canonical"] = blind["allele"].map(canon)
    supported = set(predictor.alleles)
    rows = blind[
        blind["canonical"].isin(supported) & blind["peptide_length"].isin(predictor.lengths)
    ].reset_index(drop=True)
    pred = predictor.predict(rows["peptide"].tolist(), rows["canonical"].tolist())
    labels = (rows["meas_ic50_nM"] <= 500.0) & (rows["inequality"] != ">")
    out = {
        "n_rows": int(len(rows)),
        "n_rows_total": int(len(blind)),
        "n_alleles": int(rows["canonical"].nunique()),
        "n_alleles_total": int(blind["allele"].nunique()),
        "binder_fraction": float(labels.mean()),
        "auc_pooled": _roc_auc(labels, -np.log(pred["ic50_nm"].to_numpy())),
    }
    for col in ("netmhcpan_ic50_nM", "netmhc_ic50_nM", "smmpmbec_ic50_nM"):
        out[f"auc_pooled_{col.split('_')[0]}_same_rows"] = _roc_auc(labels, -np.log(rows[col]))
    per_allele = []
    for _allele, grp in rows.groupby("canonical"):
        lab = labels[grp.index]
        if lab.nunique() == 2:
            per_allele.append(_roc_auc(lab, -np.log(pred.loc[grp.index, "ic50_nm"])))
    out["auc_mean_per_allele"] = float(np.mean(per_allele))
    return out


def evaluate_ms_ppv(
    predictor: BindingPredictor, data_dir: str | Path, heldout_only: bool = True
) -> pd.DataFrame:
    """Per-sample PPV on the MS benchmark (held-out samples by default)."""
    df = load_ms_benchmark(Path(data_dir) / MS_BENCHMARK)
    if heldout_only:
        df = df[df["sample_id"].map(is_heldout_sample)]
    supported = set(predictor.alleles)
    results = []
    for sample, grp in df.groupby("sample_id"):
        alleles = [normalise_allele(a) for a in grp["hla"].iloc[0].split()]
        usable = [a for a in alleles if a in supported]
        if not usable:
            continue
        peps = grp["peptide"].tolist()
        best = np.full(len(peps), np.inf)
        for a in usable:
            pred = predictor.predict(peps, [a] * len(peps))
            best = np.minimum(best, pred["percentile_rank"].to_numpy())
        hits = grp["hit"].to_numpy()
        k = int(hits.sum())
        order = np.argsort(best, kind="stable")
        results.append(
            {
                "sample_id": sample,
                "n_hits": k,
                "n_peptides": len(peps),
                "alleles_supported": f"{len(usable)}/{len(alleles)}",
                "ppv": float(hits[order[:k]].mean()),
                "auc": _roc_auc(hits, -best),
            }
        )
    return pd.DataFrame(results)
