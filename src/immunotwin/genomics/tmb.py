"""Tumour mutational burden (TMB): non-synonymous coding mutations per megabase.

TMB = (number of distinct somatic variants with at least one non-synonymous coding effect) /
(callable territory in Mb). The territory must be declared: it is the assay's callable size,
not the genome size. Defaults below are the published sizes of common assays; pass the value of
your own capture kit when you know it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict

from immunotwin.errors import GenomicsError
from immunotwin.genomics.vep import NONSYNONYMOUS_CLASSES

#: Callable territory (Mb) of common assays.
#: Sources: MSK-IMPACT 341/410/468 genes - Samstein et al., Nat Genet 51:202 (2019),
#: doi:10.1038/s41588-018-0312-8 (0.98, 1.06, 1.22 Mb); FoundationOne CDx - FDA P170019
#: label (0.8 Mb used for TMB); "exome" - 30 Mb, a typical callable exome (kits cover
#: 30-60 Mb; pass --capture-mb for yours).
CAPTURE_MB: dict[str, float] = {
    "exome": 30.0,
    "msk_impact_341": 0.98,
    "msk_impact_410": 1.06,
    "msk_impact_468": 1.22,
    "foundationone_cdx": 0.8,
}

#: MAF ``Variant_Classification`` values counted as non-synonymous coding.
MAF_NONSYNONYMOUS = frozenset(
    {
        "Missense_Mutation",
        "Nonsense_Mutation",
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "In_Frame_Del",
        "In_Frame_Ins",
        "Nonstop_Mutation",
        "Translation_Start_Site",
    }
)


class TmbResult(BaseModel):
    """TMB with the counts and territory it came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tmb_mutations_per_mb: float
    n_nonsynonymous: int
    capture_mb: float
    assay: str | None = None


def resolve_capture_mb(capture: float | str | None) -> tuple[float, str | None]:
    """Territory in Mb from a number or an assay key of :data:`CAPTURE_MB` (default exome)."""
    if capture is None:
        return CAPTURE_MB["exome"], "exome"
    if isinstance(capture, str):
        key = capture.strip().lower()
        if key in CAPTURE_MB:
            return CAPTURE_MB[key], key
        try:
            capture = float(key)
        except ValueError:
            raise GenomicsError(
                f"unknown capture {capture!r}",
                location="--capture-mb",
                fix=f"give a size in Mb or one of {', '.join(sorted(CAPTURE_MB))}",
            ) from None
    value = float(capture)
    if not math.isfinite(value) or value <= 0:
        raise GenomicsError(
            f"capture size must be a positive number of Mb, got {capture!r}",
            location="--capture-mb",
            fix="e.g. --capture-mb 30",
        )
    return value, None


def tmb_from_counts(n_nonsynonymous: int, capture: float | str | None = None) -> TmbResult:
    """TMB (mutations/Mb) from a count of non-synonymous coding mutations."""
    mb, assay = resolve_capture_mb(capture)
    return TmbResult(
        tmb_mutations_per_mb=n_nonsynonymous / mb,
        n_nonsynonymous=n_nonsynonymous,
        capture_mb=mb,
        assay=assay,
    )


def count_nonsynonymous_effects(effects: pd.DataFrame) -> int:
    """Distinct variants (``variant_key``) with any non-synonymous effect in a VCF effect table."""
    if effects.empty:
        return 0
    mask = effects["Variant Type"].isin(NONSYNONYMOUS_CLASSES)
    return int(effects.loc[mask, "variant_key"].nunique())


def count_nonsynonymous_maf(maf: pd.DataFrame) -> int:
    """Distinct variants in a MAF table whose ``Variant_Classification`` is non-synonymous."""
    mask = maf["Variant_Classification"].isin(MAF_NONSYNONYMOUS)
    keys = (
        maf.loc[mask, ["Chromosome", "Start_Position", "Reference_Allele", "Tumor_Seq_Allele2"]]
        .astype(str)
        .agg("-".join, axis=1)
    )
    return int(keys.nunique())


MAF_REQUIRED = (
    "Hugo_Symbol",
    "Chromosome",
    "Start_Position",
    "Reference_Allele",
    "Tumor_Seq_Allele2",
    "Variant_Classification",
)


def read_maf(path: str | Path, sample: str | None = None) -> pd.DataFrame:
    """Read a MAF (tab-separated, ``#`` comment lines) and check its required columns.

    Parameters
    ----------
    path : MAF file (plain or gzipped).
    sample : keep rows whose ``Tumor_Sample_Barcode`` equals this.
    """
    path = Path(path)
    try:
        maf = pd.read_csv(path, sep="\t", comment="#", dtype=str, low_memory=False)
    except FileNotFoundError:
        raise GenomicsError("file not found", source=str(path), fix="check the MAF path") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise GenomicsError(
            f"not a readable tab-separated MAF: {exc}",
            source=str(path),
            fix="pass a GDC/cBioPortal-style MAF",
        ) from None
    missing = [c for c in MAF_REQUIRED if c not in maf.columns]
    if missing:
        raise GenomicsError(
            f"MAF lacks column(s) {', '.join(missing)}",
            source=str(path),
            location="header",
            fix="pass a standard MAF (GDC MAF spec)",
        )
    if sample is not None:
        if "Tumor_Sample_Barcode" not in maf.columns:
            raise GenomicsError(
                "MAF has no Tumor_Sample_Barcode column to select a sample",
                source=str(path),
                fix="omit the sample argument",
            )
        known = sorted(maf["Tumor_Sample_Barcode"].unique())
        if sample not in known:
            raise GenomicsError(
                f"sample {sample!r} not in MAF",
                source=str(path),
                location="Tumor_Sample_Barcode",
                fix=f"use one of {', '.join(known[:10])}",
            )
        maf = maf[maf["Tumor_Sample_Barcode"] == sample]
    return maf.reset_index(drop=True)


def tmb_from_maf(
    path: str | Path, capture: float | str | None = None, sample: str | None = None
) -> TmbResult:
    """TMB from a MAF file."""
    return tmb_from_counts(count_nonsynonymous_maf(read_maf(path, sample)), capture)
