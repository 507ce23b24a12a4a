"""The built-in demonstration run (``immunotwin demo`` / ``make demo``).

A virtual population of the Kuznetsov 1994 tumour-immune model with log-normal variability of
tumour growth and immune killing: which virtual tumours are held dormant and which escape.
Writes ``summary.json``, ``patients.parquet`` and ``tumour_trajectories.png``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunotwin import __version__
from immunotwin.engine import simulate
from immunotwin.model import compile_model
from immunotwin.model.library.kuznetsov import kuznetsov_1994

ESCAPE_THRESHOLD_CELLS = 1e8  # between the dormant (~1e6-1e7) and escaped (~5e8) equilibria


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def run_demo(
    out_dir: str | Path, *, n_patients: int = 1000, seed: int = 7, console: Any = None
) -> dict[str, Any]:
    """Simulate the demo population and write its outputs; returns the summary."""
    from rich.progress import Progress

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = kuznetsov_1994()
    compiled = compile_model(model)
    rng = np.random.default_rng(seed)
    params = np.tile(compiled.default_parameters(), (n_patients, 1))
    params[:, model.parameter_index("a_growth")] *= rng.lognormal(0.0, 0.25, n_patients)
    params[:, model.parameter_index("n_kill")] *= rng.lognormal(0.0, 0.25, n_patients)
    y0 = np.tile(compiled.default_initial_state(), (n_patients, 1))
    y0[:, model.state_index("tumor_cells")] *= rng.lognormal(0.0, 0.5, n_patients)
    t_eval = np.linspace(0.0, 365.0, 74)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("simulating virtual patients", total=n_patients)
        result = simulate(
            compiled,
            y0,
            params,
            t_eval,
            chunk_size=250,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    tumour = result.state("tumor_cells")
    escaped = tumour[:, -1] > ESCAPE_THRESHOLD_CELLS
    patients = pd.DataFrame(
        {
            "patient_id": np.arange(n_patients),
            "growth_rate_per_day": params[:, model.parameter_index("a_growth")],
            "kill_rate_per_cell_day": params[:, model.parameter_index("n_kill")],
            "initial_tumor_cells": y0[:, model.state_index("tumor_cells")],
            "tumor_cells_day_365": tumour[:, -1],
            "escaped": escaped,
            "solver_status": result.status,
        }
    )
    patients.to_parquet(out_dir / "patients.parquet", index=False)
    summary = {
        "immunotwin_version": __version__,
        "model": model.name,
        "model_hash": model.content_hash(),
        "seed": seed,
        "n_patients": n_patients,
        "failed_patients": int((~result.ok).sum()),
        "escape_fraction_day_365": float(escaped[result.ok].mean()),
        "median_tumor_cells_day_365": float(np.median(tumour[result.ok, -1])),
    }
    _write_json(out_dir / "summary.json", summary)
    _plot(t_eval, tumour, escaped, out_dir / "tumour_trajectories.png")
    return summary


def _plot(t: np.ndarray, tumour: np.ndarray, escaped: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i in range(min(200, tumour.shape[0])):
        ax.semilogy(
            t,
            np.maximum(tumour[i], 1.0),
            color="tab:red" if escaped[i] else "tab:blue",
            alpha=0.25,
            lw=0.8,
        )
    ax.set_xlabel("day")
    ax.set_ylabel("tumour cells")
    ax.set_title("Kuznetsov 1994 virtual population: dormant (blue) vs escaped (red)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
