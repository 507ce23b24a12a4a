"""The CLI edge of the error hierarchy: a command that meets an ``ImmunotwinError`` prints it
(what, where, fix) on stderr and exits with code 2, without a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import typer

from immunotwin.errors import ImmunotwinError


def exit_on_error(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a typer command so immunotwin's own errors become a message and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ImmunotwinError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper
