"""Readers and writers of the economics package (the only module here that touches files).

A finished trial run directory holds ``summary.json`` (with ``spec``), ``patients.parquet``
(one row per virtual patient) and ``doses.parquet`` (one row per administration).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from immunotwin.economics.settings import AE_COLUMNS, EconomicsSettings
from immunotwin.errors import InputError
from immunotwin.io.tables import require_unique_columns

PATIENT_COLUMNS = {
    "patient_id": "integer",
    "arm": "string",
    "pfs_months": "number",
    "pfs_event": "0/1",
    "os_months": "number",
    "os_event": "0/1",
    "best_overall_response": "CR/PR/SD/PD/NE",
}
DOSE_COLUMNS = ("patient_id", "arm", "drug", "day", "amount", "amount_unit")


@dataclass(frozen=True)
class TrialRun:
    """The parts of a finished trial run the economic analysis reads."""

    run_dir: Path
    summary: dict[str, Any]
    patients: pd.DataFrame
    doses: pd.DataFrame
    arm_names: tuple[str, ...]
    control_arm: str | None
    follow_up_months: float | None


def check_patients(patients: pd.DataFrame, source: str = "patients.parquet") -> pd.DataFrame:
    """Validate patients.parquet columns and values; return it with AE grade columns filled."""
    require_unique_columns(patients, source)
    missing = [c for c in PATIENT_COLUMNS if c not in patients.columns]
    if missing:
        raise InputError(
            f"missing columns {missing}",
            source=source,
            fix="write patients.parquet with " + ", ".join(PATIENT_COLUMNS),
        )
    for col in ("pfs_months", "os_months"):
        values = pd.to_numeric(patients[col], errors="coerce")
        bad = values.isna() | (values < 0)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{col} must be a non-negative number, found {patients[col].iloc[row]!r}",
                source=source,
                location=f"row {row}, column {col}",
                fix="months since randomisation, >= 0",
            )
    for col in ("pfs_event", "os_event"):
        bad = ~patients[col].isin([0, 1, True, False])
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{col} must be 0 or 1, found {patients[col].iloc[row]!r}",
                source=source,
                location=f"row {row}, column {col}",
                fix="1 = event (progression/death), 0 = censored",
            )
    if patients["patient_id"].duplicated().any():
        raise InputError(
            "duplicate patient_id",
            source=source,
            location="column patient_id",
            fix="one row per virtual patient",
        )
    out = patients.copy()
    for col in AE_COLUMNS.values():
        if col not in out:
            out[col] = 0
            continue
        grades = pd.to_numeric(out[col], errors="coerce")
        bad = (grades.isna() & out[col].notna()) | ~grades.fillna(0).between(0, 5)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{col} must be a CTCAE grade 0-5, found {out[col].iloc[row]!r}",
                source=source,
                location=f"row {row}, column {col}",
                fix="worst grade per patient as an integer 0-5",
            )
        out[col] = grades.fillna(0).astype(int)
    return out


def check_doses(doses: pd.DataFrame, source: str = "doses.parquet") -> pd.DataFrame:
    """Validate doses.parquet columns."""
    require_unique_columns(doses, source)
    missing = [c for c in DOSE_COLUMNS if c not in doses.columns]
    if missing:
        raise InputError(
            f"missing columns {missing}",
            source=source,
            fix="write doses.parquet with " + ", ".join(DOSE_COLUMNS),
        )
    amount = pd.to_numeric(doses["amount"], errors="coerce")
    bad = amount.isna() | (amount < 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            "dose amount must be a non-negative number",
            source=source,
            location=f"row {row}, column amount",
            fix="amount in the unit named by amount_unit",
        )
    return doses


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError)
        raise InputError(
            f"not a readable Parquet file: {exc}",
            source=str(path),
            location="file",
            fix="the file is damaged or truncated; re-run `immunotwin trial run` to rewrite it",
        ) from None


def read_trial_run(run_dir: str | os.PathLike[str]) -> TrialRun:
    """Read summary.json, patients.parquet and doses.parquet of a finished run.

    A missing doses.parquet is allowed (no drug or administration costs; the analysis warns).
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise InputError(
            "not a directory", source=str(root), fix="pass the --out folder of `trial run`"
        )
    summary_path = root / "summary.json"
    patients_path = root / "patients.parquet"
    for path in (summary_path, patients_path):
        if not path.exists():
            raise InputError(
                f"{path.name} not found",
                source=str(root),
                location=path.name,
                fix="run `immunotwin trial run SPEC --out DIR` first; DIR must be a finished run",
            )
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}",
            source=str(summary_path),
            location=f"line {exc.lineno}",
            fix="summary.json is damaged; re-run `immunotwin trial run` to rewrite it",
        ) from exc
    spec = summary.get("spec") if isinstance(summary, dict) else None
    if not isinstance(summary, dict) or not isinstance(spec or {}, dict):
        raise InputError(
            "summary.json is not a trial summary (expected an object with a 'spec' object)",
            source=str(summary_path),
            location="top level" if not isinstance(summary, dict) else "spec",
            fix="use the summary.json written by `immunotwin trial run`",
        )
    spec = spec or {}
    patients = check_patients(_read_parquet(patients_path), str(patients_path))
    doses_path = root / "doses.parquet"
    doses = (
        check_doses(_read_parquet(doses_path), str(doses_path))
        if doses_path.exists()
        else pd.DataFrame(
            {c: pd.Series(dtype=float if c in ("day", "amount") else object) for c in DOSE_COLUMNS}
        )
    )
    arms = spec.get("arms", [])
    names = [a.get("name") for a in arms if isinstance(a, dict)] if isinstance(arms, list) else []
    names = [str(n) for n in names if n is not None]
    if not names:
        names = list(dict.fromkeys(patients["arm"].astype(str)))
    unknown = sorted(set(patients["arm"].astype(str)) - set(names))
    if unknown:
        raise InputError(
            f"arms {unknown} in patients.parquet are not in summary.json spec.arms",
            source=str(patients_path),
            location="column arm",
            fix="use the run's own summary.json",
        )
    control = spec.get("control_arm")
    if control is not None and (not isinstance(control, str) or control not in names):
        raise InputError(
            f"control_arm {control!r} is not one of the arms {names}",
            source=str(summary_path),
            location="spec.control_arm",
            fix="use the run's own summary.json",
        )
    follow_up = spec.get("follow_up_months")
    if follow_up is not None and not (
        isinstance(follow_up, int | float) and not isinstance(follow_up, bool) and follow_up > 0
    ):
        raise InputError(
            f"follow_up_months must be a positive number, found {follow_up!r}",
            source=str(summary_path),
            location="spec.follow_up_months",
            fix="use the run's own summary.json",
        )
    return TrialRun(
        run_dir=root,
        summary=summary,
        patients=patients,
        doses=doses,
        arm_names=tuple(str(n) for n in names),
        control_arm=control,
        follow_up_months=spec.get("follow_up_months"),
    )


