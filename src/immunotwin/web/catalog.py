"""Catalogue and validation rows for the browser and the API (read from the library)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from immunotwin.web.results import read_validation_table
from immunotwin.web.schemas import ValidationTable
from immunotwin.web.settings import WebSettings


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _plain(value.item())
    return value


def drug_rows() -> list[dict[str, Any]]:
    """One row per drug: key, class, targets, mechanism, PK model, label doses, sources."""
    from immunotwin.therapies.catalog import load_drug_catalog

    return [
        {
            "key": d.key,
            "class": d.drug_class,
            "targets": ", ".join(d.targets),
            "mechanism": d.mechanism,
            "pk_model": d.pk.model,
            "dose_units": ", ".join(str(u) for u in d.dose_units_allowed),
            "label_doses": "; ".join(r.name for r in d.label_regimens),
            "sources": "; ".join(d.sources),
        }
        for d in load_drug_catalog()
    ]


def tumor_rows() -> list[dict[str, Any]]:
    """One row per tumour type with its response criteria, typical TMB and sources."""
    from immunotwin.population.catalog import load_tumor_catalog

    return [
        {
            "key": t.key,
            "name": t.display_name,
            "heme": t.heme,
            "response_criteria": t.response_criteria,
            "tmb_median_mut_per_mb": _plain(t.biomarkers.tmb_mut_per_mb.typical()),
            "sources": "; ".join(t.sources),
        }
        for t in load_tumor_catalog()
    ]


def parameter_rows() -> list[dict[str, Any]]:
    """The model parameter catalogue: value, unit, description, source, confidence."""
    from immunotwin.model.immune.catalog import parameter_table

    table = parameter_table()
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _repo_docs_validation() -> Path | None:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file():
            return parent / "docs" / "validation.md"
    return None


def validation_table(settings: WebSettings) -> ValidationTable:
    """The calibration/validation table, or a message that no validation run exists yet."""
    candidates = (
        [settings.validation_path]
        if settings.validation_path
        else [
            settings.data_dir / "validation.csv",
            _repo_docs_validation(),
        ]
    )
    for path in candidates:
        table = read_validation_table(path)
        if table is not None:
            return ValidationTable(
                available=True,
                source=table["source"],
                columns=[str(c) for c in table["columns"]],
                rows=[[_plain(v) for v in row] for row in table["rows"]],
            )
    return ValidationTable(
        available=False,
        message="No validation run exists yet: run `immunotwin validate --targets CSV` and "
        "place its table in docs/validation.md or the data directory as validation.csv.",
    )
