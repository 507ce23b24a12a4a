"""Load and fully validate a trial spec file before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from immunotwin.errors import SpecError
from immunotwin.io.specfile import check_keys, field_path, line_for, read_structured, validate_data
from immunotwin.trials.spec import TrialSpec


def _drug_keys() -> list[str]:
    from immunotwin.therapies.catalog import load_drug_catalog

    return list(load_drug_catalog().keys())


def _tumor_keys() -> list[str]:
    from immunotwin.population.catalog import load_tumor_catalog

    return list(load_tumor_catalog().keys())


def validate_trial_spec(
    data: Any, *, source: str = "trial spec", lines: dict | None = None
) -> TrialSpec:
    """A TrialSpec from already-parsed data; SpecError names the field (and line) on failure."""
    spec = validate_data(TrialSpec, data, source=source, lines=lines)
    tumours = [(("tumor_mix", key), key) for key in spec.tumor_mix or {}] or [
        (("tumor_type",), spec.tumor_type)
    ]
    check_keys(
        tumours,
        _tumor_keys,
        what="tumour type",
        source=source,
        lines=lines,
        listing="immunotwin catalog tumors",
    )
    if spec.tumor_mix:
        from immunotwin.population.basket import tumour_mix

        tumour_mix(spec.tumor_mix, source=source)
    drugs = [
        (("arms", a, "regimen", r, "drug"), item.drug)
        for a, arm in enumerate(spec.arms)
        for r, item in enumerate(arm.regimen)
    ]
    check_keys(
        drugs,
        _drug_keys,
        what="drug",
        source=source,
        lines=lines,
        listing="immunotwin catalog drugs",
    )
    _check_dose_units(spec, source=source, lines=lines)
    return spec


def _check_dose_units(spec: TrialSpec, *, source: str, lines: dict | None) -> None:
    """Each regimen item's dose unit must be one the drug's catalogue entry allows."""
    from immunotwin.therapies.catalog import load_drug_catalog

    catalog = load_drug_catalog()
    for a, arm in enumerate(spec.arms):
        for r, item in enumerate(arm.regimen):
            allowed = catalog.get(item.drug).dose_units_allowed
            if item.dose.unit not in allowed:
                loc = ("arms", a, "regimen", r, "dose")
                line = line_for(loc, lines or {})
                raise SpecError(
                    f"{field_path(loc)}: {item.drug} is not dosed in {item.dose.unit}",
                    source=source,
                    location=f"line {line}" if line else None,
                    fix=f"use one of: {', '.join(str(u) for u in allowed)}",
                )


def load_trial_spec(path: str | Path) -> TrialSpec:
    """Read a YAML/JSON trial spec and validate it completely (structure, units, catalogues)."""
    data, lines = read_structured(path)
    return validate_trial_spec(data, source=str(path), lines=lines)
