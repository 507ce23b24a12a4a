"""Vaccine design: choose up to N epitopes, as 25-mer long peptides or one mRNA string.

The string design orders epitopes greedily so that no junctional peptide (a class I window
spanning two neighbouring epitopes) is a strong binder for the patient's alleles; where no order
avoids one, a spacer is inserted and the check repeated: ``AAY`` (a common class I spacer,
Velders et al., J Immunol 166:5366, 2001), then ``GPGPG`` (Livingston et al., J Immunol
168:5499, 2002), then the two joined (``AAYGPGPG``, ``GPGPGAAY``: a longer break), taking the first
(epitope, spacer) pair with no strong junctional binder, or else the pair with the fewest;
each epitope is tried as the first, then as the last, of the string.
The coding sequence uses the most frequent human codon for each amino acid (Kazusa human
codon usage table).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from immunotwin.genomics.mhc.base import BindingPredictor

SPACER = "AAY"
#: spacers tried in order when no direct junction is clean
SPACERS = ("AAY", "GPGPG", "AAYGPGPG", "GPGPGAAY")
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


def _greedy_order(
    construct: list[str],
    remaining: list[str],
    alleles: Sequence[str],
    predictor: BindingPredictor,
    ic50_max: float,
    lengths: tuple[int, ...],
    cache: dict,
) -> tuple[list[str], int, list]:
    """Append epitopes greedily (spacers where needed); returns (pieces, spacers, binders)."""
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
            best = None
            for spacer in SPACERS:
                for cand in remaining:
                    peps = junction_peptides(tail + spacer, cand, lengths) + junction_peptides(
                        tail, spacer + cand, lengths
                    )
                    bad = _strong_junctions(
                        list(dict.fromkeys(peps)), alleles, predictor, ic50_max, cache
                    )
                    if best is None or len(bad) < len(best[2]):
                        best = (cand, spacer, bad)
                    if not bad:
                        break
                if not best[2]:
                    break
            choice, spacer, bad = best
            leftovers.extend(bad)
            construct += [spacer, choice]
            spacers += 1
        remaining.remove(choice)
    return construct, spacers, leftovers


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
    cache: dict = {}
    if not epitopes:
        return {"protein": "", "cds": "", "order": [], "spacers_used": 0, "junction_binders": []}
    best = None
    # greedy from each starting epitope in turn; keep the first clean design (else the fewest
    # junctional binders, then the fewest spacers)
    for start in range(len(epitopes)):
        remaining = list(epitopes)
        result = _greedy_order(
            [remaining.pop(start)], remaining, alleles, predictor, ic50_max, lengths, cache
        )
        if best is None or (len(result[2]), result[1]) < (len(best[2]), best[1]):
            best = result
        if not best[2]:
            break
    # an epitope whose C-terminus joins badly to every other one can go last
    for last in epitopes if best[2] else ():
        others = [e for e in epitopes if e != last]
        head = _greedy_order(others[:1], others[1:], alleles, predictor, ic50_max, lengths, cache)
        result = _greedy_order(head[0], [last], alleles, predictor, ic50_max, lengths, cache)
        result = (result[0], head[1] + result[1], head[2] + result[2])
        if (len(result[2]), result[1]) < (len(best[2]), best[1]):
            best = result
        if not best[2]:
            break
    construct, spacers, leftovers = best
    protein = "M" + "".join(construct)
    cds = "".join(HUMAN_CODON[a] for a in protein) + "TGA"
    return {
        "protein": protein,
        "cds": cds,
        "order": [c for c in construct if c not in SPACERS],
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
