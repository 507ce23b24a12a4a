"""Read YAML/JSON specs with line numbers, so every validation error names file, line and field.

Validation is all-or-nothing: a spec that fails raises :class:`SpecError` before anything is
simulated or written.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from immunotwin.errors import SpecError

T = TypeVar("T", bound=BaseModel)
Path_ = tuple[str | int, ...]


#: most YAML nodes a spec may expand to (guards against alias bombs, "billion laughs")
MAX_NODES = 100_000


class _TooLarge(Exception):
    pass


def _lines(
    node: yaml.Node,
    path: Path_,
    out: dict[Path_, int],
    ancestors: frozenset[int] = frozenset(),
    count: list[int] | None = None,
) -> None:
    count = count if count is not None else [0]
    count[0] += 1
    if id(node) in ancestors:
        raise RecursionError(f"recursive alias at {field_path(path)}")
    if count[0] > MAX_NODES:
        raise _TooLarge
    ancestors = ancestors | {id(node)}
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise TypeError(f"a mapping key at line {key.start_mark.line + 1} is not text")
            out[path + (key.value,)] = key.start_mark.line + 1
            _lines(value, path + (key.value,), out, ancestors, count)
            out[path + (key.value,)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, path + (i,), out, ancestors, count)


def read_structured(path: str | Path) -> tuple[Any, dict[Path_, int]]:
    """Parse a YAML or JSON file; return the data and a map from field path to line number."""
    path = Path(path)
    if not path.is_file():
        raise SpecError("file not found", source=str(path), fix="check the path")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text), {}
        except RecursionError:
            raise SpecError(
                "invalid JSON: nested too deeply",
                source=str(path),
                location="top level",
                fix="write the spec as plain nested objects and lists; see the example specs",
            ) from None
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"invalid JSON: {exc.msg}",
                source=str(path),
                location=f"line {exc.lineno}, column {exc.colno}",
                fix="fix the JSON syntax at that position (quotes, commas, brackets)",
            ) from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except RecursionError:
        raise SpecError(
            "invalid YAML: nested too deeply",
            source=str(path),
            location="top level",
            fix="write the spec as plain nested mappings and lists; see the example specs",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise SpecError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            source=str(path),
            location=where,
            fix="check indentation and quoting",
        ) from exc
    lines: dict[Path_, int] = {}
    if node is not None:
        try:
            _lines(node, (), lines)
        except (RecursionError, TypeError, _TooLarge) as exc:
            reason = (
                f"more than {MAX_NODES} values after expanding aliases"
                if isinstance(exc, _TooLarge)
                else str(exc)
                if isinstance(exc, TypeError) or "alias" in str(exc)
                else "nested too deeply"
            )
            raise SpecError(
                f"unsupported YAML structure: {reason}",
                source=str(path),
                location="top level",
                fix="write the spec as plain nested mappings and lists (no recursive anchors "
                "or complex keys); see the example specs",
            ) from None
    return data, lines


def field_path(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def line_for(loc: tuple[str | int, ...], lines: dict[Path_, int]) -> int | None:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return lines[loc[:cut]]
    return None


_VALIDATOR_TAG = re.compile(r"^[A-Za-z_-]+\[.*\]$")


def _is_validator_tag(part: object) -> bool:
    """A step pydantic adds to an error's location (``function-after[...]``, ``tuple[...]``),
    not a field of the input; a user's key that merely contains '[' is kept."""
    return isinstance(part, str) and bool(_VALIDATOR_TAG.match(part))


def validate_data(
    schema: type[T], data: Any, *, source: str, lines: dict[Path_, int] | None = None
) -> T:
    """Validate ``data`` against ``schema``; the first error becomes a SpecError with line/field.

    All errors are listed in the message (up to ten) so a user fixes them in one pass.
    """
    if not isinstance(data, dict):
        raise SpecError(
            f"expected a mapping of fields at the top level, got {type(data).__name__}",
            source=source,
            location="top level",
            fix=f"see the example specs; fields: {', '.join(schema.model_fields)}",
        )
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        lines = lines or {}
        problems = []
        errors = [
            (tuple(p for p in err["loc"] if not _is_validator_tag(p)), err) for err in exc.errors()
        ]
        # an error inside an item also fails its container's length check: report the item
        errors = [
            (loc, err)
            for loc, err in errors
            if not any(other != loc and other[: len(loc)] == loc for other, _ in errors)
        ]
        for loc, err in errors[:10]:
            line = line_for(loc, lines)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                parent = _schema_at(schema, loc[:-1])
                allowed = sorted(parent.model_fields) if parent else []
                close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
                msg = f"unknown field '{loc[-1]}'" + (
                    f" (did you mean '{close[0]}'?)"
                    if close
                    else f"; allowed: {', '.join(allowed)}"
                )
            elif err["type"] == "missing":
                msg = "required field is missing"
            problems.append((line, field_path(loc), msg))
        first_line, first_field, first_msg = problems[0]
        more = "".join(
            f"\n  also line {ln}: {fld}: {m}" if ln else f"\n  also {fld}: {m}"
            for ln, fld, m in problems[1:]
        )
        raise SpecError(
            f"{first_field}: {first_msg}{more}",
            source=source,
            location=f"line {first_line}" if first_line else None,
            fix="correct the field(s) named above; nothing was run",
        ) from None


def _schema_at(schema: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model class describing the mapping at ``loc`` (best effort)."""
    import typing

    current: Any = schema
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return None
        current = field.annotation
        for _ in range(3):
            args = [a for a in typing.get_args(current) if isinstance(a, type)]
            models = [a for a in args if issubclass(a, BaseModel)]
            if models:
                current = models[0]
                break
            nested = [a for a in typing.get_args(current) if typing.get_args(a)]
            if not nested:
                break
            current = nested[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def check_keys(
    values: list[tuple[tuple[str | int, ...], str]],
    known: Callable[[], list[str]],
    *,
    what: str,
    source: str,
    lines: dict[Path_, int] | None,
    listing: str,
) -> None:
    """Raise SpecError for the first value not in ``known()``, with the closest names."""
    names = known()
    for loc, value in values:
        if value not in names:
            close = difflib.get_close_matches(value, names, n=3, cutoff=0.5)
            hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
            line = line_for(loc, lines or {})
            raise SpecError(
                f"{field_path(loc)}: unknown {what} '{value}'",
                source=source,
                location=f"line {line}" if line else None,
                fix=f"{hint}list them with `{listing}`",
            )
