"""Runtime of one digital twin: N ensemble members x the 6 default NSCLC first-line regimens.

Usage: PYTHONPATH=src python bench/twin_runtime.py [--ensemble 1000] [--explain]
Prints wall-clock seconds per stage (prior, forecast of all regimens, counterfactuals), the
process's CPU seconds (a load-independent figure on a shared machine) and the load average.
Not a timed test: the figure depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from immunotwin.twin.build import build_twin
from immunotwin.twin.patient import read_patient


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ensemble", type=int, default=1000)
    ap.add_argument("--explain", action="store_true")
    args = ap.parse_args()
    root = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
    patient = read_patient(root / "examples" / "patients" / "nsclc_pdl1_high.json")
    build_twin(patient, n=10, seed=0, explain_ranking=False)  # warm-up: kernel, catalogues
    cpu0 = time.process_time()
    marks = [("start", time.perf_counter())]
    out = build_twin(
        patient,
        n=args.ensemble,
        seed=0,
        explain_ranking=args.explain,
        progress=lambda msg: (marks.append((msg, time.perf_counter())), print(msg, flush=True)),
    )
    marks.append(("end", time.perf_counter()))
    print(
        f"cpus available: {os.cpu_count()}; ensemble {args.ensemble}; "
        f"regimens {len(out['ranking'])}"
    )
    for (name, t0), (_, t1) in zip(marks, marks[1:], strict=False):
        print(f"  {name:<40} {t1 - t0:8.1f} s")
    print(
        f"total {marks[-1][1] - marks[0][1]:.1f} s wall, "
        f"{time.process_time() - cpu0:.1f} s CPU of this process "
        f"(load average at the end: {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
