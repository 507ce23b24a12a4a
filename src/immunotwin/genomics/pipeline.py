"""End-to-end neoantigen workflow: VCF + HLA -> epitopes.tsv, vaccine.tsv, summary.json."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from immunotwin.errors import GenomicsError
from immunotwin.genomics.hla import normalise_alleles
from immunotwin.genomics.mhc import BindingPredictor, get_predictor
from immunotwin.genomics.peptides import generate_candidates
from immunotwin.genomics.ranking import RankingPolicy, load_policy, score_epitopes
from immunotwin.genomics.tmb import count_nonsynonymous_effects, tmb_from_counts
from immunotwin.genomics.vaccine import design_string, select_epitopes, vaccine_table
from immunotwin.genomics.vcf import read_vep_vcf
from immunotwin.io.atomic import atomic_path, write_text_atomic

logger = logging.getLogger(__name__)

#: pVACseq all_epitopes.tsv column names we write first, in pVACseq's order.
PVACSEQ_COLUMNS = (
    "Chromosome",
    "Start",
    "Stop",
    "Reference",
    "Variant",
    "Transcript",
    "Transcript Support Level",
    "Biotype",
    "Ensembl Gene ID",
    "Variant Type",
    "Mutation",
    "Protein Position",
    "Gene Name",
    "HGVSc",
    "HGVSp",
    "HLA Allele",
    "Peptide Length",
    "Sub-peptide Position",
    "Mutation Position",
    "MT Epitope Seq",
    "WT Epitope Seq",
    "Best MT IC50 Score Method",
    "Best MT IC50 Score",
    "Corresponding WT IC50 Score",
    "Corresponding Fold Change",
    "Best MT Percentile Method",
    "Best MT Percentile",
    "Corresponding WT Percentile",
    "Tumor DNA Depth",
    "Tumor DNA VAF",
    "Tumor RNA Depth",
    "Tumor RNA VAF",
    "Gene Expression",
    "Transcript Expression",
)
IMMUNOTWIN_COLUMNS = (
    "Tier",
    "Rank",
    "immunotwin_score",
    "binding_term",
    "agretopicity_term",
    "clonality_term",
    "expression_term",
    "self_similarity_term",
    "self_match",
    "variant_key",
    "long_peptide",
)


def build_epitope_table(
    effects: pd.DataFrame,
    alleles: Sequence[str],
    predictor: BindingPredictor,
    lengths: Sequence[int] = (8, 9, 10, 11),
    self_proteome: Sequence[str] = (),
) -> pd.DataFrame:
    """Candidates x alleles with MT/WT binding (pure apart from the predictor call)."""
    usable = [k for k in lengths if k in predictor.lengths]
    cands = generate_candidates(effects, lengths=usable)
    if cands.empty or not alleles:
        return pd.DataFrame(columns=list(PVACSEQ_COLUMNS) + list(IMMUNOTWIN_COLUMNS))
    peps = pd.unique(
        pd.concat(
            [cands["MT Epitope Seq"], cands.loc[cands["WT Epitope Seq"] != "NA", "WT Epitope Seq"]]
        )
    )
    pairs = pd.MultiIndex.from_product([peps, list(alleles)], names=["peptide", "allele"])
    pred = predictor.predict(list(pairs.get_level_values(0)), list(pairs.get_level_values(1)))
    pred.index = pairs
    table = cands.merge(pd.DataFrame({"HLA Allele": list(alleles)}), how="cross")
    mt_key = pd.MultiIndex.from_arrays([table["MT Epitope Seq"], table["HLA Allele"]])
    wt_key = pd.MultiIndex.from_arrays([table["WT Epitope Seq"], table["HLA Allele"]])
    table["Best MT IC50 Score"] = pred["ic50_nm"].reindex(mt_key).to_numpy()
    table["Best MT Percentile"] = pred["percentile_rank"].reindex(mt_key).to_numpy()
    table["Corresponding WT IC50 Score"] = pred["ic50_nm"].reindex(wt_key).to_numpy()
    table["Corresponding WT Percentile"] = pred["percentile_rank"].reindex(wt_key).to_numpy()
    table["Best MT IC50 Score Method"] = predictor.name
    table["Best MT Percentile Method"] = predictor.name
    info = effects.drop(columns=["variant_key", "Transcript", "Variant Type"])
    table = table.merge(info, left_on="effect_index", right_index=True, how="left")
    self_set = list(self_proteome)
    table["self_match"] = (
        [any(p in prot for prot in self_set) for p in table["MT Epitope Seq"]]
        if self_set
        else False
    )
    return table


def run_neoantigens(
    vcf_path: str | Path,
    hla: Sequence[str] | str,
    out_dir: str | Path,
    sample: str | None = None,
    *,
    lengths: Sequence[int] = (8, 9, 10, 11),
    pass_only: bool = False,
    capture_mb: float | str | None = None,
    predictor: BindingPredictor | str = "immunotwin",
    policy: RankingPolicy | str | Path | None = None,
    n_vaccine: int = 20,
    vaccine_format: str = "long_peptides",
) -> dict:
    """Run VCF -> neoepitopes -> binding -> ranking -> vaccine and write the outputs.

    Writes ``epitopes.tsv`` (pVACseq column names first), ``vaccine.tsv``, ``summary.json`` and
    ``neoantigens.json`` (list of ``{peptide, allele, ic50_nm, vaf, ...}`` for virtual patients)
    into ``out_dir``. Returns the summary dict.
    """
    if vaccine_format not in ("long_peptides", "mrna_string"):
        raise GenomicsError(
            f"unknown vaccine format {vaccine_format!r}",
            location="--vaccine-format",
            fix="long_peptides or mrna_string",
        )
    pred = get_predictor(predictor) if isinstance(predictor, str) else predictor
    pol = policy if isinstance(policy, RankingPolicy) else load_policy(policy)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    read = read_vep_vcf(vcf_path, sample, pass_only=pass_only)
    allele_set = normalise_alleles(hla, supported=pred.alleles or None)
    if not allele_set.alleles:
        raise GenomicsError(
            "none of the HLA alleles can be used: "
            + "; ".join(f"{s.allele}: {s.reason}" for s in allele_set.skipped),
            location="--hla",
            fix="give class I alleles the predictor supports (`immunotwin mhc alleles`)",
        )
    effects = read.effects
    self_proteome = effects["wildtype_protein"].dropna().unique().tolist()
    table = build_epitope_table(effects, allele_set.alleles, pred, lengths, self_proteome)
    ranked = score_epitopes(table, pol) if not table.empty else table
    cols = [c for c in PVACSEQ_COLUMNS if c in ranked.columns] + [
        c for c in IMMUNOTWIN_COLUMNS if c in ranked.columns
    ]
    with atomic_path(out / "epitopes.tsv") as tmp:
        ranked[cols].to_csv(tmp, sep="\t", index=False, na_rep="NA")

    selected = select_epitopes(ranked, n_vaccine) if not ranked.empty else ranked
    design = None
    if vaccine_format == "mrna_string" and not selected.empty:
        design = design_string(
            selected["MT Epitope Seq"].tolist(), allele_set.alleles, pred, pol.binding_ic50_nm_max
        )
    with atomic_path(out / "vaccine.tsv") as tmp:
        vaccine_table(selected, design).to_csv(tmp, sep="\t", index=False, na_rep="NA")
    if design is not None:
        write_text_atomic(out / "vaccine_construct.json", json.dumps(design, indent=2))

    neo = (
        []
        if ranked.empty
        else [
            {
                "peptide": r["MT Epitope Seq"],
                "allele": r["HLA Allele"],
                "ic50_nm": float(r["Best MT IC50 Score"]),
                "percentile_rank": float(r["Best MT Percentile"]),
                "vaf": None if pd.isna(r["Tumor DNA VAF"]) else float(r["Tumor DNA VAF"]),
                "gene": r["Gene Name"],
                "variant": r["variant_key"],
                "tier": r["Tier"],
            }
            for _, r in ranked[ranked["Tier"] != "Poor"].iterrows()
        ]
    )
    write_text_atomic(out / "neoantigens.json", json.dumps(neo, indent=2))

    per_class = (
        effects.groupby("Variant Type")["variant_key"].nunique().to_dict()
        if not effects.empty
        else {}
    )
    tmb = tmb_from_counts(count_nonsynonymous_effects(effects), capture_mb)
    summary = {
        "vcf": str(vcf_path),
        "sample": read.sample,
        "n_records": read.n_records,
        "n_filtered_out": read.n_filtered_out,
        "n_not_called": read.n_not_called,
        "variants_per_class": {k: int(v) for k, v in sorted(per_class.items())},
        "tmb": tmb.model_dump(),
        "alleles_used": list(allele_set.alleles),
        "alleles_skipped": [{"allele": s.allele, "reason": s.reason} for s in allele_set.skipped],
        "predictor": pred.name,
        "peptide_lengths": list(lengths),
        "n_candidate_peptides": int(ranked["MT Epitope Seq"].nunique()) if len(ranked) else 0,
        "n_epitope_rows": int(len(ranked)),
        "tiers": {k: int(v) for k, v in ranked["Tier"].value_counts().items()}
        if len(ranked)
        else {},
        "n_vaccine_epitopes": int(len(selected)),
        "vaccine_format": vaccine_format,
        "ranking_policy": pol.model_dump(),
    }
    if design is not None:
        summary["vaccine_junction_binders"] = len(design["junction_binders"])
    # every file is replaced atomically; summary.json last, so it marks a complete set
    write_text_atomic(out / "summary.json", json.dumps(_clean(summary), indent=2))
    logger.info("wrote neoantigen outputs to %s", out)
    return summary


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, float | np.floating) and not math.isfinite(float(obj)):
        return None
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
