"""The ``immunotwin`` command line: a thin shell over the Python API (DESIGN.md §5)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from immunotwin import __version__
from immunotwin.economics.cli import economics as economics_command
from immunotwin.genomics import cli as genomics_cli
from immunotwin.io.cli_errors import exit_on_error
from immunotwin.population import calibrate_cli
from immunotwin.prevention import cli as prevention_cli
from immunotwin.response.cli import app as response_app
from immunotwin.twin import cli as twin_cli
from immunotwin.web import cli as web_cli

app = typer.Typer(
    name="immunotwin",
    help="In silico cancer immunotherapy: mechanistic model, virtual patients, virtual trials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(help="The mechanistic model: export and inspect.", no_args_is_help=True)
catalog_app = typer.Typer(help="What is modelled, with sources.", no_args_is_help=True)
trial_app = typer.Typer(help="Virtual clinical trials.", no_args_is_help=True)
app.add_typer(trial_app, name="trial")
app.add_typer(model_app, name="model")
app.add_typer(catalog_app, name="catalog")
app.add_typer(response_app, name="response", help="Response prediction for checkpoint blockade.")
app.command("economics")(economics_command)
app.command("neoantigens")(genomics_cli.neoantigens)
app.command("calibrate")(calibrate_cli.calibrate)
app.command("validate")(calibrate_cli.validate)
app.command("serve")(web_cli.serve)
app.command("twin")(twin_cli.twin)
app.command("prevention")(prevention_cli.prevention)
app.add_typer(genomics_cli.mhc_app, name="mhc", help="Peptide-MHC class I binding prediction.")

console = Console(stderr=True)
out = Console() if sys.stdout.isatty() else Console(width=120)


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
@exit_on_error
def export_sbml(
    output: Annotated[Path, typer.Argument(help="SBML file to write, e.g. model.xml")],
    model: Annotated[
        str, typer.Option(help="which model: see `immunotwin model list`")
    ] = "immunotwin",
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


def _cell(value: Any, key: str, pattern: str) -> str:
    if value is None:
        return "NR" if key.startswith("median") else "–"
    return pattern.format(value)


ARM_TABLE_COLUMNS = [
    ("n", "n", "{:d}"),
    ("orr", "ORR", "{:.1%}"),
    ("cr_rate", "CR", "{:.1%}"),
    ("median_pfs_months", "mPFS mo", "{:.1f}"),
    ("median_os_months", "mOS mo", "{:.1f}"),
    ("pfs_hr_vs_control", "PFS HR", "{:.2f}"),
    ("os_hr_vs_control", "OS HR", "{:.2f}"),
    ("grade3plus_trae_rate", "G>=3 AE", "{:.1%}"),
    ("mean_cost_usd", "cost USD", "{:,.0f}"),
]


def _print_result_table(
    title: str, first: str, rows: list[tuple[str, dict]], columns: list
) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column(first)
    for _, label, _ in columns:
        table.add_column(label, justify="right")
    for label, values in rows:
        table.add_row(label, *(_cell(values.get(k), k, f) for k, _, f in columns))
    out.print(table)


def _arm_table_text(summary: dict) -> None:
    """The arm table, then a basket arm's per-tumour-type rows (n, ORR, CR, medians)."""
    arms = summary["arms"]
    _print_result_table(
        summary["spec"]["name"], "arm", [(a["name"], a) for a in arms], ARM_TABLE_COLUMNS
    )
    for arm in arms:
        if arm.get("by_tumor_type"):
            _print_result_table(
                f"{arm['name']}: by tumour type",
                "tumour type",
                list(arm["by_tumor_type"].items()),
                ARM_TABLE_COLUMNS[:5],
            )


