"""HLA normalisation and TMB."""

from __future__ import annotations

import pytest

from immunotwin.errors import GenomicsError
from immunotwin.genomics.hla import normalise_allele, normalise_alleles
from immunotwin.genomics.tmb import (
    count_nonsynonymous_effects,
    read_maf,
    resolve_capture_mb,
    tmb_from_counts,
    tmb_from_maf,
)
from immunotwin.genomics.vcf import read_vep_vcf


@pytest.mark.parametrize(
    "spelling",
    ["HLA-A*02:01", "A*02:01", "A0201", "HLA-A0201", "hla-a*02:01", "HLA-A*02:01:01:02L"],
)
def test_spellings_normalise(spelling):
    assert normalise_allele(spelling) == "HLA-A*02:01"


def test_unknown_alleles_reported_not_dropped():
    result = normalise_alleles(
        "A*02:01, B0702, HLA-Cw*0702, garbage, DRB1*11:01, HLA-A2",
        supported=["HLA-A*02:01", "HLA-B*07:02"],
    )
    assert result.alleles == ("HLA-A*02:01", "HLA-B*07:02")
    skipped = {s.allele: s.reason for s in result.skipped}
    assert set(skipped) == {"HLA-Cw*0702", "garbage", "DRB1*11:01", "HLA-A2"}
    assert "not supported" in skipped["HLA-Cw*0702"]
    assert "class II" in skipped["DRB1*11:01"]


def test_tmb_from_vcf(pvacseq_dir):
    effects = read_vep_vcf(pvacseq_dir / "input.vcf").effects
    n = count_nonsynonymous_effects(effects)
    assert n == 19 + 2 + 2 + 1 + 1
    res = tmb_from_counts(n, "msk_impact_468")
    assert res.tmb_mutations_per_mb == pytest.approx(25 / 1.22)
    assert tmb_from_counts(n, 2.5).tmb_mutations_per_mb == pytest.approx(10.0)


def test_capture_validation():
    assert resolve_capture_mb(None) == (30.0, "exome")
    with pytest.raises(GenomicsError):
        resolve_capture_mb(-1)
    with pytest.raises(GenomicsError):
        resolve_capture_mb("nonsense_panel")


def test_maf_reader(tmp_path):
    maf = tmp_path / "t.maf"
    maf.write_text(
        "#version 2.4\n"
        "Hugo_Symbol\tChromosome\tStart_Position\tReference_Allele\tTumor_Seq_Allele2\t"
        "Variant_Classification\tTumor_Sample_Barcode\n"
        "KRAS\t12\t25398284\tC\tA\tMissense_Mutation\tS1\n"
        "TP53\t17\t7577120\tC\tT\tNonsense_Mutation\tS1\n"
        "TP53\t17\t7577121\tG\tA\tSilent\tS1\n"
        "EGFR\t7\t55249071\tC\tT\tMissense_Mutation\tS2\n"
    )
    assert tmb_from_maf(maf, 1.0, sample="S1").n_nonsynonymous == 2
    assert tmb_from_maf(maf, 0.5).tmb_mutations_per_mb == pytest.approx(6.0)
    bad = tmp_path / "bad.maf"
    bad.write_text("Hugo_Symbol\tChromosome\nKRAS\t12\n")
    with pytest.raises(GenomicsError, match="lacks column"):
        read_maf(bad)
