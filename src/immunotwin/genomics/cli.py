"""Typer commands for genomics; the lead registers them on the main ``immunotwin`` app:

    app.command("neoantigens")(genomics_cli.neoantigens)
    app.add_typer(genomics_cli.mhc_app, name="mhc")

Commands only parse options and call library functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from immunotwin.io.cli_errors import exit_on_error


@exit_on_error
def neoantigens(
    vcf: Annotated[Path, typer.Argument(help="VEP-annotated VCF (Frameshift + Wildtype plugins)")],
    hla: Annotated[
        str, typer.Option("--hla", help="comma-separated class I alleles, any common spelling")
    ],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    sample: Annotated[str | None, typer.Option("--sample", help="tumour sample column")] = None,
    pass_only: Annotated[bool, typer.Option("--pass-only", help="keep FILTER PASS/. only")] = False,
    lengths: Annotated[str, typer.Option("--lengths", help="peptide lengths")] = "8,9,10,11",
    capture_mb: Annotated[
        str | None,
        typer.Option(
            "--capture-mb",
            help="callable Mb for TMB, or exome / msk_impact_468 / foundationone_cdx ...",
        ),
    ] = None,
    predictor: Annotated[
        str,
        typer.Option("--predictor", help="immunotwin (default), mhcflurry, netmhcpan, mhcnuggets"),
    ] = "immunotwin",
    policy: Annotated[Path | None, typer.Option("--policy", help="YAML ranking policy")] = None,
    n_epitopes: Annotated[int, typer.Option("--n-epitopes", help="vaccine size")] = 20,
    vaccine_format: Annotated[
        str, typer.Option("--vaccine-format", help="long_peptides or mrna_string")
    ] = "long_peptides",
) -> None:
    """VCF -> TMB -> neoepitopes -> MHC-I binding -> ranked vaccine design.

    Writes epitopes.tsv, vaccine.tsv, summary.json and neoantigens.json to --out.

    Example: immunotwin neoantigens tumour.vep.vcf --hla HLA-A*02:01,B0702,C*07:02 --out neo/
    """
    from immunotwin.genomics.pipeline import run_neoantigens

    summary = run_neoantigens(
        vcf,
        hla,
        out,
        sample,
        lengths=[int(x) for x in lengths.split(",") if x.strip()],
        pass_only=pass_only,
        capture_mb=capture_mb,
        predictor=predictor,
        policy=policy,
        n_vaccine=n_epitopes,
        vaccine_format=vaccine_format,
    )
    typer.echo(
        f"sample {summary['sample']}: {summary['n_candidate_peptides']} candidate "
        f"peptides, {summary['n_vaccine_epitopes']} vaccine epitopes, TMB "
        f"{summary['tmb']['tmb_mutations_per_mb']:.2f}/Mb; alleles used "
        f"{', '.join(summary['alleles_used'])}"
    )
    for skipped in summary["alleles_skipped"]:
        typer.echo(f"skipped allele {skipped['allele']}: {skipped['reason']}", err=True)
    typer.echo(f"wrote {out}/epitopes.tsv, vaccine.tsv, summary.json, neoantigens.json")


mhc_app = typer.Typer(
    help="Peptide-MHC class I binding prediction (offline, open model).", no_args_is_help=True
)


@mhc_app.command("predict")
@exit_on_error
def mhc_predict(
    input: Annotated[Path, typer.Option("--input", help="CSV with columns peptide,allele")],
    out: Annotated[Path, typer.Option("--out", help="output CSV (adds ic50_nm, percentile_rank)")],
    predictor: Annotated[
        str,
        typer.Option("--predictor", help="immunotwin (default), mhcflurry, netmhcpan, mhcnuggets"),
    ] = "immunotwin",
) -> None:
    """Score peptide/allele pairs.

    Example: immunotwin mhc predict --input pairs.csv --out scored.csv
    """
    from immunotwin.genomics.mhc_io import predict_csv

    n = predict_csv(input, out, predictor)
    typer.echo(f"wrote {n} predictions to {out}")


@mhc_app.command("train")
@exit_on_error
def mhc_train(
    data: Annotated[Path, typer.Option("--data", help="shared data folder holding mhc/")],
    out: Annotated[Path, typer.Option("--out", help="artifact path (.npz)")],
    seed: Annotated[int, typer.Option("--seed", help="seed for the random-peptide set")] = 20240607,
    exclude_blind: Annotated[
        str,
        typer.Option(
            "--exclude-blind",
            help="drop every Kim 2014 BLIND peptide (peptides, default) or only BLIND pairs",
        ),
    ] = "peptides",
) -> None:
    """Rebuild the default model artifact from the open training data (bit-for-bit).

    Example: immunotwin mhc train --data ../shared/data --out immunotwin_mhci_v2.npz
    """
    from immunotwin.genomics.mhc.train import train_model

    meta = train_model(data, out, seed=seed, exclude_blind=exclude_blind)
    typer.echo(f"wrote {out}: {sum(meta['kinds'].values())} alleles ({meta['kinds']})")


@mhc_app.command("evaluate")
@exit_on_error
def mhc_evaluate(
    data: Annotated[Path, typer.Option("--data", help="shared data folder holding mhc/")],
    artifact: Annotated[Path | None, typer.Option("--artifact", help="model .npz")] = None,
) -> None:
    """Kim 2014 BLIND pooled AUC and held-out MS per-sample PPV, as JSON.

    Example: immunotwin mhc evaluate --data ../shared/data
    """
    from immunotwin.genomics.mhc import ImmunotwinMhcI
    from immunotwin.genomics.mhc.evaluate import evaluate_kim2014_blind, evaluate_ms_ppv

    model = ImmunotwinMhcI(artifact)
    blind = evaluate_kim2014_blind(model, data)
    ppv = evaluate_ms_ppv(model, data)
    result = {
        "kim2014_blind": blind,
        "ms_ppv": {
            "n_samples": int(len(ppv)),
            "median": float(ppv["ppv"].median()),
            "mean": float(ppv["ppv"].mean()),
            "random_baseline_mean": float((ppv["n_hits"] / ppv["n_peptides"]).mean()),
            "per_sample": ppv.to_dict(orient="records"),
        },
    }
    typer.echo(json.dumps(result, indent=2))


@mhc_app.command("alleles")
def mhc_alleles() -> None:
    """List the alleles the default model supports.

    Example: immunotwin mhc alleles
    """
    from immunotwin.genomics.mhc import ImmunotwinMhcI

    typer.echo("\n".join(ImmunotwinMhcI().alleles))