def _run_spec_with_progress(
    spec,
    out_dir: Path,
    workers: int,
    *,
    scheduler: str | None = None,
    dask_local: int | None = None,
    chunk_patients: int | None = None,
    resume: bool = False,
) -> dict:
    from rich.progress import Progress

    from immunotwin.engine.executors import make_executor
    from immunotwin.trials.run import run_spec
    from immunotwin.trials.stream import (
        DEFAULT_CHUNK_PATIENTS,
        STREAM_ABOVE_PATIENTS,
        run_streamed,
    )

    streamed = bool(
        resume
        or chunk_patients
        or scheduler
        or dask_local
        or spec.patients_per_arm > STREAM_ABOVE_PATIENTS
    )
    executor = make_executor(workers, scheduler, dask_local)
    try:
        with Progress(console=console, transient=True) as bar:
            tasks: dict[str, int] = {}

            def progress(arm: str, done: int, total: int) -> None:
                if arm not in tasks:
                    tasks[arm] = bar.add_task(f"arm {arm}", total=total)
                bar.update(tasks[arm], completed=done)

            if streamed:
                summary = run_streamed(
                    spec,
                    out_dir,
                    executor=executor,
                    chunk_patients=chunk_patients or DEFAULT_CHUNK_PATIENTS,
                    resume=resume,
                    progress=progress,
                )
            else:
                summary = run_spec(
                    spec, out_dir, executor=executor if workers > 1 else None, progress=progress
                )
    finally:
        if hasattr(executor, "close"):
            executor.close()
    _arm_table_text(summary)
    out.print(
        f"wrote {out_dir}/summary.json, patients.parquet, doses.parquet, adtte.parquet, "
        "adrs.parquet, report.html"
    )
    return summary


@trial_app.command("run")
@exit_on_error
def trial_run(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC.yaml", help="trial spec (YAML/JSON)")],
    out_dir: Annotated[Path, typer.Option("--out", help="output folder")],
    patients: Annotated[int | None, typer.Option(help="override patients_per_arm")] = None,
    seed: Annotated[int | None, typer.Option(help="override the spec's seed")] = None,
    workers: Annotated[int, typer.Option(help="worker processes (results do not change)")] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (streamed run)"),
    ] = None,
    dask_local: Annotated[
        int | None,
        typer.Option("--dask-local", help="start a local Dask cluster of N worker processes"),
    ] = None,
    chunk_patients: Annotated[
        int | None,
        typer.Option(help="stream in chunks of this many patients per arm (default 5000)"),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="continue an interrupted streamed run in --out")
    ] = False,
) -> None:
    """Run a virtual trial and write summary.json, patients.parquet and report.html.

    Trials above 20,000 patients per arm (or with --chunk-patients, --resume, --scheduler,
    --dask-local) are streamed in chunks with bounded memory; results are identical.

    Example: immunotwin trial run examples/keynote024_like.yaml --out runs/kn024

    Example: immunotwin trial run examples/keynote024_like.yaml --patients 100000
    --dask-local 2 --out runs/big   (then add --resume if it was interrupted)
    """
    from immunotwin.trials.load import load_trial_spec

    spec = load_trial_spec(spec_path)
    updates = {k: v for k, v in (("patients_per_arm", patients), ("seed", seed)) if v is not None}
    if updates:
        spec = spec.model_copy(update=updates)
    _run_spec_with_progress(
        spec,
        out_dir,
        workers,
        scheduler=scheduler,
        dask_local=dask_local,
        chunk_patients=chunk_patients,
        resume=resume,
    )


@trial_app.command("validate-spec")
@exit_on_error
def trial_validate_spec(
    spec_path: Annotated[Path, typer.Argument(metavar="SPEC.yaml")],
) -> None:
    """Check a trial spec completely without running it.

    Example: immunotwin trial validate-spec examples/keynote024_like.yaml
    """
    from immunotwin.trials.load import load_trial_spec

    spec = load_trial_spec(spec_path)
    out.print(f"{spec_path}: valid ({len(spec.arms)} arms, {spec.patients_per_arm} patients/arm)")


@app.command()
@exit_on_error
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="output folder")] = Path("demo-out"),
    patients: Annotated[int | None, typer.Option(help="patients per arm")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed")] = None,
) -> None:
    """The main job on built-in defaults: the KEYNOTE-024-like virtual trial.

    Example: immunotwin demo --out demo-out
    """
    from immunotwin.demo import demo_spec

    spec = demo_spec()
    updates = {k: v for k, v in (("patients_per_arm", patients), ("seed", seed)) if v is not None}
    _run_spec_with_progress(spec.model_copy(update=updates), out_dir, workers=1)


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
@exit_on_error
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
@exit_on_error
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
@exit_on_error
def catalog_parameters(
    as_json: JsonFlag = False,
    model: Annotated[
        str, typer.Option(help="model name: see `immunotwin model list`")
    ] = "immunotwin",
) -> None:
    """Model parameters with value, unit, source, confidence and population distribution.

    Example: immunotwin catalog parameters --json
    """
    from immunotwin.model.registry import get_model

    rows = [p.record() for p in get_model(model).parameters]
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
