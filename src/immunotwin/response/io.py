"""Readers and writers for cohort CSVs and single-patient JSON (I/O only, no numerics)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io.atomic import atomic_path
from .gate import check_cohort
from .schema import ID_COLUMN

#: Cohort sheets staged in ``shared/data/icb`` (file stem after ``LORIS_AllData__``).
COHORTS = ("Chowell_train", "Chowell_test", "MSK1", "MSK2", "Vanguri_NSCLC", "MSK_nonICB")
OVERLAP_FILE = "derived__Vanguri_probable_overlap_with_MSK_cohorts.csv"


def read_cohort(path: str | Path) -> pd.DataFrame:
    """Read a cohort CSV (LORIS column names) and pass it through :func:`check_cohort`."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", source=str(path), location="file", fix="check the path")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            f"not a readable CSV ({exc})",
            source=str(path),
            location="file",
            fix="save the table as comma-separated UTF-8 text",
        ) from exc
    return check_cohort(df, source=str(path))


def read_named_cohort(data_dir: str | Path, name: str, drop_overlap: bool = True) -> pd.DataFrame:
    """Read one staged cohort by name; for Vanguri drop the rows that duplicate MSK patients.

    The duplicates are listed in ``derived__Vanguri_probable_overlap_with_MSK_cohorts.csv``
    (see the MANIFEST of ``shared/data/icb``).
    """
    if name not in COHORTS:
        raise InputError(
            f"unknown cohort '{name}'", location="cohort", fix="use one of: " + ", ".join(COHORTS)
        )
    data_dir = Path(data_dir)
    df = read_cohort(data_dir / f"LORIS_AllData__{name}.csv")
    if name == "Vanguri_NSCLC" and drop_overlap:
        overlap = pd.read_csv(data_dir / OVERLAP_FILE)
        df = df[~df[ID_COLUMN].isin(overlap["vanguri_SAMPLE_ID"])].reset_index(drop=True)
    return df


def read_patient_json(path_or_text: str | Path) -> pd.DataFrame:
    """Read one patient (a JSON object with cohort column names) as a one-row table."""
    text = str(path_or_text)
    source = "patient JSON"
    if not text.lstrip().startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise InputError(
                "file not found",
                source=text,
                location="file",
                fix="give a JSON file or an inline JSON object",
            )
        source, text = str(path), path.read_text()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON ({exc.msg})",
            source=source,
            location=f"line {exc.lineno}",
            fix="fix the JSON syntax",
        ) from exc
    if not isinstance(obj, dict):
        raise InputError(
            "expected one JSON object",
            source=source,
            location="top level",
            fix='give {"TMB": 10, "Albumin": 3.9, ...}',
        )
    return check_cohort(pd.DataFrame([obj]), source=source)


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write a result table as CSV, creating the folder."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)
