"""VCF reading: expected variant tables, prerequisites, malformed input."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from immunotwin.errors import GenomicsError
from immunotwin.genomics.peptides import mutant_protein
from immunotwin.genomics.vcf import read_vep_vcf, vep_allele

CASES = [
    ("input.vcf", "output.tsv"),
    (
        "input_frameshift_variant_feature_elongation.vcf",
        "output_frameshift_variant_feature_elongation.tsv",
    ),
    (
        "input_frameshift_variant_feature_truncation.vcf",
        "output_frameshift_variant_feature_truncation.tsv",
    ),
    ("input_inframe_deletion_aa_deletion.vcf", "output_inframe_deletion_aa_deletion.tsv"),
]


@pytest.mark.parametrize(("vcf_name", "tsv_name"), CASES)
def test_converter_vcfs_give_expected_variant_tables(converter_dir, vcf_name, tsv_name):
    effects = read_vep_vcf(converter_dir / vcf_name).effects
    expected = pd.read_csv(converter_dir / tsv_name, sep="\t", dtype=str, keep_default_na=False)
    assert len(effects) == len(expected) == 1
    got, exp = effects.iloc[0], expected.iloc[0]
    assert str(got["Chromosome"]) == exp["chromosome_name"]
    assert str(got["Start"]) == exp["start"]
    assert str(got["Stop"]) == exp["stop"]
    assert got["Reference"] == exp["reference"]
    assert got["Variant"] == exp["variant"]
    assert got["Transcript"] == exp["transcript_name"]
    assert got["Gene Name"] == exp["gene_name"]
    assert got["Ensembl Gene ID"] == exp["ensembl_gene_id"]
    assert got["Mutation"] == exp["amino_acid_change"]
    assert got["Codons"] == exp["codon_change"]
    assert got["Variant Type"] == exp["variant_type"]
    assert got["Protein Position"] == exp["protein_position"]
    assert got["wildtype_protein"] == exp["wildtype_amino_acid_sequence"]
    assert got["Tumor DNA Depth"] == float(exp["tdna_depth"])
    if exp["tdna_vaf"] == "NA":
        assert math.isnan(got["Tumor DNA VAF"])
    else:
        assert got["Tumor DNA VAF"] == pytest.approx(float(exp["tdna_vaf"]))
    mt = mutant_protein(
        got["Variant Type"],
        got["wildtype_protein"],
        got["Protein Position"],
        got["Mutation"],
        got["frameshift_protein"],
    )
    if exp["variant_type"] == "FS":
        assert mt == exp["frameshift_amino_acid_sequence"]
        assert len(mt) - len(got["wildtype_protein"]) == int(exp["protein_length_change"])


def test_full_pvacseq_vcf_counts(pvacseq_dir):
    result = read_vep_vcf(pvacseq_dir / "input.vcf")
    assert result.sample == "H_NJ-HCC1395-HCC1395"
    assert result.n_records == 477
    counts = result.effects.groupby("Variant Type")["variant_key"].nunique()
    # manifest: 19 missense, 2 inframe ins, 2 inframe del, 1 frameshift, 1 stop_gained
    assert counts["missense"] == 19
    assert counts["inframe_ins"] == 2
    assert counts["inframe_del"] == 2
    assert counts["FS"] == 1
    assert counts["stop_gained"] == 1


def test_vep_allele_strips_shared_first_base():
    assert vep_allele("T", ["TGCTGCC"]) == ["GCTGCC"]
    assert vep_allele("GA", ["G"]) == ["-"]
    assert vep_allele("G", ["A"]) == ["A"]
    assert vep_allele("GA", ["G", "GAA"]) == ["-", "AA"]


def _write(tmp_path, text, name="bad.vcf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _lines(converter_dir):
    return (converter_dir / "input.vcf").read_text().splitlines(keepends=True)


def test_truncated_line(tmp_path, converter_dir):
    lines = _lines(converter_dir)
    lines[-1] = "\t".join(lines[-1].split("\t")[:6]) + "\n"
    with pytest.raises(GenomicsError, match="truncated") as err:
        read_vep_vcf(_write(tmp_path, "".join(lines)))
    assert f"line {len(lines)}" in str(err.value)


def test_bad_csq(tmp_path, converter_dir):
    lines = _lines(converter_dir)
    lines[-1] = lines[-1].replace("missense_variant|", "missense_variant", 1)
    with pytest.raises(GenomicsError, match="bad CSQ"):
        read_vep_vcf(_write(tmp_path, "".join(lines)))


def test_non_acgt_allele(tmp_path, converter_dir):
    lines = _lines(converter_dir)
    cols = lines[-1].split("\t")
    cols[4] = "<DEL>"
    lines[-1] = "\t".join(cols)
    with pytest.raises(GenomicsError, match="ALT allele '<DEL>'"):
        read_vep_vcf(_write(tmp_path, "".join(lines)))


def test_missing_header(tmp_path, converter_dir):
    lines = [line for line in _lines(converter_dir) if not line.startswith("#")]
    with pytest.raises(GenomicsError, match="missing VCF header"):
        read_vep_vcf(_write(tmp_path, "".join(lines)))


def test_no_csq_prints_vep_command(tmp_path, converter_dir):
    lines = [line for line in _lines(converter_dir) if not line.startswith("##INFO=<ID=CSQ")]
    with pytest.raises(GenomicsError, match="no VEP CSQ") as err:
        read_vep_vcf(_write(tmp_path, "".join(lines)))
    assert "--plugin Wildtype" in str(err.value)


def test_no_wildtype_protein(tmp_path, converter_dir):
    text = "".join(_lines(converter_dir)).replace("|WildtypeProtein|", "|WildtypeXX|")
    with pytest.raises(GenomicsError, match="WildtypeProtein") as err:
        read_vep_vcf(_write(tmp_path, text))
    assert "vep --input_file" in str(err.value)


def test_legacy_downstream_format_rejected(converter_dir):
    with pytest.raises(GenomicsError, match="FrameshiftSequence") as err:
        read_vep_vcf(converter_dir / "full_input.vcf")
    assert "Downstream" in str(err.value)
    assert "--plugin Frameshift" in str(err.value)


def test_no_gt(tmp_path, converter_dir):
    lines = [line for line in _lines(converter_dir) if not line.startswith("##FORMAT=<ID=GT")]
    with pytest.raises(GenomicsError, match="no FORMAT GT"):
        read_vep_vcf(_write(tmp_path, "".join(lines)))


def test_wrong_sample(converter_dir):
    with pytest.raises(GenomicsError, match="not in the VCF") as err:
        read_vep_vcf(converter_dir / "input.vcf", sample="TUMOUR_X")
    assert "H_NJ-HCC1395-HCC1395" in str(err.value)


def test_two_samples_picks_tumour_and_pass_only(tmp_path, converter_dir):
    lines = _lines(converter_dir)
    out = []
    for line in lines:
        if line.startswith("#CHROM"):
            line = (
                line.rstrip("\n").replace(
                    "H_NJ-HCC1395-HCC1395", "HCC1395_NORMAL_DNA\tHCC1395_TUMOR_DNA"
                )
                + "\n"
            )
        elif not line.startswith("#"):
            cols = line.rstrip("\n").split("\t")
            normal = "0/0" + cols[9][3:]
            cols = cols[:9] + [normal, cols[9]]
            cols[6] = "LowQual"
            line = "\t".join(cols) + "\n"
        out.append(line)
    path = _write(tmp_path, "".join(out))
    result = read_vep_vcf(path)
    assert result.sample == "HCC1395_TUMOR_DNA"
    assert len(result.effects) == 1
    filtered = read_vep_vcf(path, pass_only=True)
    assert filtered.n_filtered_out == 1 and filtered.effects.empty
