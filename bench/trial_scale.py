"""Trial-path scale benchmark: `immunotwin trial run` streamed, timed and memory-measured.

Runs the real command line (``python -m immunotwin.cli trial run SPEC --chunk-patients C``) as
a child process for each N, so every cost of a user's run is in the figure: start-up, virtual
patients, parameter sampling, both simulation passes (full schedule, then doses stopped at
progression), RECIST endpoints, costs, Parquet parts, consolidation, summary and report.
Peak RSS is the child's ``ru_maxrss`` (for ``--dask-local`` runs: the largest single process
of the tree, driver or worker). The default spec is ``bench/specs/pembrolizumab_2y.yaml``
(NSCLC, pembrolizumab 200 mg q3w, 2 years, one arm, so N patients = N simulated patients).

    python bench/trial_scale.py --sizes 1000 10000               # linearity 10^3 -> 10^4
    python bench/trial_scale.py --sizes 100000 1000000 --chunk 10000
    python bench/trial_scale.py --sizes --dask 4000               # 1 vs 2 local Dask workers

"ms/patient (net)" subtracts the fixed cost (start-up, kernel load, report) measured by a
100-patient run, so that the linearity check compares the per-patient cost only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _shared import cpu_model

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO / "bench" / "specs" / "pembrolizumab_2y.yaml"


def run_trial(spec: Path, n: int, out: Path, extra: list[str]) -> tuple[float, float]:
    """Run ``immunotwin trial run`` in a child process; (wall seconds, peak RSS MB)."""
    cmd = [
        sys.executable,
        "-m",
        "immunotwin.cli",
        "trial",
        "run",
        str(spec),
        "--out",
        str(out),
        "--patients",
        str(n),
        *extra,
    ]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"trial run failed ({' '.join(cmd)}):\n{proc.stdout}\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the maximum over all waited-for descendants so far; a smaller
    # run after a larger one cannot be told apart, so sizes run in increasing order.
    return wall, max(peak, before) / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000])
    parser.add_argument("--chunk", type=int, default=5000, help="--chunk-patients")
    parser.add_argument("--workers", type=int, default=1, help="--workers for the size runs")
    parser.add_argument("--dask", type=int, default=0, help="N for 1 vs 2 Dask workers (0: skip)")
    parser.add_argument("--keep", type=Path, default=None, help="keep outputs in this folder")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}); python {platform.python_version()};"
        f" load average {os.getloadavg()[0]:.1f}"
    )
    root = args.keep or Path(tempfile.mkdtemp(prefix="immunotwin-trial-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    extra = ["--chunk-patients", str(args.chunk)]
    if args.workers > 1:
        extra += ["--workers", str(args.workers)]
    if args.sizes:
        run_trial(args.spec, 100, root / "warm", extra)  # compiles the kernel if not cached
        fixed, _ = run_trial(args.spec, 100, root / "fixed", extra)
        print(f"fixed cost (100-patient run: start-up, kernel load, outputs): {fixed:.1f} s")
        print(
            f"{'N':>10} {'wall s':>9} {'ms/patient':>11} {'net ms/pt':>10} {'peak RSS MB':>12}"
            f"   (chunks of {args.chunk:,}, workers {args.workers})"
        )
    net = {}
    for n in sorted(args.sizes):
        wall, rss = run_trial(args.spec, n, root / f"n{n}", extra)
        net[n] = 1e3 * (wall - fixed) / max(n - 100, 1)
        print(f"{n:>10,} {wall:>9.1f} {1e3 * wall / n:>11.3f} {net[n]:>10.3f} {rss:>12.0f}")
    if len(net) > 1:
        lo = min(net)
        ratios = {n: net[n] / net[lo] for n in net}
        print(
            "linearity (net ms/patient relative to N="
            f"{lo:,}): "
            + ", ".join(f"N={n:,}: {r:.2f}" for n, r in ratios.items())
            + f"; within +-20 %: {all(0.8 <= r <= 1.2 for r in ratios.values())}"
        )
    if args.dask:
        import pandas as pd

        walls, tables = {}, {}
        for workers in (1, 2):
            out = root / f"dask{workers}"
            flags = ["--chunk-patients", "1000", "--dask-local", str(workers)]
            walls[workers], rss = run_trial(args.spec, args.dask, out, flags)
            tables[workers] = (
                pd.read_parquet(out / "patients.parquet"),
                json.loads((out / "summary.json").read_text()),
            )
            print(
                f"dask-local {workers}: N={args.dask:,} in {walls[workers]:.1f} s "
                f"({1e3 * walls[workers] / args.dask:.3f} ms/patient, includes cluster start)"
            )
        same_rows = tables[1][0].equals(tables[2][0])
        s1, s2 = (dict(t[1]) for t in (tables[1], tables[2]))
        for s in (s1, s2):
            s.pop("run", None)  # run metadata (timestamps, executor) may differ
        print(
            f"dask throughput 2 vs 1 workers: {walls[1] / walls[2]:.2f}x (target >= 1.6x); "
            f"patients.parquet identical: {same_rows}; summary identical: {s1 == s2}"
        )
    if args.keep:
        print(f"outputs under {root}")


if __name__ == "__main__":
    main()
