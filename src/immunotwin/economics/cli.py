"""Command line for the economics package (registered by the lead on the main app).

Register with ``app.command("economics")(immunotwin.economics.cli.economics)`` or mount
``immunotwin.economics.cli.app``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from immunotwin.errors import ImmunotwinError

app = typer.Typer(help="Health economics of a finished trial run.", no_args_is_help=True)


@app.command("economics")
def economics(
    run_dir: Annotated[
        Path, typer.Argument(help="finished trial run folder (summary.json, patients.parquet)")
    ],
    wtp: Annotated[
        float | None,
        typer.Option("--wtp", help="willingness to pay per QALY (default 150000)"),
    ] = None,
    horizon_years: Annotated[
        float | None, typer.Option("--horizon-years", help="time horizon (default 20)")
    ] = None,
    settings_file: Annotated[
        Path | None,
        typer.Option("--settings", help="YAML/JSON file with EconomicsSettings fields"),
    ] = None,
    psa_draws: Annotated[
        int | None, typer.Option("--psa-draws", help="PSA draws (0 = none) (default 1000)")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="PSA random seed")] = None,
) -> None:
    """Costs, QALYs, ICERs, PSA and tornado for a trial run; writes DIR/economics.json and adds
    an economics section to DIR/report.html.

    Example: immunotwin economics runs/kn024 --wtp 100000 --horizon-years 20
    """
    from immunotwin.economics.analysis import run_economics
    from immunotwin.economics.io import load_settings

    try:
        settings = load_settings(
            settings_file,
            wtp_per_qaly=wtp,
            horizon_years=horizon_years,
            **{"psa.n_draws": psa_draws, "psa.seed": seed},
        )
        result = run_economics(run_dir, settings)
    except ImmunotwinError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    _print_summary(result)
    typer.echo(f"wrote {Path(run_dir) / 'economics.json'}")
    report = Path(run_dir) / "report.html"
    if report.exists():
        from immunotwin.economics.report import economics_report_section
        from immunotwin.reports.trial_report import insert_section

        insert_section(report, economics_report_section(result), "economics")
        typer.echo(f"added the economics section to {report}")


def _print_summary(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    base = result["base_case_model"]
    table = Table(title=f"Discounted per-patient results ({base.replace('_', ' ')})")
    for col in ("arm", "cost", "LYs", "QALYs", "ICER vs " + result["reference_arm"]):
        table.add_column(col)
    icers = {row["arm"]: row for row in result["incremental"][base]}
    for arm in result["arms"]:
        r = arm[base]
        inc = icers.get(arm["name"])
        ratio = (
            ""
            if inc is None
            else (f"{inc['icer']:,.0f}" if inc["icer_status"] == "icer" else inc["icer_status"])
        )
        table.add_row(
            arm["name"],
            f"{r['total_cost']:,.0f}",
            f"{r['life_years']:.2f}",
            f"{r['qalys']:.2f}",
            ratio,
        )
    console = Console(stderr=False)
    console.print(table)
    for message in result["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {message}")
