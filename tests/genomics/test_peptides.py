"""Neoepitope candidates against pVACseq's expected class I output."""

from __future__ import annotations

import pandas as pd

from immunotwin.genomics.peptides import changed_region, epitope_windows, generate_candidates
from immunotwin.genomics.vcf import read_vep_vcf

# The one pVACseq 9-mer we do not emit: it equals a wild-type 9-mer two residues away in the
# poly-L/P stretch of IGFBP2, so it is not novel (see docs/genomics.md).
KNOWN_DIFFERENCE = {("2-217498305-217498305-T-TGCTGCC", "PLLPLLLLL", 9)}


def test_candidates_match_pvacseq_class_i(pvacseq_dir):
    effects = read_vep_vcf(pvacseq_dir / "input.vcf").effects
    cands = generate_candidates(effects, lengths=(9, 10))
    mine = set(
        zip(cands["variant_key"], cands["MT Epitope Seq"], cands["Peptide Length"], strict=True)
    )
    exp = pd.read_csv(pvacseq_dir / "expected/MHC_Class_I/Test.MHC_I.all_epitopes.tsv", sep="\t")
    keys = (
        exp["Chromosome"].astype(str)
        + "-"
        + exp["Start"].astype(str)
        + "-"
        + exp["Stop"].astype(str)
        + "-"
        + exp["Reference"]
        + "-"
        + exp["Variant"]
    )
    expected = set(zip(keys, exp["MT Epitope Seq"], exp["Peptide Length"], strict=True))
    assert mine - expected == set()
    assert expected - mine == KNOWN_DIFFERENCE
    # stop-gained and synonymous variants yield nothing
    assert not cands["Variant Type"].isin(["stop_gained", "synonymous"]).any()


def test_missense_wt_peptides_are_aligned(pvacseq_dir):
    effects = read_vep_vcf(pvacseq_dir / "input.vcf").effects
    cands = generate_candidates(effects, lengths=(9,))
    miss = cands[cands["Variant Type"] == "missense"]
    for _, row in miss.iterrows():
        mt, wt = row["MT Epitope Seq"], row["WT Epitope Seq"]
        diffs = [i for i in range(9) if mt[i] != wt[i]]
        assert len(diffs) == 1
        assert row["Mutation Position"] == str(diffs[0] + 1)


def test_changed_region_and_windows():
    wt = "MAAAKLLLRSTV"
    assert changed_region(wt, "MAAAKQLLRSTV") == (5, 6)
    assert changed_region(wt, "MAAAKLLRSTV") == (7, 7)  # deletion of one L in LLL
    # a deletion inside a repeat yields junction peptides only if they are novel
    wins = epitope_windows("ACDEFGHIKLMNPQ", "ACDEFHIKLMNPQ", [4])
    assert {w[2] for w in wins} == {"DEFH", "EFHI", "FHIK"}
    # frameshift: novel tail peptides have no WT match
    fs = epitope_windows("MKTAYIAKQR", "MKTAYWWWW", [4], frameshift=True)
    assert ("WWWW" in {w[2] for w in fs}) and all(w[3] is None for w in fs if w[1] >= 5)
