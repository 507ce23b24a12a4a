"""Read and write calibration files: the parameter set (JSON), the arm map and targets (CSV)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from immunotwin.errors import InputError
from immunotwin.io.atomic import write_text_atomic
from immunotwin.population.calibration import ParameterSet

_PACKAGE = "immunotwin.data"
SHIPPED_PARAMETER_SET = "calibration/parameter_set.json"
SHIPPED_ARM_MAP = "calibration/arms.csv"
ARM_MAP_COLUMNS = (
    "trial_id",
    "arm_role",
    "regimen",
    "indication",
    "status",
    "spec",
    "arm",
    "hr_control_spec",
    "note",
)
TARGET_COLUMNS = (
    "trial_id",
    "arm_role",
    "regimen",
    "indication",
    "n",
    "orr_pct",
    "cr_pct",
    "median_pfs_months",
    "median_os_months",
    "pfs_hr_vs_control",
    "os_hr_vs_control",
    "grade3plus_trae_pct",
)


def _packaged(name: str) -> Path:
    return Path(str(resources.files(_PACKAGE) / name))


def read_parameter_set(path: str | Path) -> ParameterSet:
    """A parameter set from its JSON file; InputError names the file and the bad field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ParameterSet.model_validate(data)
    except FileNotFoundError:
        raise InputError(
            "parameter-set file not found",
            source=str(path),
            fix="give the path of a file written by `immunotwin calibrate`",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(
            f"invalid JSON: {exc}",
            source=str(path),
            location=f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "file",
            fix="restore the file written by `immunotwin calibrate` (it is plain JSON)",
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            first["msg"],
            source=str(path),
            location=".".join(str(p) for p in first["loc"]) or "top level",
            fix="compare with the shipped immunotwin/data/calibration/parameter_set.json",
        ) from exc


@lru_cache(maxsize=1)
def shipped_parameter_set() -> ParameterSet:
    """The packaged parameter set the trial engine uses by default (identity if absent)."""
    path = _packaged(SHIPPED_PARAMETER_SET)
    if not path.exists():
        return ParameterSet.identity()
    return read_parameter_set(path)


def write_parameter_set(parameter_set: ParameterSet, path: str | Path) -> Path:
    """Write ``parameter_set`` as indented JSON (atomic: temp file + rename)."""
    path = Path(path)
    return write_text_atomic(
        path, json.dumps(parameter_set.model_dump(mode="json"), indent=2) + "\n"
    )


def _read_csv(path: Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            path, dtype={"trial_id": str, "arm_role": str, "regimen": str, "indication": str}
        )
    except FileNotFoundError:
        raise InputError(
            f"{what} not found", source=str(path), location="file", fix="check the path"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            f"not a readable CSV: {exc}",
            source=str(path),
            location="file",
            fix=f"save the {what} as comma-separated UTF-8 text with the columns {list(columns)}",
        ) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} misses column(s) {missing}",
            source=str(path),
            location="header",
            fix=f"the {what} needs the columns {list(columns)}",
        )
    return frame


def read_arm_map(path: str | Path | None = None) -> pd.DataFrame:
    """The arm map: one row per trials.csv row, its spec (if simulated) or why it is not."""
    return _read_csv(
        Path(path) if path else _packaged(SHIPPED_ARM_MAP), ARM_MAP_COLUMNS, "arm map"
    ).fillna({"spec": "", "arm": "", "hr_control_spec": "", "note": ""})


def read_targets(path: str | Path) -> pd.DataFrame:
    """Published arm outcomes (the calibration ``trials.csv`` format)."""
    return _read_csv(Path(path), TARGET_COLUMNS, "targets CSV")


def default_targets_path(start: str | Path | None = None) -> Path | None:
    """``../shared/data/calibration/trials.csv`` beside the repository holding ``start``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists():
            candidate = folder.parent / "shared" / "data" / "calibration" / "trials.csv"
            return candidate if candidate.exists() else None
    return None
