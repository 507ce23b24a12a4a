"""Typer command for preventive vaccination; the lead registers it on the main app:

app.command("prevention")(prevention_cli.prevention)
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from immunotwin.io.cli_errors import exit_on_error


@exit_on_error
def prevention(
    spec: Annotated[Path, typer.Argument(help="prevention spec (YAML/JSON, mode: prevention)")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
) -> None:
    """Cases of vaccine-preventable lesions per 100,000 with and without a vaccination programme.

    Example: immunotwin prevention examples/prevention/hpv_prevention.yaml --out runs/hpv
    """
    from immunotwin.prevention.incidence import run_prevention
    from immunotwin.prevention.io import load_prevention_spec, write_prevention

    parsed = load_prevention_spec(spec)
    table = run_prevention(parsed)
    paths = write_prevention(parsed, table, out)
    for row in table.itertuples():
        typer.echo(
            f"{row.outcome}: {row.cases_prevented_per_100k:.1f} cases prevented per 100,000 over "
            f"{row.horizon_years:g} years ({row.cases_unvaccinated_per_100k:.1f} -> "
            f"{row.cases_with_programme_per_100k:.1f})"
        )
    typer.echo("wrote " + ", ".join(str(p) for p in paths))
