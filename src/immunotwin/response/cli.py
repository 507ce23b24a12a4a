"""``immunotwin response`` commands (a typer sub-application the main CLI registers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ImmunotwinError
from ..io.atomic import write_text_atomic
from .io import read_cohort, read_patient_json, write_table
from .schema import ID_COLUMN

app = typer.Typer(
    help="Response prediction for checkpoint blockade (immunotwin response ...).",
    no_args_is_help=True,
)


def _fail(exc: ImmunotwinError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


@app.command("train")
def train_cmd(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="folder with the LORIS cohort CSVs (default ../shared/data/icb)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="where to write the artifact (default: the packaged "
            "src/immunotwin/data/response/response_model.json)"
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="seed of the recorded cross-validation")] = 0,
) -> None:
    """Retrain the shipped model from the data, bit-for-bit.

    Example: immunotwin response train --out /tmp/response_model.json
    """
    from .artifact import (
        save_artifact,
        shipped_artifact_path,
        train,
    )

    try:
        artifact = train(data_dir, seed=seed)
    except ImmunotwinError as exc:
        _fail(exc)
    target = out or shipped_artifact_path()
    save_artifact(artifact, target)
    typer.echo(
        f"wrote {target} (5-fold CV AUC in Chowell_train "
        f"{artifact['training']['cv5_auc_mean']:.3f})"
    )


@app.command("predict")
def predict_cmd(
    input_csv: Annotated[
        Path | None, typer.Argument(help="cohort CSV with LORIS column names")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="output CSV")] = None,
    patient: Annotated[
        str | None, typer.Option("--patient", help="one patient as a JSON file or text")
    ] = None,
    model: Annotated[
        Path | None, typer.Option(help="artifact JSON (default: packaged model)")
    ] = None,
    id_column: Annotated[str, typer.Option(help="ID column kept in the output")] = ID_COLUMN,
) -> None:
    """Predict response probability and OS/PFS risk.

    Example: immunotwin response predict cohort.csv --out predictions.csv
    Example: immunotwin response predict --patient '{"TMB": 12, "Albumin": 4.1, "NLR": 3,
    "Age": 64, "CancerType": "NSCLC", "PDL1_TPS(%)": 60, "Systemic_therapy_history": 0}'
    """
    from .artifact import (
        load_artifact,
        predict_cohort,
    )

    try:
        artifact = load_artifact(model)
        if patient is not None:
            df = read_patient_json(patient)
            pred = predict_cohort(df, artifact).iloc[0].to_dict()
            typer.echo(json.dumps(pred, indent=1))
            return
        if input_csv is None or out is None:
            typer.echo("error: give INPUT.csv and --out OUT.csv, or --patient JSON", err=True)
            raise typer.Exit(2)
        df = read_cohort(input_csv)
        pred = predict_cohort(df, artifact)
        if id_column in df.columns:
            pred.insert(0, id_column, df[id_column].to_numpy())
        write_table(pred, out)
        typer.echo(f"wrote {out} ({len(pred)} patients)")
    except ImmunotwinError as exc:
        _fail(exc)


@app.command("evaluate")
def evaluate_cmd(
    input_csv: Annotated[Path, typer.Argument(help="cohort CSV with a Response column")],
    model: Annotated[
        Path | None, typer.Option(help="artifact JSON (default: packaged model)")
    ] = None,
    n_boot: Annotated[int, typer.Option(help="bootstrap resamples for the 95 % CI")] = 1000,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="also write the full result as JSON")
    ] = None,
) -> None:
    """AUC with bootstrap 95 % CI, calibration and C-index, versus LORIS, TMB and PD-L1.

    Example: immunotwin response evaluate ../shared/data/icb/LORIS_AllData__MSK1.csv
    """
    from .artifact import (
        load_artifact,
    )
    from .validation import evaluate

    try:
        result = evaluate(read_cohort(input_csv), load_artifact(model), n_boot=n_boot)
    except ImmunotwinError as exc:
        _fail(exc)
    typer.echo(_format(result))
    if json_out:
        write_text_atomic(json_out, json.dumps(result, indent=1))


@app.command("report")
def report_cmd(
    data_dir: Annotated[Path | None, typer.Option(help="folder with the LORIS cohort CSVs")] = None,
    out_dir: Annotated[
        Path, typer.Option(help="writes response_metrics.json and response_calibration.png here")
    ] = Path("docs"),
    n_boot: Annotated[int, typer.Option(help="bootstrap resamples")] = 1000,
    selection: Annotated[bool, typer.Option(help="also run the model-selection grid")] = True,
) -> None:
    """Model-card numbers: selection grid, every cohort (MSK1 = holdout), calibration plot.

    Example: immunotwin response report --out-dir docs
    """
    from .artifact import (
        default_data_dir,
        load_artifact,
    )
    from .survival import prognostic_vs_predictive
    from .validation import full_report, plot_calibration, select_model

    data_dir = data_dir or default_data_dir()
    artifact = load_artifact()
    result = {"cohorts": full_report(data_dir, artifact, n_boot=n_boot)}
    from .io import read_named_cohort

    pvp = prognostic_vs_predictive(
        read_named_cohort(data_dir, "Chowell_train"), read_named_cohort(data_dir, "MSK_nonICB")
    )
    result["prognostic_vs_predictive_os"] = pvp.to_dict(orient="records")
    if selection:
        result["selection_grid"] = select_model(data_dir).to_dict(orient="records")
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "response_metrics.json", json.dumps(result, indent=1) + "\n")
    plot_calibration(data_dir, artifact, out_dir / "response_calibration.png")
    for group, cohorts in result["cohorts"].items():
        for name, res in cohorts.items():
            typer.echo(f"== {name} ({group})\n{_format(res)}")
    typer.echo(pvp.to_string(index=False))
    typer.echo(
        f"wrote {out_dir / 'response_metrics.json'} and {out_dir / 'response_calibration.png'}"
    )


def _format(result: dict) -> str:
    lines = [f"patients {result['n_patients']}"]
    for name, r in result.get("auc", {}).items():
        lines.append(
            f"  AUC {name:18s} {r['auc']:.3f} [{r['ci95'][0]:.3f}, {r['ci95'][1]:.3f}]"
            f"  n={r['n']}  (immunotwin on same patients "
            f"{r['immunotwin_auc_same_patients']:.3f})"
        )
        d = r.get("immunotwin_minus_this")
        if d:
            lines.append(
                f"    immunotwin - {name}: {d['diff']:+.3f} "
                f"[{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}] (paired bootstrap)"
            )
    cal = result.get("calibration")
    if cal:
        lines.append(
            f"  Brier {cal['brier']:.4f} (LORIS {cal['brier_loris_pan_cancer']:.4f})  "
            f"mean predicted {cal['mean_predicted']:.3f}  calibration intercept "
            f"{cal['intercept']:.2f} slope {cal['slope']:.2f}"
        )
    for end, c in result.get("c_index", {}).items():
        lines.append(
            f"  C-index {end}: immunotwin Cox {c['immunotwin_cox']:.3f}  "
            f"LORIS {c['loris_pan_cancer']:.3f}  n={c['n']}"
        )
    return "\n".join(lines)
