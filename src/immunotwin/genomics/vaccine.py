"""Vaccine design: choose up to N epitopes, as 25-mer long peptides or one mRNA string.

The string design orders epitopes greedily so that no junctional peptide (a class I window
spanning two neighbouring epitopes) is a strong binder for the patient's alleles; where no order
avoids one, an ``AAY`` spacer is inserted (a common class I spacer, Velders et al., J Immunol
166:5366, 2001) and the check repeated. The coding sequence uses the most frequent human codon
for each amino acid (Kazusa human codon usage table).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from immunotwin.genomics.mhc.base import BindingPredictor

SPACER = "AAY"
#: Most frequent human codon per amino acid (Kazusa Codon Usage Database, Homo sapiens).
HUMAN_CODON = {
    "A": "GCC",
    "C": "TGC",
    "D": "GAC",
    "E": "GAG",
    "F": "TTC",
    "G": "GGC",
    "H": "CAC",
    "I": "ATC",
    "K": "AAG",
    "L": "CTG",
    "M": "ATG",
    "N": "AAC",
    "P": "CCC",
    "Q": "CAG",
    "R": "AGA",
    "S": "AGC",
    "T": "ACC",
    "V": "GTG",
    "W": "TGG",
    "Y": "TAC",
}


def select_epitopes(
    ranked: pd.DataFrame,
    n: int = 20,
    per_variant: int = 1,
    tiers: Sequence[str] = ("Pass", "Anchor", "Subclonal", "LowExpr"),
) -> pd.DataFrame:
    """Top ``n`` epitopes from a ranked table, at most ``per_variant`` per variant and one row
    per MT peptide (its best allele)."""
    pool = ranked[ranked["Tier"].isin(tiers)].drop_duplicates("MT Epitope Seq")
    picked, per = [], {}
    for _, row in pool.iterrows():
        key = row["variant_key"]
        if per.get(key, 0) >= per_variant:
            continue
        per[key] = per.get(key, 0) + 1
        picked.append(row)
        if len(picked) >= n:
            break
    return pd.DataFrame(picked).reset_index(drop=True) if picked else pool.iloc[0:0]


def junction_peptides(left: str, right: str, lengths: Sequence[int] = (8, 9, 10, 11)) -> list[str]:
    """Peptides spanning the junction of ``left + right`` (at least one residue from each)."""
    seq = left + right
    cut = len(left)
    out = []
    for k in lengths:
        for i in range(max(0, cut - k + 1), min(cut, len(seq) - k + 1)):
            out.append(seq[i : i + k])
    return out


def _strong_junctions(
    peps: list[str],
    alleles: Sequence[str],
    predictor: BindingPredictor,
    ic50_max: float,
    cache: dict,
) -> list[tuple[str, str, float]]:
    todo = [(p, a) for p in peps for a in alleles if (p, a) not in cache]
    if todo:
        pred = predictor.predict([p for p, _ in todo], [a for _, a in todo])
        for (p, a), v in zip(todo, pred["ic50_nm"], strict=True):
            cache[(p, a)] = float(v)
    return [(p, a, cache[(p, a)]) for p in peps for a in alleles if cache[(p, a)] <= ic50_max]


def design_string(
    epitopes: Sequence[str],
    alleles: Sequence[str],
    predictor: BindingPredictor,
    ic50_max: float = 500.0,
) -> dict:
    """Order epitopes into one string without strong junctional binders.

    Returns
    -------
    dict with ``protein`` (amino acids), ``cds`` (ATG ... stop, DNA), ``order``,
    ``spacers_used`` and ``junction_binders`` (remaining strong junctional binders; empty when
    the check passed).
    """
    lengths = tuple(k for k in (8, 9, 10, 11) if k in predictor.lengths)
    remaining = list(epitopes)
    cache: dict = {}
    if not remaining:
        return {"protein": "", "cds": "", "order": [], "spacers_used": 0, "junction_binders": []}
    construct = [remaining.pop(0)]
    spacers = 0
    leftovers: list = []
    while remaining:
        tail = "".join(construct)
        choice = None
        for cand in remaining:
            if not _strong_junctions(
                junction_peptides(tail, cand, lengths), alleles, predictor, ic50_max, cache
            ):
                choice = cand
                break
        if choice is not None:
            construct.append(choice)
        else:
            choice = remaining[0]
            bad = _strong_junctions(
                junction_peptides(tail + SPACER, choice, lengths)
                + junction_peptides(tail, SPACER + choice, lengths),
                alleles,
                predictor,
                ic50_max,
                cache,
            )
            leftovers.extend(bad)
            construct += [SPACER, choice]
            spacers += 1
        remaining.remove(choice)
    protein = "M" + "".join(construct)
    cds = "".join(HUMAN_CODON[a] for a in protein) + "TGA"
    return {
        "protein": protein,
        "cds": cds,
        "order": [c for c in construct if c != SPACER],
        "spacers_used": spacers,
        "junction_binders": [{"peptide": p, "allele": a, "ic50_nm": v} for p, a, v in leftovers],
    }


def vaccine_table(selected: pd.DataFrame, design: dict | None = None) -> pd.DataFrame:
    """``vaccine.tsv`` rows: one per selected epitope with its 25-mer long peptide."""
    cols = [
        "Rank",
        "Gene Name",
        "Mutation",
        "Protein Position",
        "variant_key",
        "HLA Allele",
        "MT Epitope Seq",
        "Best MT IC50 Score",
        "Best MT Percentile",
        "Tumor DNA VAF",
        "Tier",
        "immunotwin_score",
        "long_peptide",
    ]
    out = selected[[c for c in cols if c in selected.columns]].copy()
    out.insert(0, "vaccine_position", range(1, len(out) + 1))
    out = out.rename(columns={"long_peptide": "Long Peptide (25-mer)"})
    if design is not None and design.get("order"):
        pos = {pep: i + 1 for i, pep in enumerate(design["order"])}
        out["string_order"] = out["MT Epitope Seq"].map(pos)
    return out
