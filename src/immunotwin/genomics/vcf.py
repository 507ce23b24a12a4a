"""Read a VEP-annotated somatic VCF into a per-transcript variant-effect table.

I/O only: the table it returns is consumed by the pure functions in :mod:`peptides`,
:mod:`tmb` and :mod:`ranking`. The reader validates once, at the boundary: every missing
prerequisite or malformed line raises :class:`~immunotwin.errors.GenomicsError` naming the file,
the line or field, and the fix (for missing annotations, the VEP command that adds them).

Conventions follow pVACseq's variant table (Hundal et al., Genome Med 8:11, 2016):
``Start``/``Stop`` are 0-based half-open for SNVs/MNVs and, for indels with a padding base,
``Start = POS`` and ``Stop = POS + len(REF) - 1``. Tumour DNA VAF is FORMAT ``AF`` when present,
else ``AD[alt] / DP`` (a one-value ``AD`` is read as the alt count, as Strelka/Pindel write it).
RNA depth/VAF come from FORMAT ``RDP``/``RAD``/``RAF`` and expression from FORMAT ``GX``/``TX``
(``id|value`` lists), the fields pVACtools' ``vcf-readcount-annotator`` and
``vcf-expression-annotator`` write.
"""

from __future__ import annotations

import gzip
import logging
import math
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from immunotwin.errors import GenomicsError
from immunotwin.genomics.vep import (
    OPTIONAL_CSQ_FIELDS,
    REQUIRED_CSQ_FIELDS,
    classify_consequence,
    missing_prerequisite_fix,
)

logger = logging.getLogger(__name__)

_ALLELE_RE = re.compile(r"^[ACGTN]+$")
_GT_RE = re.compile(r"^(\.|[0-9]{1,6})([/|](\.|[0-9]{1,6}))*$")
_NORMAL_NAME_RE = re.compile(r"(normal|germline|(^|[_\-.])N$|(^|[_\-.])BL$)", re.IGNORECASE)
_TUMOUR_NAME_RE = re.compile(r"(tumou?r|(^|[_\-.])T$)", re.IGNORECASE)

#: Columns of the effect table, in order.
EFFECT_COLUMNS: tuple[str, ...] = (
    "Chromosome",
    "Start",
    "Stop",
    "Reference",
    "Variant",
    "Transcript",
    "Gene Name",
    "Ensembl Gene ID",
    "Biotype",
    "Transcript Support Level",
    "Consequence",
    "Variant Type",
    "Protein Position",
    "Mutation",
    "Codons",
    "HGVSc",
    "HGVSp",
    "wildtype_protein",
    "frameshift_protein",
    "Tumor DNA Depth",
    "Tumor DNA VAF",
    "Tumor RNA Depth",
    "Tumor RNA VAF",
    "Gene Expression",
    "Transcript Expression",
    "Genotype",
    "Filter",
    "variant_key",
)


@dataclass(frozen=True)
class VcfReadResult:
    """What :func:`read_vep_vcf` returns.

    Attributes
    ----------
    effects : one row per (variant, ALT allele, transcript), columns :data:`EFFECT_COLUMNS`.
    sample : the tumour sample column that was read.
    n_records : data lines in the file.
    n_filtered_out : records dropped by ``pass_only``.
    n_not_called : records whose tumour genotype carries no ALT allele (dropped).
    csq_fields : the CSQ field names from the header, in header order.
    """

    effects: pd.DataFrame
    sample: str
    n_records: int
    n_filtered_out: int = 0
    n_not_called: int = 0
    csq_fields: tuple[str, ...] = field(default_factory=tuple)


