"""The packaged parameter catalogue of the cancer-immunity model (``immunotwin/data/parameters``).

Each TOML file holds one table per parameter (value, unit, symbol, description, source,
confidence, optional distribution, calibrate and prior_range); see the README beside them.
Reading is I/O, so it lives here and nowhere else; modules ask for parameters by name.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

import pandas as pd

from immunotwin.errors import CatalogError
from immunotwin.model.spec import Distribution, Model, Parameter, Source

_PACKAGE = "immunotwin.data"
_FOLDER = "parameters"
_KEYS = {
    "symbol",
    "value",
    "unit",
    "description",
    "source",
    "confidence",
    "distribution",
    "calibrate",
    "prior_range",
}


def _files() -> list:
    folder = resources.files(_PACKAGE) / _FOLDER
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


def _parse_entry(name: str, entry: dict, file_name: str) -> tuple[Parameter, str, str]:
    unknown = set(entry) - _KEYS
    missing = {"value", "unit", "description", "source"} - set(entry)
    if unknown or missing:
        raise CatalogError(
            f"parameter '{name}' has unknown keys {sorted(unknown)} or misses {sorted(missing)}",
            source=file_name,
            location=f"[{name}]",
            fix=f"use only the keys {sorted(_KEYS)}",
        )
    try:
        dist = entry.get("distribution")
        prior = entry.get("prior_range")
        parameter = Parameter(
            name=name,
            value=float(entry["value"]),
            unit=entry["unit"],
            description=entry["description"],
            source=Source(
                citation=entry["source"], confidence=entry.get("confidence", "literature")
            ),
            distribution=Distribution(**dist) if dist else Distribution(),
            calibrate=bool(entry.get("calibrate", False)),
            prior_range=tuple(float(x) for x in prior) if prior else None,
        )
    except (ValueError, TypeError) as exc:
        raise CatalogError(str(exc), source=file_name, location=f"[{name}]") from exc
    return parameter, entry.get("symbol", ""), file_name.removesuffix(".toml")


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[Parameter, str, str]]:
    out: dict[str, tuple[Parameter, str, str]] = {}
    for f in _files():
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CatalogError(f"invalid TOML: {exc}", source=f.name) from exc
        for name, entry in data.items():
            if name in out:
                raise CatalogError(
                    f"parameter '{name}' is defined twice ({out[name][2]}.toml and {f.name})",
                    source=f.name,
                    fix="keep one definition",
                )
            out[name] = _parse_entry(name, entry, f.name)
    return out


def load_parameters() -> dict[str, Parameter]:
    """Every catalogue parameter by name (typical value, unit, source, distribution)."""
    return {name: item[0] for name, item in _catalogue().items()}


def parameter(name: str) -> Parameter:
    """One catalogue parameter; CatalogError names the catalogue folder if it is absent."""
    try:
        return _catalogue()[name][0]
    except KeyError:
        raise CatalogError(
            f"no parameter '{name}' in the catalogue",
            source="immunotwin/data/parameters/*.toml",
            fix="add it to the TOML file of its mechanism",
        ) from None


def with_parameters(model: Model, names: list[str] | tuple[str, ...]) -> Model:
    """``model`` plus the named catalogue parameters it does not have yet (modules share some)."""
    have = set(model.parameter_names)
    new = [parameter(n) for n in dict.fromkeys(names) if n not in have]
    return model.extend(parameters=new) if new else model


def parameter_table() -> pd.DataFrame:
    """The catalogue as a table: name, symbol, module, value, unit, model_unit, description,
    source, confidence, distribution, calibrate, prior_range."""
    rows = [
        {"name": name, "symbol": symbol, "module": module, **p.record()}
        for name, (p, symbol, module) in _catalogue().items()
    ]
    return pd.DataFrame(rows)
