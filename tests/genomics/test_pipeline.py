"""End-to-end neoantigen run, ranking policy, vaccine design, CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from immunotwin.errors import GenomicsError
from immunotwin.genomics.cli import mhc_app, neoantigens
from immunotwin.genomics.mhc import ImmunotwinMhcI
from immunotwin.genomics.pipeline import run_neoantigens
from immunotwin.genomics.ranking import load_policy
from immunotwin.genomics.vaccine import design_string

HLA = "HLA-A*02:01,HLA-B*07:02,HLA-C*07:02"


def test_run_on_shared_vcf(tmp_path, pvacseq_dir):
    summary = run_neoantigens(pvacseq_dir / "input.vcf", HLA + ",HLA-E*01:01,junk", tmp_path)
    assert summary["alleles_used"] == ["HLA-A*02:01", "HLA-B*07:02", "HLA-C*07:02"]
    assert {s["allele"] for s in summary["alleles_skipped"]} == {"HLA-E*01:01", "junk"}
    assert summary["variants_per_class"]["missense"] == 19
    assert summary["tmb"]["n_nonsynonymous"] == 25
    epi = pd.read_csv(tmp_path / "epitopes.tsv", sep="\t")
    assert list(epi.columns[:5]) == ["Chromosome", "Start", "Stop", "Reference", "Variant"]
    for col in (
        "HLA Allele",
        "MT Epitope Seq",
        "WT Epitope Seq",
        "Tumor DNA VAF",
        "Gene Expression",
        "Peptide Length",
        "Mutation Position",
        "Tier",
    ):
        assert col in epi.columns
    assert len(epi) == 3 * epi["MT Epitope Seq"].nunique()
    assert set(epi["Peptide Length"]) == {8, 9, 10, 11}
    vac = pd.read_csv(tmp_path / "vaccine.tsv", sep="\t")
    assert 0 < len(vac) <= 20
    assert vac["variant_key"].is_unique
    assert (vac["Long Peptide (25-mer)"].str.len() == 25).all()
    neo = json.loads((tmp_path / "neoantigens.json").read_text())
    assert neo and {"peptide", "allele", "ic50_nm", "vaf"} <= set(neo[0])
    assert json.loads((tmp_path / "summary.json").read_text())["predictor"] == "immunotwin-mhci-v2"


def test_mrna_string_has_no_strong_junction_binders(tmp_path, pvacseq_dir):
    summary = run_neoantigens(
        pvacseq_dir / "input.vcf", HLA, tmp_path, vaccine_format="mrna_string", n_vaccine=8
    )
    construct = json.loads((tmp_path / "vaccine_construct.json").read_text())
    assert summary["vaccine_junction_binders"] == 0
    model = ImmunotwinMhcI()
    seq = construct["protein"][1:]
    bounds, pos = [], 0
    for pep in construct["order"]:
        pos = seq.index(pep, pos)
        bounds.append((pos, pos + len(pep)))
        pos += len(pep)
    # every 8-11-mer window that is not inside one epitope (junctions, spacers) must not bind
    juncs = [
        seq[i : i + k]
        for k in (8, 9, 10, 11)
        for i in range(len(seq) - k + 1)
        if not any(s <= i and i + k <= e for s, e in bounds)
    ]
    assert juncs
    alleles = HLA.split(",")
    pred = model.predict([p for p in juncs for _ in alleles], alleles * len(juncs))
    assert (pred["ic50_nm"] > 500).all()
    assert construct["cds"].startswith("ATG") and construct["cds"].endswith("TGA")
    assert len(construct["cds"]) == 3 * len(construct["protein"]) + 3


def test_design_string_inserts_spacer_when_needed():
    model = ImmunotwinMhcI()
    res = design_string(["SLYNTVATL", "NLVPMVATV"], ["HLA-A*02:01"], model)
    assert set(res["order"]) == {"SLYNTVATL", "NLVPMVATV"}
    assert res["protein"].startswith("M")


def test_policy_yaml(tmp_path):
    good = tmp_path / "p.yaml"
    good.write_text("weight_vaf: 2.0\nmin_vaf_clonal: 0.1\n")
    assert load_policy(good).weight_vaf == 2.0
    bad = tmp_path / "bad.yaml"
    bad.write_text("weight_typo: 1\n")
    with pytest.raises(GenomicsError, match="allowed keys"):
        load_policy(bad)


def test_cli_neoantigens_and_mhc(tmp_path, pvacseq_dir):
    app = typer.Typer()
    app.command("neoantigens")(neoantigens)
    app.add_typer(mhc_app, name="mhc")
    runner = CliRunner()
    res = runner.invoke(
        app,
        ["neoantigens", str(pvacseq_dir / "input.vcf"), "--hla", HLA, "--out", str(tmp_path / "o")],
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "summary.json").exists()
    res = runner.invoke(
        app,
        [
            "neoantigens",
            str(pvacseq_dir / "input.vcf"),
            "--hla",
            HLA,
            "--out",
            str(tmp_path / "o2"),
            "--sample",
            "NOPE",
        ],
    )
    assert res.exit_code == 2
    assert "not in the VCF" in res.output
    csv = tmp_path / "pairs.csv"
    csv.write_text("peptide,allele\nSLYNTVATL,A*02:01\n")
    res = runner.invoke(
        app, ["mhc", "predict", "--input", str(csv), "--out", str(tmp_path / "s.csv")]
    )
    assert res.exit_code == 0, res.output
    assert "ic50_nm" in (tmp_path / "s.csv").read_text()
    assert runner.invoke(app, ["mhc", "--help"]).exit_code == 0