def _open_text(path: Path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def _csq_fields_from_header_line(line: str) -> tuple[str, ...] | None:
    if not line.startswith("##INFO=<ID=CSQ,"):
        return None
    match = re.search(r"Format:\s*([^\"]+)\"", line)
    if not match:
        return None
    return tuple(part.strip() for part in match.group(1).strip().split("|"))


def check_vcf_text(path: Path) -> tuple[list[str], tuple[str, ...], dict[str, bool]]:
    """Scan a VCF as text and reject malformed input with the line number.

    Checks: ``##fileformat=VCF`` first line, a ``#CHROM`` header, a CSQ header with the required
    fields, column counts on every data line (catches truncated lines), REF/ALT made of A, C, G,
    T, N only, and CSQ entries with as many ``|`` fields as the header declares.

    Returns
    -------
    samples, csq_fields, header_flags (``has_gt``, ``has_frameshift``, ``has_downstream``).
    """
    source = str(path)
    if not path.is_file():
        raise GenomicsError("file not found", source=source, fix="check the VCF path")
    try:
        return _check_vcf_text(path, source)
    except (EOFError, OSError, zlib.error) as exc:  # truncated/corrupt gzip, unreadable file
        raise GenomicsError(
            f"cannot read the file: {exc}",
            source=source,
            location="file",
            fix="the (b)gzip file is truncated or corrupt; re-download or re-compress it "
            "(bgzip) from the original VCF",
        ) from None


def _check_vcf_text(path: Path, source: str) -> tuple[list[str], tuple[str, ...], dict]:
    csq_fields: tuple[str, ...] | None = None
    samples: list[str] | None = None
    has_gt = False
    n_columns = 0
    with _open_text(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\n").rstrip("\r")
            if lineno == 1 and not line.startswith("##fileformat=VCF"):
                raise GenomicsError(
                    "missing VCF header: the first line is not '##fileformat=VCFv4.x'",
                    source=source,
                    location="line 1",
                    fix="pass a VCF file (with its ## meta lines and #CHROM header), "
                    "not a TSV or a headerless fragment",
                )
            if line.startswith("##"):
                csq_fields = _csq_fields_from_header_line(line) or csq_fields
                if line.startswith("##FORMAT=<ID=GT,"):
                    has_gt = True
                continue
            if line.startswith("#CHROM"):
                header = line.lstrip("#").split("\t")
                if header[:8] != ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]:
                    raise GenomicsError(
                        "the #CHROM header line does not have the 8 fixed VCF columns "
                        "separated by tabs",
                        source=source,
                        location=f"line {lineno}",
                        fix="make sure the file is tab-separated VCF",
                    )
                samples = header[9:]
                n_columns = len(header)
                continue
            if not line.strip():
                continue
            if samples is None:
                raise GenomicsError(
                    "missing VCF header: data line before the '#CHROM' header line",
                    source=source,
                    location=f"line {lineno}",
                    fix="restore the VCF header (## meta lines and the #CHROM line)",
                )
            cols = line.split("\t")
            if len(cols) != n_columns:
                raise GenomicsError(
                    f"truncated or malformed line: {len(cols)} tab-separated columns, "
                    f"the header declares {n_columns}",
                    source=source,
                    location=f"line {lineno}",
                    fix="the file may be truncated or corrupted; re-export or re-download it",
                )
            _check_alleles(cols, source, lineno)
            _check_genotypes(cols, header[9:], source, lineno)
            if csq_fields is not None:
                _check_csq(cols[7], csq_fields, source, lineno)
    if samples is None:
        raise GenomicsError(
            "missing VCF header: no '#CHROM' header line",
            source=source,
            fix="restore the VCF header (## meta lines and the #CHROM line)",
        )
    if csq_fields is None:
        raise GenomicsError(
            "no VEP CSQ annotation: the header has no '##INFO=<ID=CSQ,...Format: ...>' line",
            source=source,
            location="header",
            fix=missing_prerequisite_fix(
                "VEP CSQ annotations with the Frameshift and Wildtype plugins"
            ),
        )
    missing = [name for name in REQUIRED_CSQ_FIELDS if name not in csq_fields]
    if missing:
        raise GenomicsError(
            f"the CSQ annotation lacks field(s) {', '.join(missing)}"
            + (" (written by the VEP Wildtype plugin)" if "WildtypeProtein" in missing else ""),
            source=source,
            location="header, INFO CSQ Format",
            fix=missing_prerequisite_fix(", ".join(missing)),
        )
    flags = {
        "has_gt": has_gt,
        "has_frameshift": "FrameshiftSequence" in csq_fields,
        "has_downstream": "DownstreamProtein" in csq_fields,
    }
    return samples, csq_fields, flags


def _check_alleles(cols: list[str], source: str, lineno: int) -> None:
    ref, alts = cols[3], cols[4]
    if not _ALLELE_RE.match(ref.upper()):
        raise GenomicsError(
            f"REF allele {ref!r} is not made of A, C, G, T, N",
            source=source,
            location=f"line {lineno}, column REF",
            fix="normalise the VCF (e.g. bcftools norm) and remove records with invalid alleles",
        )
    for alt in alts.split(","):
        if alt == "*":
            continue
        if not _ALLELE_RE.match(alt.upper()):
            raise GenomicsError(
                f"ALT allele {alt!r} is not made of A, C, G, T, N (symbolic or invalid allele)",
                source=source,
                location=f"line {lineno}, column ALT",
                fix="remove symbolic/structural alleles (e.g. bcftools view -v snps,indels) "
                "before running the neoantigen pipeline",
            )


def _check_genotypes(cols: list[str], samples: list[str], source: str, lineno: int) -> None:
    """Every sample's GT must be allele indices joined by / or | (htslib crashes on others)."""
    if len(cols) < 10:
        return
    keys = cols[8].split(":")
    if "GT" not in keys:
        return
    at = keys.index("GT")
    n_alleles = 1 + len(cols[4].split(","))
    for name, value in zip(samples, cols[9:], strict=False):
        values = value.split(":")
        if at >= len(values):
            continue
        gt = values[at]
        bad = not _GT_RE.match(gt) or any(
            a != "." and int(a) >= n_alleles for a in re.split(r"[/|]", gt)
        )
        if bad:
            raise GenomicsError(
                f"genotype {gt!r} of sample {name!r} is not allele indices joined by '/' or '|' "
                f"(0..{n_alleles - 1} for this record)",
                source=source,
                location=f"line {lineno}, FORMAT GT",
                fix="write genotypes such as 0/1, 1|1 or ./. ; re-export the VCF from the caller",
            )


def _check_csq(info: str, csq_fields: tuple[str, ...], source: str, lineno: int) -> None:
    for item in info.split(";"):
        if not item.startswith("CSQ="):
            continue
        for k, entry in enumerate(item[4:].split(",")):
            n = entry.count("|") + 1
            if n != len(csq_fields):
                raise GenomicsError(
                    f"bad CSQ entry {k + 1}: {n} '|'-separated fields, the header Format "
                    f"declares {len(csq_fields)}",
                    source=source,
                    location=f"line {lineno}, INFO CSQ",
                    fix="the CSQ annotation does not match its header; re-run VEP on the "
                    "original VCF instead of editing annotated records",
                )


def choose_tumour_sample(
    samples: list[str], sample: str | None, source: str, header_tumour: str | None = None
) -> str:
    """Pick the tumour column: ``sample`` if given, else the only column, else the only tumour.

    A multi-sample VCF with no ``sample`` uses ``##tumor_sample=`` (Mutect2) when present, else
    the only column whose name looks like a tumour and not a normal.
    """
    if not samples:
        raise GenomicsError(
            "the VCF has no sample columns, so no genotype or VAF can be read",
            source=source,
            location="#CHROM header",
            fix="use the tumour VCF with its FORMAT and sample column",
        )
    if sample is not None:
        if sample not in samples:
            raise GenomicsError(
                f"sample {sample!r} is not in the VCF; its samples are {', '.join(samples)}",
                source=source,
                location="#CHROM header",
                fix=f"pass one of: --sample {' / --sample '.join(samples)}",
            )
        return sample
    if len(samples) == 1:
        return samples[0]
    if header_tumour in samples:
        return header_tumour
    tumour_like = [
        s for s in samples if _TUMOUR_NAME_RE.search(s) and not _NORMAL_NAME_RE.search(s)
    ]
    if len(tumour_like) == 1:
        return tumour_like[0]
    non_normal = [s for s in samples if not _NORMAL_NAME_RE.search(s)]
    if len(non_normal) == 1:
        return non_normal[0]
    raise GenomicsError(
        f"the VCF has {len(samples)} samples ({', '.join(samples)}) and none is clearly the "
        "only tumour",
        source=source,
        location="#CHROM header",
        fix="name the tumour column with --sample (sample= in Python)",
    )


def vep_allele(ref: str, alts: list[str]) -> list[str]:
    """VEP's allele string for each ALT (the CSQ ``Allele`` value).

    VEP strips the first base when every allele of the record shares it; an empty allele
    becomes ``-``.
    """
    alleles = [ref, *alts]
    if (
        len(alleles) > 1
        and all(len(a) > 0 for a in alleles)
        and len({a[0] for a in alleles}) == 1
        and any(len(a) != len(ref) for a in alts)
    ):
        return [a[1:] or "-" for a in alts]
    return list(alts)


def variant_coordinates(pos: int, ref: str, alt: str) -> tuple[int, int]:
    """pVACseq's ``Start``/``Stop`` for a VCF allele (see module docstring)."""
    if len(ref) != len(alt) and ref[:1] == alt[:1]:
        return pos, pos + len(ref) - 1
    return pos - 1, pos - 1 + len(ref)


def _float_or_nan(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) and out > -2e9 else math.nan


def _format_values(record, name: str, sample_index: int):
    try:
        arr = record.format(name)
    except KeyError:
        return None
    if arr is None:
        return None
    row = arr[sample_index]
    return [x.decode() if isinstance(x, bytes) else x for x in list(row)]


def _expression(record, name: str, sample_index: int, ids: tuple[str, ...]) -> float:
    vals = _format_values(record, name, sample_index)
    if not vals:
        return math.nan
    text = vals[0] if isinstance(vals[0], str) else None
    if not text:
        return math.nan
    table = {}
    for item in text.split(","):
        if "|" in item:
            key, value = item.split("|", 1)
            table[key.split(".")[0]] = _float_or_nan(value)
    for key in ids:
        if key and key.split(".")[0] in table:
            return table[key.split(".")[0]]
    return math.nan


def _vaf_depth(
    record, sample_index: int, alt_index: int, n_alts: int, af_name: str, ad_name: str, dp_name: str
) -> tuple[float, float]:
    depth = math.nan
    dp = _format_values(record, dp_name, sample_index)
    if dp:
        depth = _float_or_nan(dp[0])
    af = _format_values(record, af_name, sample_index)
    if af and len(af) >= alt_index + 1:
        vaf = _float_or_nan(af[alt_index])
        if not math.isnan(vaf):
            return depth, vaf
    ad = _format_values(record, ad_name, sample_index)
    if ad:
        counts = [_float_or_nan(x) for x in ad]
        if len(counts) == n_alts + 1:
            alt_count = counts[alt_index + 1]
            if math.isnan(depth):
                depth = float(sum(c for c in counts if not math.isnan(c)))
        elif len(counts) == 1 and n_alts == 1:
            alt_count = counts[0]
        else:
            alt_count = math.nan
        if depth and not math.isnan(depth) and not math.isnan(alt_count):
            return depth, alt_count / depth
    return depth, math.nan


def _data_line_number(path: Path, k: int) -> int | None:
    """The file line number of the ``k``-th (1-based) data record."""
    seen = 0
    with _open_text(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if raw.startswith("#") or not raw.strip():
                continue
            seen += 1
            if seen == k:
                return lineno
    return None


def _records(vcf, path: Path):
    """cyvcf2's records; a record htslib cannot parse becomes a GenomicsError with its line."""
    iterator = iter(vcf)
    k = 0
    while True:
        k += 1
        try:
            record = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # cyvcf2 raises a bare Exception for htslib parse errors
            vcf.close()
            line = _data_line_number(path, k)
            raise GenomicsError(
                f"htslib cannot parse data record {k}: {exc}",
                source=str(path),
                location=f"line {line}" if line else f"data record {k}",
                fix="the record does not match its header (types, counts of values or "
                "fields); validate the file with `bcftools view` and re-export it",
            ) from None
        yield record


def _read_record(
    record, rows: list[dict], idx: dict[str, int], *, pass_only: bool, source: str
) -> tuple[int, int]:
    """Append one record's transcript effects to ``rows``; returns (filtered, not called)."""
    filt = record.FILTER
    if pass_only and filt not in (None, "PASS"):
        return 1, 0
    alts = list(record.ALT)
    gt = record.genotypes[0] if record.genotypes else None
    called = {a for a in (gt[:-1] if gt else []) if isinstance(a, int) and a > 0}
    if gt is not None and not called and all(a == 0 for a in gt[:-1] if a is not None):
        return 0, 1
    csq = record.INFO.get("CSQ")
    if csq is None:
        return 0, 0
    vep_alleles = vep_allele(record.REF, alts)
    gt_text = "/".join("." if (a is None or a < 0) else str(a) for a in (gt[:-1] if gt else []))
    for alt_index, alt in enumerate(alts):
        if alt == "*" or (called and (alt_index + 1) not in called):
            continue
        depth, vaf = _vaf_depth(record, 0, alt_index, len(alts), "AF", "AD", "DP")
        rna_depth, rna_vaf = _vaf_depth(record, 0, alt_index, len(alts), "RAF", "RAD", "RDP")
        start, stop = variant_coordinates(record.POS, record.REF, alt)
        key = f"{record.CHROM}-{start}-{stop}-{record.REF}-{alt}"
        for entry in csq.split(","):
            parts = entry.split("|")
            if parts[idx["Allele"]] != vep_alleles[alt_index]:
                continue
            get = lambda name, p=parts: p[idx[name]] if name in idx else ""  # noqa: E731
            transcript = get("Feature")
            gene_id = get("Gene")
            rows.append(
                {
                    "Chromosome": record.CHROM,
                    "Start": start,
                    "Stop": stop,
                    "Reference": record.REF,
                    "Variant": alt,
                    "Transcript": transcript,
                    "Gene Name": get("SYMBOL") or gene_id,
                    "Ensembl Gene ID": gene_id,
                    "Biotype": get("BIOTYPE"),
                    "Transcript Support Level": get("TSL"),
                    "Consequence": get("Consequence"),
                    "Variant Type": classify_consequence(get("Consequence")),
                    "Protein Position": get("Protein_position"),
                    "Mutation": get("Amino_acids"),
                    "Codons": get("Codons"),
                    "HGVSc": get("HGVSc"),
                    "HGVSp": get("HGVSp"),
                    "wildtype_protein": get("WildtypeProtein"),
                    "frameshift_protein": get("FrameshiftSequence"),
                    "Tumor DNA Depth": depth,
                    "Tumor DNA VAF": vaf,
                    "Tumor RNA Depth": rna_depth,
                    "Tumor RNA VAF": rna_vaf,
                    "Gene Expression": _expression(record, "GX", 0, (gene_id, get("SYMBOL"))),
                    "Transcript Expression": _expression(record, "TX", 0, (transcript,)),
                    "Genotype": gt_text,
                    "Filter": filt or "PASS",
                    "variant_key": key,
                }
            )
    return 0, 0


def read_vep_vcf(
    path: str | Path,
    sample: str | None = None,
    *,
    pass_only: bool = False,
    require_frameshift: bool = True,
) -> VcfReadResult:
    """Read a VEP-annotated VCF (cyvcf2) into a per-transcript effect table.

    Parameters
    ----------
    path : VCF or bgzipped VCF annotated by VEP with the Frameshift and Wildtype plugins.
    sample : tumour sample column; default the only column or the only tumour-looking column.
    pass_only : keep only records whose FILTER is PASS or '.'.
    require_frameshift : raise if the CSQ lacks ``FrameshiftSequence`` (frameshift neoepitopes
        cannot be made without it). Set False to skip frameshifts instead.

    Returns
    -------
    VcfReadResult
    """
    import cyvcf2  # local import: keeps `import immunotwin.genomics` light

    path = Path(path)
    source = str(path)
    samples, csq_fields, flags = check_vcf_text(path)
    if not flags["has_frameshift"] and require_frameshift:
        legacy = (
            " (it has the legacy Downstream plugin's DownstreamProtein, whose sequence "
            "convention differs)"
            if flags["has_downstream"]
            else ""
        )
        raise GenomicsError(
            "the CSQ annotation lacks FrameshiftSequence (VEP Frameshift plugin)" + legacy,
            source=source,
            location="header, INFO CSQ Format",
            fix=missing_prerequisite_fix("FrameshiftSequence"),
        )
    if not flags["has_gt"]:
        raise GenomicsError(
            "the VCF has no FORMAT GT (genotype) field, so the tumour's ALT alleles are unknown",
            source=source,
            location="header, FORMAT",
            fix="use the caller's VCF with FORMAT/GT and the tumour sample column (VEP keeps "
            "them when run with --vcf); add GT with e.g. bcftools +fill-tags or "
            "vcf-genotype-annotator",
        )
    header_tumour = None
    with _open_text(path) as fh:
        for raw in fh:
            if not raw.startswith("##"):
                break
            if raw.startswith("##tumor_sample="):
                header_tumour = raw.strip().split("=", 1)[1]
    tumour = choose_tumour_sample(samples, sample, source, header_tumour)
    idx = {name: i for i, name in enumerate(csq_fields)}

    try:
        vcf = cyvcf2.VCF(str(path), samples=[tumour], lazy=True)
    except Exception as exc:  # cyvcf2/htslib raise plain Exception/OSError on bad headers
        raise GenomicsError(
            f"htslib cannot read the VCF header: {exc}",
            source=source,
            location="header",
            fix="check the ## meta lines (e.g. with `bcftools view -h`) and re-export the VCF",
        ) from None
    rows: list[dict] = []
    n_records = n_filtered = n_not_called = 0
    for record in _records(vcf, path):
        n_records += 1
        try:
            counts = _read_record(record, rows, idx, pass_only=pass_only, source=source)
        except Exception as exc:
            if type(exc) is not Exception:  # our own errors and bugs propagate unchanged
                raise
            vcf.close()  # cyvcf2 raises a bare Exception (e.g. "error parsing genotypes")
            line = _data_line_number(path, n_records)
            raise GenomicsError(
                f"htslib cannot parse data record {n_records}: {exc}",
                source=source,
                location=f"line {line}" if line else f"data record {n_records}",
                fix="the record does not match its header (GT/FORMAT definitions, types or "
                "counts); validate the file with `bcftools view` and re-export it",
            ) from None
        n_filtered += counts[0]
        n_not_called += counts[1]
    vcf.close()
    effects = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    logger.info(
        "read %d records, %d transcript effects from %s (sample %s)",
        n_records,
        len(effects),
        source,
        tumour,
    )
    return VcfReadResult(
        effects=effects,
        sample=tumour,
        n_records=n_records,
        n_filtered_out=n_filtered,
        n_not_called=n_not_called,
        csq_fields=csq_fields,
    )


__all__ = [
    "VcfReadResult",
    "read_vep_vcf",
    "check_vcf_text",
    "choose_tumour_sample",
    "vep_allele",
    "variant_coordinates",
    "EFFECT_COLUMNS",
    "OPTIONAL_CSQ_FIELDS",
]
