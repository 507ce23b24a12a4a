"""CSV edge for ``immunotwin mhc predict`` (input ``peptide,allele``; output adds ``ic50_nm``
and ``percentile_rank``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from immunotwin.errors import GenomicsError
from immunotwin.genomics.hla import normalise_allele
from immunotwin.io.atomic import atomic_path


def predict_csv(input_path: str | Path, out_path: str | Path, predictor="immunotwin") -> int:
    """Score a ``peptide,allele`` CSV and write it back with binding columns. Returns rows."""
    from immunotwin.genomics.mhc import get_predictor

    input_path = Path(input_path)
    try:
        df = pd.read_csv(input_path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise GenomicsError(
            "file not found", source=str(input_path), fix="check the --input path"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise GenomicsError(
            f"not a readable CSV: {exc}",
            source=str(input_path),
            fix="give a CSV with header peptide,allele",
        ) from None
    missing = [c for c in ("peptide", "allele") if c not in df.columns]
    if missing:
        raise GenomicsError(
            f"missing column(s) {', '.join(missing)}",
            source=str(input_path),
            location="header",
            fix="the header must contain peptide,allele",
        )
    pred = get_predictor(predictor) if isinstance(predictor, str) else predictor
    for i, (pep, allele) in enumerate(zip(df["peptide"], df["allele"], strict=True)):
        pep = pep.strip().upper()
        if len(pep) not in pred.lengths or not set(pep) <= set("ACDEFGHIKLMNPQRSTVWY"):
            raise GenomicsError(
                f"peptide {pep!r} is not {min(pred.lengths)}-"
                f"{max(pred.lengths)} standard amino acids",
                source=str(input_path),
                location=f"line {i + 2}, column peptide",
                fix="remove or fix the row",
            )
        try:
            canon = normalise_allele(allele)
        except GenomicsError as exc:
            raise GenomicsError(
                exc.message,
                source=str(input_path),
                location=f"line {i + 2}, column allele",
                fix=exc.fix,
            ) from None
        if pred.alleles and canon not in pred.alleles:
            raise GenomicsError(
                f"allele {allele!r} ({canon}) is not supported by {pred.name}",
                source=str(input_path),
                location=f"line {i + 2}, column allele",
                fix="see `immunotwin mhc alleles`, or use --predictor "
                "mhcflurry/netmhcpan if installed",
            )
    res = pred.predict(df["peptide"].str.strip().str.upper().tolist(), df["allele"].tolist())
    out = df.copy()
    out["ic50_nm"] = res["ic50_nm"].to_numpy()
    out["percentile_rank"] = res["percentile_rank"].to_numpy()
    with atomic_path(out_path) as tmp:
        out.to_csv(tmp, index=False)
    return len(out)
