"""Class I neoepitope candidates from per-transcript variant effects (pure functions).

For each protein-altering effect the mutant protein is built from VEP's ``WildtypeProtein``
(Wildtype plugin) and either ``Protein_position``/``Amino_acids`` (missense, in-frame indels) or
the full mutant protein in ``FrameshiftSequence`` (Frameshift plugin), truncated at the first
stop. The changed region is the span between the longest common prefix and suffix of the wild
type and mutant proteins; a candidate is every k-mer (k in ``lengths``) that overlaps the
changed region (or, for a pure deletion, spans the junction), contains only the 20 standard
amino acids, and does not occur anywhere in the wild-type protein (so it is truly novel).
This follows the pVACseq peptide logic (Hundal et al., Genome Med 8:11, 2016) without its code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from immunotwin.genomics.vep import EPITOPE_CLASSES

STANDARD_AA = frozenset("ACDEFGHIKLMNPQRSTVWY")
_POS_RE = re.compile(r"^(\d+|\?)(?:-(\d+|\?))?$")

#: Columns of the candidate table returned by :func:`generate_candidates`.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "effect_index",
    "variant_key",
    "Transcript",
    "Variant Type",
    "Peptide Length",
    "Sub-peptide Position",
    "Mutation Position",
    "MT Epitope Seq",
    "WT Epitope Seq",
    "long_peptide",
)


def long_peptide(mutant: str, start: int, length: int, size: int = 25) -> str:
    """``size``-residue window of the mutant protein centred on an epitope (clipped at ends)."""
    centre = start + length // 2
    lo = max(0, min(centre - size // 2, len(mutant) - size))
    return mutant[lo : lo + size]


def mutant_protein(
    variant_type: str,
    wildtype: str,
    protein_position: str,
    amino_acids: str,
    frameshift_protein: str = "",
) -> str | None:
    """Mutant protein sequence, or None when it cannot be built from the annotation.

    Parameters
    ----------
    variant_type : class from :func:`~immunotwin.genomics.vep.classify_consequence`.
    wildtype : full wild-type protein (VEP ``WildtypeProtein``).
    protein_position : VEP ``Protein_position`` ("535", "495-502", "287-288").
    amino_acids : VEP ``Amino_acids`` ("R/H", "AAAAAAAA/A", "-/L", "E/-").
    frameshift_protein : VEP ``FrameshiftSequence`` (full mutant protein), frameshifts only.
    """
    if not wildtype:
        return None
    if variant_type == "FS":
        if not frameshift_protein:
            return None
        return frameshift_protein.split("*", 1)[0]
    match = _POS_RE.match(protein_position or "")
    if not match or "?" in protein_position or "/" not in (amino_acids or ""):
        return None
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) else start
    ref_aa, alt_aa = amino_acids.split("/", 1)
    ref_aa = "" if ref_aa == "-" else ref_aa
    alt_aa = "" if alt_aa == "-" else alt_aa
    alt_aa = alt_aa.split("*", 1)[0] if "*" in alt_aa else alt_aa
    if not ref_aa:  # pure insertion between start and end
        return wildtype[:start] + alt_aa + wildtype[start:]
    if wildtype[start - 1 : start - 1 + len(ref_aa)] != ref_aa:
        # VEP sometimes right-aligns repeats; trust positions over the letters.
        return wildtype[: start - 1] + alt_aa + wildtype[end:]
    return wildtype[: start - 1] + alt_aa + wildtype[start - 1 + len(ref_aa) :]


def changed_region(wildtype: str, mutant: str, frameshift: bool = False) -> tuple[int, int]:
    """Half-open span ``[p, e)`` of ``mutant`` that differs from ``wildtype``.

    ``p`` is the common-prefix length and ``e = len(mutant) - s`` with ``s`` the common suffix
    (0 for frameshifts, whose downstream sequence is novel). ``p == e`` means a pure deletion.
    """
    n = min(len(wildtype), len(mutant))
    p = 0
    while p < n and wildtype[p] == mutant[p]:
        p += 1
    s = 0
    if not frameshift:
        while s < n - p and wildtype[-1 - s] == mutant[-1 - s]:
            s += 1
    return p, len(mutant) - s


def epitope_windows(
    wildtype: str, mutant: str, lengths: Iterable[int], frameshift: bool = False
) -> list[tuple[int, int, str, str | None, str]]:
    """All novel k-mers of ``mutant`` around the change.

    Returns
    -------
    list of (length, start (0-based in mutant), MT peptide, matched WT peptide or None,
    mutation positions within the peptide as a 1-based comma list, "NA" when none map).
    """
    p, e = changed_region(wildtype, mutant, frameshift)
    if p == e == len(mutant) and len(mutant) == len(wildtype):
        return []
    out = []
    seen: set[str] = set()
    for k in lengths:
        if e > p:
            first, last = max(0, p - k + 1), min(e - 1, len(mutant) - k)
        else:  # deletion: the k-mer must contain residues p-1 and p
            first, last = max(0, p - k + 1), min(p - 1, len(mutant) - k)
        for i in range(first, last + 1):
            pep = mutant[i : i + k]
            if len(pep) != k or not set(pep) <= STANDARD_AA or pep in wildtype or pep in seen:
                continue
            seen.add(pep)
            wt = None
            if (not frameshift or i < p) and i + k <= len(wildtype):
                wt = wildtype[i : i + k]
            if wt is not None:
                diffs = [str(j + 1) for j in range(k) if pep[j] != wt[j]]
                mut_pos = ", ".join(diffs) if diffs else "NA"
            else:
                mut_pos = "NA"
            out.append((k, i, pep, wt, mut_pos))
    return out


def generate_candidates(
    effects: pd.DataFrame,
    lengths: Iterable[int] = (8, 9, 10, 11),
    biotypes: Iterable[str] | None = ("protein_coding", "IG_V_gene"),
) -> pd.DataFrame:
    """Class I neoepitope candidates for every epitope-yielding effect in ``effects``.

    Parameters
    ----------
    effects : table from :func:`~immunotwin.genomics.vcf.read_vep_vcf`.
    lengths : peptide lengths (default class I 8-11).
    biotypes : transcript biotypes to use (pVACseq default); None keeps all.

    Returns
    -------
    DataFrame with :data:`CANDIDATE_COLUMNS`, one row per (effect, MT peptide).
    """
    lengths = tuple(sorted(set(int(k) for k in lengths)))
    rows = []
    allowed = set(biotypes) if biotypes is not None else None
    for idx, eff in effects.iterrows():
        vtype = eff["Variant Type"]
        if vtype not in EPITOPE_CLASSES:
            continue
        if allowed is not None and eff["Biotype"] and eff["Biotype"] not in allowed:
            continue
        wt = eff["wildtype_protein"]
        mt = mutant_protein(
            vtype, wt, eff["Protein Position"], eff["Mutation"], eff["frameshift_protein"]
        )
        if mt is None or mt == wt:
            continue
        for k, start, pep, wt_pep, mut_pos in epitope_windows(wt, mt, lengths, vtype == "FS"):
            rows.append(
                (
                    idx,
                    eff["variant_key"],
                    eff["Transcript"],
                    vtype,
                    k,
                    start + 1,
                    mut_pos,
                    pep,
                    wt_pep if wt_pep is not None else "NA",
                    long_peptide(mt, start, k),
                )
            )
    return pd.DataFrame(rows, columns=list(CANDIDATE_COLUMNS))
