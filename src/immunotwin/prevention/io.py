"""Read a prevention spec file and write the results (I/O only)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from immunotwin.io.specfile import read_structured, validate_data
from immunotwin.prevention.spec import PreventionSpec


def load_prevention_spec(path: str | Path) -> PreventionSpec:
    """Read and validate a YAML/JSON prevention spec; SpecError names the field and line."""
    data, lines = read_structured(path)
    return validate_data(PreventionSpec, data, source=str(path), lines=lines)


def write_prevention(spec: PreventionSpec, table: pd.DataFrame, out: str | Path) -> list[Path]:
    """Write ``prevention.csv`` (one row per outcome) and ``prevention.json`` (spec + rows)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "prevention.csv"
    table.to_csv(csv, index=False)
    summary = folder / "prevention.json"
    summary.write_text(
        json.dumps(
            {"spec": spec.model_dump(mode="json"), "results": table.to_dict(orient="records")},
            indent=2,
        ),
        encoding="utf-8",
    )
    return [csv, summary]
