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
from immunotwin.economics.cli import economics as economics_command
from immunotwin.errors import ImmunotwinError
from immunotwin.genomics import cli as genomics_cli
from immunotwin.response.cli import app as response_app

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
app.add_typer(response_app, name="response", help="Response prediction for checkpoint blockade.")
app.command("economics")(economics_command)
app.command("neoantigens")(genomics_cli.neoantigens)
app.add_typer(genomics_cli.mhc_app, name="mhc", help="Peptide-MHC class I binding prediction.")

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


def _print_table(rows: list[dict[str, Any]], columns: list[str], as_json: bool, title: str) -> None:
    from rich.table import Table

    if as_json:
        out.print_json(json.dumps(rows, default=str))
        return
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    out.print(table)


JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@catalog_app.command("drugs")
@friendly_errors
def catalog_drugs(
    as_json: JsonFlag = False,
    drug_class: Annotated[
        str | None, typer.Option("--class", help="e.g. checkpoint_inhibitor")
    ] = None,
) -> None:
    """Drugs with class, targets, mechanism, PK model, label doses and sources.

    Example: immunotwin catalog drugs --class checkpoint_inhibitor
    """
    from immunotwin.therapies.catalog import load_drug_catalog

    catalog = load_drug_catalog()
    drugs = catalog.by_class(drug_class) if drug_class else list(catalog)
    rows = [
        {
            "key": d.key,
            "class": d.drug_class,
            "targets": ", ".join(d.targets),
            "pk": d.pk.model,
            "label doses": "; ".join(r.name for r in d.label_regimens),
            "mechanism": d.mechanism,
            "sources": "; ".join(d.sources),
        }
        for d in drugs
    ]
    _print_table(
        rows,
        ["key", "class", "targets", "pk", "label doses", "sources"],
        as_json,
        f"{len(rows)} drugs",
    )


@catalog_app.command("tumors")
@friendly_errors
def catalog_tumors(as_json: JsonFlag = False) -> None:
    """Tumour types with their baseline burden, growth and biomarker distributions.

    Example: immunotwin catalog tumors --json
    """
    from immunotwin.population.catalog import load_tumor_catalog

    catalog = load_tumor_catalog()
    rows = []
    for t in catalog:
        rows.append(
            {
                "key": t.key,
                "name": t.display_name,
                "criteria": t.response_criteria,
                "heme": t.heme,
                "tmb median (mut/Mb)": t.biomarkers.tmb_mut_per_mb.typical(),
                "sources": "; ".join(t.sources),
            }
        )
    _print_table(
        rows,
        ["key", "name", "criteria", "tmb median (mut/Mb)", "sources"],
        as_json,
        f"{len(rows)} tumour types",
    )


@catalog_app.command("parameters")
@friendly_errors
def catalog_parameters(
    as_json: JsonFlag = False,
    model: Annotated[
        str, typer.Option(help="model name: see `immunotwin model list`")
    ] = "kuznetsov_1994",
) -> None:
    """Model parameters with value, unit, source, confidence and population distribution.

    Example: immunotwin catalog parameters --json
    """
    from immunotwin.model.registry import get_model

    rows = [
        {
            "name": p.name,
            "value": p.value,
            "unit": p.unit,
            "model unit": p.formula_unit,
            "description": p.description,
            "source": p.source.citation,
            "confidence": p.source.confidence,
            "distribution": p.distribution.kind,
            "calibrate": p.calibrate,
        }
        for p in get_model(model).parameters
    ]
    _print_table(
        rows,
        [
            "name",
            "value",
            "unit",
            "description",
            "source",
            "confidence",
            "distribution",
            "calibrate",
        ],
        as_json,
        f"{len(rows)} parameters of {model}",
    )


if __name__ == "__main__":  # pragma: no cover
    app()
