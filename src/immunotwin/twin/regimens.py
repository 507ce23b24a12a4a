"""Candidate regimens of the twin: the packaged table (``regimens.toml``) or a user file.

A regimen table is data: key, name, role (``standard_of_care`` marks the comparator of the
ICERs), tumour types, lines, trial-spec regimen items and a source. The default candidates
for a patient are the entries for its tumour type and line (line 99 in the table stands for
"any later line").
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from immunotwin.errors import InputError
from immunotwin.trials.spec import Arm, RegimenItem

ANY_LATER_LINE = 99


class Regimen(BaseModel):
    """One candidate regimen."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1, max_length=120)
    role: Literal["standard_of_care", "immunotherapy", "targeted", "cell_therapy", "other"] = (
        "other"
    )
    tumors: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()
    items: Annotated[tuple[RegimenItem, ...], Field(min_length=1)]
    source: str = ""

    def arm(self) -> Arm:
        """The regimen as a trial-spec arm named by its key."""
        return Arm(name=self.key, regimen=self.items, description=self.name)

    def offered(self, tumor: str, line: int) -> bool:
        """Whether the table offers this regimen for ``tumor`` at ``line``."""
        later = ANY_LATER_LINE in self.lines and line > max(
            [x for x in self.lines if x != ANY_LATER_LINE], default=0
        )
        return tumor in self.tumors and (line in self.lines or later)


class RegimenTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    regimens: tuple[Regimen, ...]


def _validate(data: object, source: str) -> tuple[Regimen, ...]:
    if isinstance(data, list):
        data = {"regimens": data}
    try:
        table = RegimenTable.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            first["msg"],
            source=source,
            location=".".join(str(p) for p in first["loc"]),
            fix="each regimen needs key, name and items [{drug, dose, every, ...}] "
            "(see src/immunotwin/twin/regimens.toml)",
        ) from exc
    keys = [r.key for r in table.regimens]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise InputError(
            f"regimen keys must be unique; repeated: {dupes}", source=source, fix="rename them"
        )
    _check_drugs(table.regimens, source)
    return table.regimens


def _check_drugs(regimens: tuple[Regimen, ...], source: str) -> None:
    from immunotwin.therapies.catalog import load_drug_catalog

    catalog = load_drug_catalog()
    for r in regimens:
        for item in r.items:
            if item.drug not in catalog:
                raise InputError(
                    f"regimen '{r.key}' uses drug '{item.drug}', which the drug catalogue lacks",
                    source=source,
                    location=f"regimens.{r.key}.items",
                    fix="use a key of `immunotwin catalog drugs`",
                )


def packaged_regimens() -> tuple[Regimen, ...]:
    """The packaged default regimen table."""
    text = (resources.files("immunotwin.twin") / "regimens.toml").read_text(encoding="utf-8")
    return _validate(tomllib.loads(text), "immunotwin/twin/regimens.toml")


def read_regimens(path: str | Path) -> tuple[Regimen, ...]:
    """A user regimen table: TOML (``[[regimens]]``), YAML or JSON (a list or {regimens: [...]})."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("regimen file not found", source=str(path)) from None
    try:
        suffix = path.suffix.lower()
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot parse the regimen file: {exc}", source=str(path)) from exc
    return _validate(data, str(path))


def default_regimens(
    tumor: str, line: int, table: tuple[Regimen, ...] | None = None
) -> tuple[Regimen, ...]:
    """The table's regimens offered for ``tumor`` at ``line`` (may be empty)."""
    table = packaged_regimens() if table is None else table
    return tuple(r for r in table if r.offered(tumor, line))


def standard_of_care(regimens: tuple[Regimen, ...]) -> Regimen | None:
    """The first regimen with role ``standard_of_care`` (the ICER comparator), if any."""
    return next((r for r in regimens if r.role == "standard_of_care"), None)
