"""The ``immunotwin`` command line: a thin shell over the Python API (DESIGN.md §5)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from immunotwin import __version__
from immunotwin.errors import ImmunotwinError

app = typer.Typer(
    name="immunotwin",
    help="In silico cancer immunotherapy: mechanistic model, virtual patients, virtual trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(help="The mechanistic model: export and inspect.", no_args_is_help=True)
catalog_app = typer.Typer(help="What is modelled, with sources.", no_args_is_help=True)
app.add_typer(model_app, name="model")
app.add_typer(catalog_app, name="catalog")

console = Console(stderr=True)
out = Console()


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn immunotwin's own errors into a clear message and exit code 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ImmunotwinError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(code=2) from None

    return wrapper


def _version(value: bool) -> None:
    if value:
        out.print(f"immunotwin {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """immunotwin: run `immunotwin demo` for the main job on built-in defaults."""


@model_app.command("export-sbml")
@friendly_errors
def export_sbml(
    output: Annotated[Path, typer.Argument(help="SBML file to write, e.g. model.xml")],
    model: Annotated[
        str, typer.Option(help="which model: see `immunotwin model list`")
    ] = "kuznetsov_1994",
) -> None:
    """Write the model as SBML Level 3 Version 2, checked with libSBML.

    Example: immunotwin model export-sbml immunotwin.xml
    """
    from immunotwin.model.registry import get_model
    from immunotwin.model.sbml import write_sbml

    m = get_model(model)
    path = write_sbml(m, output)
    out.print(
        f"wrote {path} ({len(m.states)} species, {len(m.processes)} reactions, "
        f"{len(m.parameters)} parameters)"
    )


@model_app.command("list")
def list_models() -> None:
    """List the models that can be exported or simulated.

    Example: immunotwin model list
    """
    from immunotwin.model.registry import MODELS

    for name, (_, description) in MODELS.items():
        out.print(f"[bold]{name}[/]  {description}")


@app.command()
@friendly_errors
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path("demo-out"),
    patients: Annotated[int, typer.Option(help="virtual patients")] = 1000,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
) -> None:
    """The main job on built-in defaults.

    Example: immunotwin demo --out demo-out
    """
    from immunotwin.demo import run_demo

    summary = run_demo(out_dir, n_patients=patients, seed=seed, console=out)
    out.print_json(json.dumps(summary))


if __name__ == "__main__":  # pragma: no cover
    app()
