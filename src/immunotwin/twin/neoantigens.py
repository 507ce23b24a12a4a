"""A patient's neoantigen list -> tumour-reactive clone count (the twin's antigen input).

Reads ``epitopes.tsv`` or ``neoantigens.json`` written by ``immunotwin neoantigens`` (or runs
that pipeline on a VEP-annotated VCF). The clone count is

    n_clones = CLONES_PER_BINDING_VARIANT x (distinct variants with an epitope of IC50 < 500 nM)

CLONES_PER_BINDING_VARIANT = 0.6 is an assumption chosen to agree with the population's TMB map
(:mod:`immunotwin.population.biomarker_map`: 10 clones per mut/Mb): a ~35 Mb exome at TMB t has
~35 t coding mutations, i.e. ~0.29 clones per mutation, and roughly half of missense mutations
have a predicted class I binder below 500 nM over six alleles and lengths 8-11 (order of
magnitude from pVACseq-style pipelines; not fitted), so 0.29 / 0.5 ~ 0.6 clones per binding
variant. The 500 nM cut is the conventional binder threshold (Sette A et al. J Immunol
1994;153:5586).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd

from immunotwin.errors import InputError

CLONES_PER_BINDING_VARIANT = 0.6
BINDER_IC50_NM = 500.0


def binding_variants(table: pd.DataFrame, source: str) -> int:
    """Distinct variants with at least one epitope below ``BINDER_IC50_NM``."""
    ic50 = next((c for c in ("Best MT IC50 Score", "ic50_nm", "MT IC50 Score") if c in table), None)
    if ic50 is None:
        raise InputError(
            "the neoantigen list has no IC50 column",
            source=source,
            location="header",
            fix="give epitopes.tsv or neoantigens.json from `immunotwin neoantigens`",
        )
    if "variant_key" in table or "variant" in table:
        variant = table["variant_key" if "variant_key" in table else "variant"].astype(str)
    elif {"Chromosome", "Start", "Variant"} <= set(table.columns):
        variant = table[["Chromosome", "Start", "Variant"]].astype(str).agg(":".join, axis=1)
    elif "Mutation" in table:
        variant = table.get("Gene Name", "").astype(str) + ":" + table["Mutation"].astype(str)
    else:
        variant = table.index.astype(str).to_series(index=table.index)
    binders = pd.to_numeric(table[ic50], errors="coerce") < BINDER_IC50_NM
    return int(variant[binders.to_numpy()].nunique())


def read_neoantigen_list(path: str | Path) -> pd.DataFrame:
    """The epitope rows of an ``epitopes.tsv`` or ``neoantigens.json``."""
    path = Path(path)
    if not path.exists():
        raise InputError(
            "neoantigen list not found",
            source=str(path),
            location="neoantigens",
            fix="give the epitopes.tsv or neoantigens.json path relative to the patient file",
        )
    if path.suffix.lower() == ".json":
        try:
            return pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc}", source=str(path)) from exc
    return pd.read_csv(path, sep="\t")


def clones_from_neoantigens(path: str | Path) -> tuple[float, dict]:
    """Clone count and a provenance record from a neoantigen list file."""
    table = read_neoantigen_list(path)
    count = binding_variants(table, str(path)) if len(table) else 0
    return max(CLONES_PER_BINDING_VARIANT * count, 1.0), {
        "file": str(path),
        "epitopes": int(len(table)),
        "binding_variants": count,
        "n_clones": max(CLONES_PER_BINDING_VARIANT * count, 1.0),
        "rule": f"n_clones = {CLONES_PER_BINDING_VARIANT} x variants with IC50 < "
        f"{BINDER_IC50_NM:g} nM",
    }


def clones_from_vcf(vcf: str | Path, hla: tuple[str, ...]) -> tuple[float, dict]:
    """Run the neoantigen pipeline on a VEP-annotated VCF and count clones."""
    from immunotwin.genomics.pipeline import run_neoantigens

    with tempfile.TemporaryDirectory() as tmp:
        run_neoantigens(vcf, list(hla), tmp)
        n, info = clones_from_neoantigens(Path(tmp) / "neoantigens.json")
    info["file"] = str(vcf)
    return n, info
