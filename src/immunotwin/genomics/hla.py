"""HLA allele names in any common spelling -> one canonical two-field name (mhcgnomes).

Users write ``A*02:01``, ``HLA-A0201``, ``A0201``, ``HLA-Cw*0702`` or four-field typing output
(``HLA-A*02:01:01:02L``). mhcgnomes (openvax, Apache-2.0) parses all of these; we keep the
protein-level (two-field) name, e.g. ``HLA-A*02:01``. Names that do not parse, are not
class I, are null/not-expressed (suffix N), or lack protein-level resolution are returned in
``skipped`` with a reason: they are reported, never dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from immunotwin.errors import GenomicsError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedAllele:
    """An input allele that will not be used, and why."""

    allele: str
    reason: str


@dataclass(frozen=True)
class AlleleSet:
    """Result of :func:`normalise_alleles`: canonical names in input order, and the skipped."""

    alleles: tuple[str, ...]
    skipped: tuple[SkippedAllele, ...]
    input_to_canonical: dict


def normalise_allele(name: str) -> str:
    """Canonical two-field class I name (``HLA-A*02:01``) or raise GenomicsError.

    Examples
    --------
    >>> normalise_allele("A0201")
    'HLA-A*02:01'
    """
    import mhcgnomes

    text = (name or "").strip()
    if not text:
        raise GenomicsError(
            "empty HLA allele name", location="--hla", fix="give names like HLA-A*02:01"
        )
    try:
        parsed = mhcgnomes.parse(text)
    except Exception as exc:  # mhcgnomes raises its own ParseError subclasses
        raise GenomicsError(
            f"cannot parse HLA allele {text!r}: {exc}",
            location="--hla",
            fix="use a name such as HLA-A*02:01, A*02:01 or A0201",
        ) from exc
    kind = type(parsed).__name__
    if kind != "Allele":
        raise GenomicsError(
            f"{text!r} is a {kind.lower()}, not an allele with protein-level resolution",
            location="--hla",
            fix="give at least two-field typing, e.g. HLA-A*02:01",
        )
    fields = tuple(parsed.allele_fields)
    if len(fields) < 2 and parsed.gene.species.name == "Homo sapiens":
        raise GenomicsError(
            f"{text!r} has only one field (allele group)",
            location="--hla",
            fix="give two-field typing, e.g. HLA-B*44:02",
        )
    mhc_class = getattr(parsed, "mhc_class", None)
    if mhc_class is None or str(mhc_class).startswith("II"):
        raise GenomicsError(
            f"{text!r} is an MHC class {mhc_class} allele; only class I is supported",
            location="--hla",
            fix="pass class I alleles only",
        )
    annotation = "".join(parsed.annotations) if parsed.annotations else ""
    if "N" in annotation.upper() or str(parsed.to_string()).endswith("N"):
        raise GenomicsError(
            f"{text!r} is a null (not expressed) allele",
            location="--hla",
            fix="drop null alleles from the typing",
        )
    if len(fields) >= 2:
        parsed = parsed.restrict_allele_fields(2)
    return parsed.to_string(include_annotations=False)


def normalise_alleles(
    names: Iterable[str] | str, supported: Iterable[str] | None = None
) -> AlleleSet:
    """Normalise a list (or comma/space-separated string) of HLA alleles.

    Parameters
    ----------
    names : allele names in any common spelling.
    supported : canonical names a predictor can score; others are skipped with a reason.

    Returns
    -------
    AlleleSet with unique canonical names in input order and the skipped ones with reasons.
    """
    if isinstance(names, str):
        names = [n for n in names.replace(";", ",").replace(" ", ",").split(",") if n.strip()]
    supported_set = set(supported) if supported is not None else None
    out: list[str] = []
    skipped: list[SkippedAllele] = []
    mapping: dict[str, str] = {}
    for name in names:
        try:
            canonical = normalise_allele(name)
        except GenomicsError as exc:
            skipped.append(SkippedAllele(name, exc.message))
            logger.warning("skipping HLA allele %r: %s", name, exc.message)
            continue
        if supported_set is not None and canonical not in supported_set:
            skipped.append(
                SkippedAllele(name, f"{canonical} is not supported by the binding predictor")
            )
            logger.warning("skipping HLA allele %r: no model for %s", name, canonical)
            continue
        mapping[name] = canonical
        if canonical not in out:
            out.append(canonical)
    return AlleleSet(tuple(out), tuple(skipped), mapping)
