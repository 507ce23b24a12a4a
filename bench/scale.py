"""Scale benchmark: the full immunotwin model, streamed in chunks, serial and on Dask workers.

Typical NSCLC patients (catalogue covariates -> ``sample_parameters`` + biomarkers + shipped
calibration -> ``baseline_state``), pembrolizumab 200 mg q3w (max 35 cycles), 2 years, weekly
outputs. Patients are simulated run-style: chunks of ``--chunk`` patients, each chunk's
trajectories reduced to one number per patient and dropped, so memory does not grow with N.

Prints ms/patient for each N (one simulation pass, the engine's cost; a trial runs two passes
plus endpoints, see ``--trial``), the process's peak RSS so far (``ru_maxrss``), the linearity of
cost in N, and the throughput of 2 local Dask workers relative to 1 (identical results checked).

    python bench/scale.py --sizes 1000 10000 --dask 4000
    python bench/scale.py --trial 2000          # the whole trial pipeline, streamed

Timings on a shared machine are noisy; rerun on a quiet one before quoting.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np


def _setup():
    from immunotwin.demo import demo_spec
    from immunotwin.model import compile_model
    from immunotwin.model.immune.build import immunotwin_model
    from immunotwin.population.calibration_io import shipped_parameter_set
    from immunotwin.population.catalog import load_tumor_catalog

    spec = demo_spec().model_copy(update={"follow_up_months": 24.0})
    model = immunotwin_model()
    return (
        spec,
        model,
        compile_model(model),
        load_tumor_catalog().get("nsclc"),
        (shipped_parameter_set()),
    )


_CACHE: dict = {}


def cohort_inputs(start: int, stop: int, seed: int = 2026):
    """(compiled, y0, params, events) of patients ``start .. stop`` (seeded per 1,000-patient
    block): typical NSCLC patients on the spec's first arm (pembrolizumab q3w), 2 years."""
    import pandas as pd

    from immunotwin.engine import build_events
    from immunotwin.engine.streams import BlockRandom
    from immunotwin.population.calibration import effective_parameters
    from immunotwin.population.virtual_patients import _block
    from immunotwin.trials.engine import plan_and_baseline

    if "setup" not in _CACHE:
        _CACHE["setup"] = _setup()
    spec, model, compiled, tumour, calibration = _CACHE["setup"]
    n = stop - start
    # covariates drawn per 1,000-patient block (no population filter: typical NSCLC patients)
    blocks = []
    for b in range(start // 1000, -(-stop // 1000)):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0xC0, b]))
        blocks.append(_block(tumour, rng, 1000, 1))
    patients = pd.concat(blocks, ignore_index=True).iloc[start % 1000 : start % 1000 + n]
    patients = patients.reset_index(drop=True)
    patients.insert(0, "patient_id", np.arange(start, stop))
    rng = BlockRandom([seed, 1], start, n)
    params = effective_parameters(model, rng, patients, tumour, calibration)
    plan, y0 = plan_and_baseline(
        model, compiled, spec.arms[0], patients, params, 730.0, BlockRandom([seed, 2], start, n)
    )
    return compiled, y0, params, build_events(n, list(plan.events))


def simulate_chunk(args: tuple[int, int, int]) -> np.ndarray:
    """Patients ``start .. stop`` (seeded per 1,000-patient block): final tumour burden."""
    from immunotwin.engine import simulate

    start, stop, seed = args
    compiled, y0, params, events = cohort_inputs(start, stop, seed)
    grid = np.arange(0.0, 730.0 + 1e-9, 7.0)
    result = simulate(compiled, y0, params, grid, events, rtol=1e-5, chunk_size=512)
    burden = compiled.quantities(result.states[:, -1:, :], params)["tumor_cells_total"][:, 0]
    return np.where(result.ok, burden, np.nan)


def run(n: int, chunk: int, executor=None, seed: int = 2026) -> tuple[float, np.ndarray]:
    from immunotwin.engine import SerialExecutor

    tasks = [(a, min(a + chunk, n), seed) for a in range(0, n, chunk)]
    t = time.perf_counter()
    out = np.concatenate(list((executor or SerialExecutor()).map(simulate_chunk, tasks)))
    return time.perf_counter() - t, out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--chunk", type=int, default=5000, help="patients per chunk")
    parser.add_argument("--dask", type=int, default=0, help="N for 1 vs 2 Dask workers (0: skip)")
    parser.add_argument("--trial", type=int, default=0, help="N per arm for a streamed trial")
    args = parser.parse_args()
    with open("/proc/cpuinfo") as info:
        cpu = next(
            (ln.split(":")[1].strip() for ln in info if ln.startswith("model name")),
            platform.processor(),
        )
    print(f"machine: {os.cpu_count()} CPUs ({cpu}); python {platform.python_version()}")
    print("warming up (model build, kernel load/compile) ...")
    run(50, 50)
    print(f"start peak RSS {peak_rss_mb():.0f} MB")
    print(f"{'N':>9} {'wall s':>9} {'ms/patient':>11} {'failed':>7} {'peak RSS MB':>12}")
    per_patient = {}
    for n in args.sizes:
        wall, out = run(n, args.chunk)
        per_patient[n] = 1e3 * wall / n
        print(
            f"{n:>9,} {wall:>9.1f} {per_patient[n]:>11.3f} {int(np.isnan(out).sum()):>7} "
            f"{peak_rss_mb():>12.0f}"
        )
    if len(per_patient) > 1:
        lo, hi = min(per_patient), max(per_patient)
        print(
            f"linearity: ms/patient at N={hi:,} / at N={lo:,} = "
            f"{per_patient[hi] / per_patient[lo]:.2f} (1.00 = linear)"
        )
    if args.dask:
        from immunotwin.engine import DaskExecutor

        chunk = 1000  # chunks start on the 1,000-patient random blocks
        walls, outs = {}, {}
        for workers in (1, 2):
            with DaskExecutor(local_workers=workers) as ex:
                # warm every worker (model build + kernel load)
                list(ex.map(simulate_chunk, [(0, 20, 1)] * workers))
                walls[workers], outs[workers] = run(args.dask, chunk, ex)
            print(
                f"dask {workers} worker(s): N={args.dask:,} in {walls[workers]:.1f} s "
                f"({1e3 * walls[workers] / args.dask:.3f} ms/patient)"
            )
        same = np.array_equal(outs[1], outs[2], equal_nan=True)
        print(f"dask throughput 2 vs 1 workers: {walls[1] / walls[2]:.2f}x; identical: {same}")
    if args.trial:
        import tempfile

        from immunotwin.trials.stream import run_streamed

        spec = _setup()[0].model_copy(
            update={
                "patients_per_arm": args.trial,
                "arms": _setup()[0].arms[:1],
                "control_arm": None,
            }
        )
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            run_streamed(spec, tmp, chunk_patients=args.chunk)
            wall = time.perf_counter() - t
        print(
            f"streamed trial, 1 arm, N={args.trial:,}: {wall:.1f} s, "
            f"{1e3 * wall / args.trial:.3f} ms/patient (2 passes + endpoints + outputs); "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )


if __name__ == "__main__":
    main()
