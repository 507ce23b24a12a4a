"""The one input gate for cohort tables: columns, units and ranges, with fixes in the message."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io.tables import require_unique_columns
from .schema import CANCER_TYPES, COLUMNS, EXTRA_CANCER_TYPES

_KNOWN_TYPES = set(CANCER_TYPES) | set(EXTRA_CANCER_TYPES)


def check_cohort(df: pd.DataFrame, source: str = "cohort table") -> pd.DataFrame:
    """Validate a cohort table and return a copy with a ``CancerType`` text column.

    Checks that the required columns (TMB, Albumin, NLR, Age and a cancer type given either as
    ``CancerType`` text or as the one-hot ``CancerType1..16``) exist, that values are numeric,
    in the documented unit's plausible range (MANIFEST of ``shared/data/icb``) and binary where
    they should be. Missing *values* are allowed (the model predicts with what is there).

    Raises
    ------
    InputError
        naming the column, its expected unit and how to fix it.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(
            "expected a table (pandas DataFrame)",
            source=source,
            fix="read the CSV with immunotwin.response.read_cohort",
        )
    require_unique_columns(df, source)
    out = df.copy()
    for name, spec in COLUMNS.items():
        if spec.required and name not in out.columns:
            raise InputError(
                f"required column '{name}' ({spec.unit}) is missing",
                source=source,
                location=f"column {name}",
                fix=f"add a column named exactly '{name}' in {spec.unit}; "
                "see docs/response.md for the column dictionary",
            )
    out = _cancer_type_text(out, source)
    for name, spec in COLUMNS.items():
        if name not in out.columns:
            continue
        col = pd.to_numeric(out[name], errors="coerce")
        bad = col.isna() & out[name].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"non-numeric value {out[name].iloc[row]!r} in column '{name}' ({spec.unit})",
                source=source,
                location=f"row {row + 1}, column {name}",
                fix="leave the cell empty if unknown, otherwise give a number",
            )
        out[name] = col.astype(float)
        values = col.dropna()
        if values.empty:
            continue
        if name == "Albumin" and values.median() > 10:
            raise InputError(
                f"column 'Albumin' looks like g/L (median {values.median():g}); expected g/dL",
                source=source,
                location="column Albumin",
                fix="divide albumin by 10 to convert g/L to g/dL",
            )
        if name == "HGB" and values.median() > 30:
            raise InputError(
                f"column 'HGB' looks like g/L (median {values.median():g}); expected g/dL",
                source=source,
                location="column HGB",
                fix="divide haemoglobin by 10",
            )
        if spec.binary and not values.isin([0.0, 1.0]).all():
            row = int(np.flatnonzero((~col.isin([0.0, 1.0]) & col.notna()).to_numpy())[0])
            raise InputError(
                f"column '{name}' must be 0 or 1 ({spec.unit}), found {col.iloc[row]:g}",
                source=source,
                location=f"row {row + 1}, column {name}",
                fix=f"recode '{name}' as 0/1 ({spec.unit})",
            )
        outside = (col < spec.low) | (col > spec.high)
        if outside.any():
            row = int(np.flatnonzero(outside.to_numpy())[0])
            raise InputError(
                f"value {col.iloc[row]:g} in column '{name}' is outside {spec.low:g}-{spec.high:g}"
                f" {spec.unit}",
                source=source,
                location=f"row {row + 1}, column {name}",
                fix=spec.hint or f"give '{name}' in {spec.unit}",
            )
    if "PDL1_TPS(%)" in out.columns:
        pdl1 = out["PDL1_TPS(%)"].dropna()
        if len(pdl1) >= 5 and pdl1.max() <= 1.0 and (pdl1 > 0).any():
            raise InputError(
                "column 'PDL1_TPS(%)' looks like a fraction (all values <= 1); expected percent",
                source=source,
                location="column PDL1_TPS(%)",
                fix="multiply the PD-L1 tumour proportion score by 100 (0-100 %)",
            )
    return out


def _cancer_type_text(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Make sure a text ``CancerType`` exists; derive it from the one-hot columns if needed."""
    names = CANCER_TYPES + EXTRA_CANCER_TYPES
    onehot = [f"CancerType{i + 1}" for i in range(len(names))]
    if "CancerType" not in df.columns:
        present = [c for c in onehot[:16] if c in df.columns]
        if len(present) < 16:
            raise InputError(
                "no cancer type: need a 'CancerType' text column or CancerType1..CancerType16",
                source=source,
                location="column CancerType",
                fix="add 'CancerType' with one of: " + ", ".join(names),
            )
        cols = [c for c in onehot if c in df.columns]
        numeric = df[cols].apply(pd.to_numeric, errors="coerce")
        bad = numeric.isna() & df[cols].notna()
        if bad.to_numpy().any():
            row, col = (int(i[0]) for i in np.nonzero(bad.to_numpy()))
            raise InputError(
                f"one-hot cancer-type column '{cols[col]}' holds {df[cols[col]].iloc[row]!r}",
                source=source,
                location=f"row {row + 1}, column {cols[col]}",
                fix="one-hot columns CancerType1..CancerType16 hold 0 or 1",
            )
        mat = numeric.fillna(0).to_numpy(dtype=float)
        label = np.array(names[: len(cols)], dtype=object)[mat.argmax(axis=1)]
        label[mat.sum(axis=1) == 0] = "Other"
        df["CancerType"] = label
        return df
    text = df["CancerType"].astype("string").str.strip()
    unknown = sorted(set(text.dropna()) - _KNOWN_TYPES)
    if unknown:
        raise InputError(
            f"unknown cancer type(s) {unknown}",
            source=source,
            location="column CancerType",
            fix="use one of: " + ", ".join(names),
        )
    if text.isna().any():
        row = int(np.flatnonzero(text.isna().to_numpy())[0])
        raise InputError(
            "cancer type is empty",
            source=source,
            location=f"row {row + 1}, column CancerType",
            fix="give the cancer type of every patient",
        )
    df["CancerType"] = text.astype(object)
    return df
