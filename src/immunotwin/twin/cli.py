"""Command line of the patient digital twin (registered by the lead on the main app).

Register with ``app.command("twin")(immunotwin.twin.cli.twin)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from immunotwin.errors import ImmunotwinError

app = typer.Typer(help="The patient digital twin.", no_args_is_help=True)


@app.command("twin")
def twin(
    patient_file: Annotated[
        Path, typer.Argument(help="patient file (JSON or YAML; schema in docs/patient.md)")
    ],
    out: Annotated[Path, typer.Option("--out", help="output folder for twin.json, twin.html")],
    regimens: Annotated[
        Path | None,
        typer.Option("--regimens", help="regimen table (TOML/YAML/JSON) instead of the default"),
    ] = None,
    ensemble: Annotated[
        int, typer.Option("--ensemble", min=10, max=100_000, help="ensemble members")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", min=0, help="random seed")] = 0,
    no_response_model: Annotated[
        bool,
        typer.Option("--no-response-model", help="do not add the response model as evidence"),
    ] = False,
    rank_by: Annotated[
        str,
        typer.Option(
            "--rank-by",
            help="expected_qalys | p_response | median_os_months | median_pfs_months | "
            "net_monetary_benefit",
        ),
    ] = "expected_qalys",
    no_explain: Annotated[
        bool, typer.Option("--no-explain", help="skip the counterfactual twins")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="worker processes (results do not change)")
    ] = 1,
) -> None:
    """Build one patient's digital twin and rank candidate regimens; writes DIR/twin.json and
    DIR/twin.html. For research use, not for clinical decisions.

    Example: immunotwin twin examples/patients/nsclc_pdl1_high.json --out runs/twin --ensemble 200
    """
    from immunotwin.engine.executors import make_executor
    from immunotwin.twin.build import build_twin
    from immunotwin.twin.patient import read_patient
    from immunotwin.twin.regimens import read_regimens
    from immunotwin.twin.report import write_twin

    executor = make_executor(workers) if workers > 1 else None
    try:
        patient = read_patient(patient_file)
        table = read_regimens(regimens) if regimens is not None else None
        result = build_twin(
            patient,
            n=ensemble,
            seed=seed,
            regimens=table,
            use_response_model=not no_response_model,
            rank_by=rank_by,
            explain_ranking=not no_explain,
            progress=lambda msg: typer.echo(f"... {msg}", err=True),
            executor=executor,
        )
        json_path, html_path = write_twin(result, out)
    except ImmunotwinError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    for row in result["ranking"]:
        typer.echo(
            f"{row['rank']:>2}. {row['key']:<32} P(response) {row['p_response']:.2f}  "
            f"QALYs {row['expected_qalys']:.2f}  cost {row['expected_cost_usd']:,.0f} USD"
        )
    for note in result["notes"]:
        typer.echo(f"note: {note}")
    typer.echo(f"wrote {json_path} and {html_path}")
    typer.echo("For research use, not for clinical decisions.")