def load_settings(
    path: str | os.PathLike[str] | None = None, **overrides: Any
) -> EconomicsSettings:
    """Settings from a YAML or JSON file (any subset of fields), then keyword overrides.

    Unknown keys are errors (with the key named); ``None`` overrides are ignored.
    """
    data: dict[str, Any] = {}
    source = "settings"
    if path is not None:
        from immunotwin.io.specfile import read_structured

        p = Path(path)
        source = str(p)
        if not p.is_file():
            raise InputError(
                "settings file not found", source=source, location="file", fix="check the path"
            )
        loaded, _ = read_structured(p)  # SpecError (an InputError) names line and fix
        if loaded is not None and not isinstance(loaded, dict):
            raise InputError(
                "settings must be a mapping of field: value",
                source=source,
                location="top level",
                fix="write one 'field: value' per line; see docs/economics.md",
            )
        data = loaded or {}
    for key, value in overrides.items():
        if value is None:
            continue
        if "." in key:  # nested, e.g. "psa.n_draws"
            outer, inner = key.split(".", 1)
            data.setdefault(outer, {})[inner] = value
        else:
            data[key] = value
    try:
        return EconomicsSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "top level"
        raise InputError(
            first["msg"],
            source=source,
            location=where,
            fix="see `EconomicsSettings` fields in docs/economics.md",
        ) from exc


def write_json_atomic(data: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write JSON through a temporary file in the same folder and an atomic rename."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, allow_nan=False)
            handle.write("\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
