"""Binding predictor contract, artifact reproducibility, CSV edge."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from immunotwin.errors import GenomicsError
from immunotwin.genomics.mhc import BindingPredictor, ImmunotwinMhcI, get_predictor
from immunotwin.genomics.mhc.base import rank_to_ic50_nm, score_to_ic50_nm
from immunotwin.genomics.mhc.bd2009 import parse_prediction_file
from immunotwin.genomics.mhc.model import default_artifact_path, default_bd2009_path
from immunotwin.genomics.mhc.train import _train_affinity, affinity_target, canonical_mhc
from immunotwin.genomics.mhc_io import predict_csv

from .conftest import data_path


@pytest.fixture(scope="module")
def model():
    return ImmunotwinMhcI()


def test_protocol_and_declared_alleles(model):
    assert isinstance(model, BindingPredictor)
    assert {"HLA-A*02:01", "HLA-B*07:02", "HLA-C*07:02"} <= set(model.alleles)
    assert model.lengths == (8, 9, 10, 11)


def test_known_epitopes_bind_better_than_poly_a(model):
    # CMV pp65 NLVPMVATV and HIV gag SLYNTVATL are classic HLA-A*02:01 epitopes
    out = model.predict(["NLVPMVATV", "SLYNTVATL", "AAAAAAAAA", "DDDDDDDDD"], ["A0201"] * 4)
    assert list(out.columns[:4]) == ["peptide", "allele", "ic50_nm", "percentile_rank"]
    assert (out["allele"] == "HLA-A*02:01").all()
    assert out["percentile_rank"][:2].max() < 2.0 < out["percentile_rank"][2:].min()
    assert out["ic50_nm"][:2].max() < out["ic50_nm"][2:].min()


def test_unsupported_allele_and_bad_peptide(model):
    with pytest.raises(GenomicsError, match="not supported"):
        model.predict(["SLYNTVATL"], ["HLA-E*01:01"])
    with pytest.raises(GenomicsError, match="8-11"):
        model.predict(["SLYNTVATLAAA"], ["HLA-A*02:01"])


def test_calibration_maps_are_monotone():
    assert np.all(np.diff(rank_to_ic50_nm(np.array([0.01, 0.5, 2, 10, 100]))) > 0)
    assert rank_to_ic50_nm(np.array([2.0]))[0] == pytest.approx(500.0)
    assert np.all(np.diff(score_to_ic50_nm(np.array([-5.0, 0.0, 5.0]))) < 0)


def test_external_adapters_explain_install():
    for name in ("mhcflurry", "netmhcpan", "mhcnuggets"):
        try:
            get_predictor(name)
        except GenomicsError as exc:
            assert "install" in str(exc)
    with pytest.raises(GenomicsError, match="unknown binding predictor"):
        get_predictor("nope")


def test_predict_csv(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("peptide,allele\nSLYNTVATL,A*02:01\nRPHERNGFTV,HLA-B0702\n")
    assert predict_csv(src, tmp_path / "out.csv") == 2
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == ["peptide", "allele", "ic50_nm", "percentile_rank"]
    bad = tmp_path / "bad.csv"
    bad.write_text("peptide,allele\nSLYNTVATL,nonsense!!\n")
    with pytest.raises(GenomicsError, match="line 2, column allele"):
        predict_csv(bad, tmp_path / "x.csv")


def test_artifact_metadata_records_provenance(model):
    meta = model.metadata
    train = meta["training_data"]
    assert train["ms_benchmark"]["sha256"].startswith("ffd45f7df5e5adac")
    assert train["excluded_peptides_from"].endswith("blind.1.txt")
    bd = train["bd2009"]
    assert bd["sha256"] == hashlib.sha256(default_bd2009_path().read_bytes()).hexdigest()
    assert bd["blind_exclusion"] == "peptides"
    assert bd["rows_used"] == sum(bd["measurements_per_allele"].values())
    assert bd["group_donor"]["HLA-A*26:03"] == "HLA-A*26:01"
    assert sum(meta["kinds"].values()) == len(model.alleles)
    # HLA-A*02:01 is an affinity model (measured IC50s), HLA-C*07:02 a mass-spec motif
    kinds = dict(zip(model.alleles, model.kinds, strict=True))
    assert kinds["HLA-A*02:01"] == "affinity" and kinds["HLA-C*07:02"] == "ms_motif"


def test_bd2009_file_parsing_and_blind_exclusion():
    text = (
        "BENCHMARK\tmethod\tmhckey\tsize\tbinder\tPCC\tAUC\n"
        "BENCHMARK\tsmmpmbec_cpp\tHLA-A-0201-9\t3\t1\t0.7\t0.9\n"
        "sequence\tmeas\tpred\n"
        "SLYNTVATL\t1.500\t2.0\nAAAAAAAAA\t4.301\t4.0\nGILGFVFTL\t1.000\t1.2\n"
    )
    name = "cv.bd2009.1_public_cv_rnd.smmpmbec_cpp.HLA-A-0201-9.123.xls"
    df = parse_prediction_file(name, text)
    assert df["mhc"].tolist() == ["HLA-A-0201"] * 3
    assert df["log10_ic50_nm"].tolist() == [1.5, 4.301, 1.0]
    assert canonical_mhc("HLA-A-0201") == "HLA-A*02:01"
    blind = pd.DataFrame(
        {"allele": ["HLA-A*02:01", "HLA-B*07:02"], "sequence": ["SLYNTVATL", "GILGFVFTL"]}
    )
    _, _, _, pairs = _train_affinity(df, blind, "pairs", 1.0, 1)
    assert pairs["rows_used"] == 2  # only the (A*02:01, SLYNTVATL) pair is dropped
    _, _, _, peps = _train_affinity(df, blind, "peptides", 1.0, 1)
    assert peps["rows_used"] == 1  # every BLIND peptide is dropped
    assert affinity_target(np.array([np.log10(50_000.0), 0.0])).tolist() == [0.0, 1.0]


def test_blind_pooled_auc_meets_target(model):
    """Kim 2014 BLIND (disjoint from training): within 0.03 of SMMPMBEC's published 0.919."""
    from immunotwin.genomics.mhc.evaluate import evaluate_kim2014_blind

    blind = evaluate_kim2014_blind(model, data_path())
    assert blind["auc_pooled"] >= 0.889
    assert blind["auc_pooled"] >= blind["auc_pooled_smmpmbec_same_rows"] - 0.03
    assert blind["n_alleles"] == blind["n_alleles_total"] == 53


@pytest.mark.slow
def test_training_reproduces_artifact_bit_for_bit(tmp_path):
    from immunotwin.genomics.mhc.train import train_model

    data = data_path()
    train_model(data, tmp_path / "m.npz")
    digest = hashlib.sha256((tmp_path / "m.npz").read_bytes()).hexdigest()
    assert digest == hashlib.sha256(default_artifact_path().read_bytes()).hexdigest()


@pytest.mark.slow
def test_ms_ppv_beats_chance():
    from immunotwin.genomics.mhc.evaluate import evaluate_ms_ppv

    data = data_path()
    ppv = evaluate_ms_ppv(ImmunotwinMhcI(), data)
    assert ppv["ppv"].median() > 0.7
