"""``immunotwin calibrate`` and ``immunotwin validate`` (typer commands; no numerics here).

Register on the main app with, e.g.::

    from immunotwin.population.calibrate_cli import calibrate, validate
    app.command("calibrate")(calibrate)
    app.command("validate")(validate)
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from immunotwin.errors import ImmunotwinError, InputError
from immunotwin.io.atomic import atomic_path, write_text_atomic

if TYPE_CHECKING:
    from immunotwin.population.calibration import ParameterSet

app = typer.Typer(help="Calibrate to and validate against published trial arms.")
log = logging.getLogger(__name__)

TargetsOption = Annotated[
    Path | None,
    typer.Option(
        "--targets",
        help="published arms CSV (default: ../shared/data/calibration/trials.csv beside the repo)",
    ),
]


def _targets(path: Path | None) -> Path:
    from immunotwin.population.calibration_io import default_targets_path

    found = path or default_targets_path()
    if found is None:
        raise InputError(
            "no targets CSV given and ../shared/data/calibration/trials.csv was not found",
            source="--targets",
            fix="pass --targets PATH/TO/trials.csv",
        )
    return found


def _fail(exc: ImmunotwinError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(code=2)


@app.command("validate")
def validate(
    targets: TargetsOption = None,
    patients: Annotated[int, typer.Option(help="virtual patients per arm", min=1)] = 200,
    seed: Annotated[int | None, typer.Option(help="override every spec's seed")] = None,
    parameters: Annotated[
        Path | None, typer.Option(help="parameter-set JSON (default: the shipped one)")
    ] = None,
    uncalibrated: Annotated[bool, typer.Option(help="run the uncalibrated model")] = False,
    out: Annotated[Path, typer.Option(help="folder for validation.csv / .md")] = Path("validation"),
    only: Annotated[
        str | None, typer.Option(help="only trials whose id contains this text")
    ] = None,
    root: Annotated[Path | None, typer.Option(help="repository root (examples/)")] = None,
) -> None:
    """Run every calibration arm and print simulated vs published outcomes with pass/fail.

    Example: immunotwin validate --targets ../shared/data/calibration/trials.csv --patients 200
    """
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from immunotwin.population import validation as v
    from immunotwin.population.calibration import ParameterSet
    from immunotwin.population.calibration_io import (
        read_arm_map,
        read_parameter_set,
        read_targets,
        shipped_parameter_set,
    )
    from immunotwin.population.fit import objective_summary

    console = Console()
    try:
        arms = v.calibration_arms(read_arm_map(), read_targets(_targets(targets)))
        if only:
            arms = arms[arms["trial_id"].str.contains(only, case=False, regex=False)]
        if uncalibrated:
            pset = ParameterSet.identity()
        else:
            pset = read_parameter_set(parameters) if parameters else shipped_parameter_set()
        base = v.repository_root(root)
    except ImmunotwinError as exc:
        _fail(exc)
    specs = list(arms["spec"]) + [s for s in arms["hr_control_spec"] if s]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("simulating arms", total=len(set(specs)))

        def tick(spec: str, done: int, total: int) -> None:
            progress.update(task, completed=done, description=Path(spec).stem)

        runs = v.run_arms(
            specs, root=base, patients=patients, seed=seed, parameter_set=pset, progress=tick
        )
    table = v.compare(arms, runs)
    table["arm_class"] = [_arm_class_or_unknown(spec, base) for spec in table["spec"]]
    checks = v.gradient_checks(table)
    summary = v.target_summary(table, checks) | {"fit_objective": objective_summary(table)}
    shown = v.display_table(table)
    rich_table = Table(title=f"immunotwin validate (parameter set {pset.version}, n={patients})")
    for column in shown.columns:
        rich_table.add_column(column, overflow="fold")
    for row in shown.itertuples(index=False):
        rich_table.add_row(*[str(x) for x in row])
    console.print(rich_table)
    for _, c in checks.iterrows():
        console.print(
            f"{'pass' if c['pass'] else 'FAIL'}  {c['check']}: published "
            f"{c['published']}; simulated {c['simulated']}"
        )
    for _, r in table[table["error"].notna()].iterrows():
        console.print(f"[red]error[/red] {r['spec']}: {r['error']}")
    for text in v.target_lines(summary):
        console.print(text)
    console.print(json.dumps(summary))
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "validation.csv") as tmp:
        table.to_csv(tmp, index=False)
    with atomic_path(out / "gradient_checks.csv") as tmp:
        checks.to_csv(tmp, index=False)
    write_text_atomic(
        out / "validation.md",
        v.to_markdown(shown)
        + "\n\n"
        + v.to_markdown(checks.astype(str))
        + "\n\n"
        + "".join(f"- {text}\n" for text in v.target_lines(summary))
        + "\n```json\n"
        + json.dumps(summary, indent=2)
        + "\n```\n",
    )
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    console.print(f"wrote {out}/validation.csv, validation.md, gradient_checks.csv, summary.json")


def _default_version(today: str, patients: int, start: ParameterSet | None) -> str:
    """``<date>-n<patients>``, with ``-r2``, ``-r3`` ... when the warm start already carries
    that label (a refit the same day), so two sets never share a version."""
    base = f"{today}-n{patients}"
    if start is None or not start.version.startswith(base):
        return base
    tail = start.version[len(base) :].removeprefix("-r")
    return f"{base}-r{int(tail) + 1 if tail.isdigit() else 2}"


def _method(stages: str, partial_from: ParameterSet | None = None) -> str:
    """The parameter set's ``method``; a partial refit names its warm start and that set's own
    method, so the provenance of the stages it did not search is kept."""
    method = (
        "staged search on arm subsets (bounded Brent for one parameter, "
        f"Nelder-Mead for more; {stages}) of a weighted soft-L1 sum of "
        "standardised errors (ORR/CR and grade >= 3 CRS/ICANS by 7 pp, log medians by "
        "ln 1.25); common random numbers (each spec's seed)"
    )
    if partial_from is None:
        return method
    return (
        f"partial refit: {method}; every other value from the warm start "
        f"{partial_from.version}, whose method was: {partial_from.method}"
    )


@app.command("calibrate")
def calibrate(
    targets: TargetsOption = None,
    patients: Annotated[int, typer.Option(help="virtual patients per arm in the fit", min=5)] = 30,
    seed: Annotated[
        int | None, typer.Option(help="override every spec's seed (default: the specs' own)")
    ] = None,
    max_evaluations: Annotated[
        int | None,
        typer.Option(help="cap on arm-subset evaluations (default: the stages' own budgets)"),
    ] = None,
    max_minutes: Annotated[float, typer.Option(help="wall-clock budget")] = 25.0,
    workers: Annotated[
        int, typer.Option(help="processes that run the arms of one evaluation", min=1)
    ] = 1,
    out: Annotated[
        Path | None,
        typer.Option(help="folder for parameter_set.json + fit report (default: packaged data)"),
    ] = None,
    version: Annotated[str | None, typer.Option(help="parameter-set version label")] = None,
    start: Annotated[
        Path | None,
        typer.Option(help="warm start: a parameter-set JSON whose values start the search"),
    ] = None,
    root: Annotated[Path | None, typer.Option(help="repository root (examples/)")] = None,
    stages: Annotated[
        str | None,
        typer.Option(
            help="comma-separated stages to search (default: all); the others keep the "
            "start values, e.g. after a model change that touches only their arms"
        ),
    ] = None,
) -> None:
    """Fit population-level hyper-parameters to the calibration arms; write the parameter set.

    Example: immunotwin calibrate --targets ../shared/data/calibration/trials.csv --patients 40
    """
    from rich.console import Console

    from immunotwin import __version__
    from immunotwin.model.immune.build import immunotwin_model
    from immunotwin.population import fit as f
    from immunotwin.population import validation as v
    from immunotwin.population.calibration_io import (
        read_arm_map,
        read_parameter_set,
        read_targets,
        write_parameter_set,
    )

    console = Console()
    try:
        arms = v.calibration_arms(read_arm_map(), read_targets(_targets(targets)))
        base = v.repository_root(root)
        start_set = read_parameter_set(start) if start else None
        start_values = start_set.hyper_parameters() if start_set else None
        searched = f.select_stages(stages)
        if stages is not None and start is None:
            raise InputError(
                "a partial refit keeps the other stages' values, so it needs a warm start",
                source="--stages",
                fix="add --start PARAMETER_SET.json (e.g. the shipped set)",
            )
    except ImmunotwinError as exc:
        _fail(exc)

    def report(k: int, value: float, values: dict[str, float]) -> None:
        shown = ", ".join(f"{n}={x:.3g}" for n, x in values.items())
        console.print(f"[{k:>3}] objective {value:8.2f}  {shown}")

    result = f.fit_hyperparameters(
        arms,
        root=base,
        patients=patients,
        seed=seed,
        max_evaluations=max_evaluations,
        max_minutes=max_minutes,
        start=start_values,
        workers=workers,
        stages=searched,
        on_evaluation=report,
    )
    model = immunotwin_model()
    today = _dt.date.today().isoformat()
    pset = result.parameter_set.model_copy(
        update={
            "version": version or _default_version(today, patients, start_set),
            "created": today,
            "immunotwin_version": __version__,
            "model_name": model.name,
            "model_hash": model.content_hash(),
            "method": _method(f.describe_stages(searched), start_set if stages else None),
            "seed": seed,
            "patients_per_arm": patients,
            "objective": {
                "value": result.best_objective,
                "start_value": result.start_objective,
                "evaluations": result.evaluations,
                "stopped_by": result.stopped_by,
                "seconds": round(result.seconds, 1),
                "weights": f.WEIGHTS,
                "bounds": {h.name: [h.low, h.high] for h in f.DEFAULT_HYPERPARAMETERS},
            },
            "fitted_to": [
                {k: str(r[k]) for k in ("trial_id", "arm_role", "regimen", "indication")}
                for _, r in arms.iterrows()
            ],
            "notes": "Fitted only to ../shared/data/calibration/trials.csv rows mapped in "
            "immunotwin/data/calibration/arms.csv.",
        }
    )
    folder = out or Path(__file__).resolve().parent.parent / "data" / "calibration"
    write_parameter_set(pset, folder / "parameter_set.json")
    with atomic_path(folder / "fit_history.csv") as tmp:
        result.history.to_csv(tmp, index=False)
    keep = [
        "trial_id",
        "arm_role",
        "arm",
        "spec",
        "n_simulated",
        "orr_published",
        "orr_simulated",
        "cr_published",
        "cr_simulated",
        "median_pfs_published",
        "median_pfs_simulated",
        "median_os_published",
        "median_os_simulated",
    ]
    with atomic_path(folder / "fit_report.csv") as tmp:
        result.table[keep].to_csv(tmp, index=False, float_format="%.10g")
    terms = f.objective_terms(result.table)
    write_text_atomic(
        folder / "fit_report.md",
        f"# Calibration fit report ({pset.version})\n\n"
        f"Command: `immunotwin calibrate --patients {patients} "
        + (f"--start {start} " if start else "")
        + (f"--max-evaluations {max_evaluations} " if max_evaluations else "")
        + f"--max-minutes {max_minutes:g} --workers {workers}"
        + (f' --stages "{stages}"' if stages else "")
        + "`\n\n"
        f"Objective {result.start_objective:.2f} (start point) -> "
        f"{result.best_objective:.2f} after {result.evaluations} evaluations "
        f"({result.seconds / 60:.1f} min, stopped by {result.stopped_by}).\n\n"
        "## Fitted values\n\n"
        + "\n".join(
            f"- `{h.name}` = {pset.hyper_parameters()[h.name]:.4g} ({h.meaning}; bounds "
            f"{h.low:.3g}-{h.high:.3g})"
            for h in f.DEFAULT_HYPERPARAMETERS
        )
        + "\n\n## Per-arm simulated values at the fit's n (reproduced by the tests)\n\n"
        + v.to_markdown(v.display_table(result.table))
        + "\n\n## Largest objective terms\n\n"
        + v.to_markdown(terms.sort_values("loss", ascending=False).head(15).round(2).astype(str))
        + "\n",
    )
    console.print(
        f"wrote {folder}/parameter_set.json, fit_report.md, fit_report.csv, fit_history.csv"
    )


def _arm_class_or_unknown(spec: str, root: Path) -> str:
    """The arm's class for the summary; a spec that cannot be read (its run already reports
    the error) is ``"unknown"``."""
    from immunotwin.population.fit import arm_class

    try:
        return arm_class(spec, root=root)
    except ImmunotwinError:
        return "unknown"
