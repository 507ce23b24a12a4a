"""Median PFS and OS bias of the calibration arms by line of therapy, from a validate run.

Groups the arms of ``immunotwin validate``'s ``validation.csv`` into first line and later lines
(an arm's line: :func:`immunotwin.population.fit.arm_line`) and prints, per endpoint, the median
of simulated/published and how many arms are over (> 1.25) or under (< 0.8). A diagnostic for
the later-line prognosis (docs/validation.md, model change 14).

    PYTHONPATH=src python bench/line_bias.py /tmp/val/validation.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from immunotwin.population.fit import arm_line

ROOT = Path(__file__).resolve().parents[1]


def line_bias(validation: pd.DataFrame) -> pd.DataFrame:
    """One row per endpoint and line group: arms, within 25 %, over, under, median ratio."""
    lines = validation["spec"].map(lambda spec: arm_line(spec, root=ROOT))
    rows = []
    for endpoint in ("pfs", "os"):
        published = validation[f"median_{endpoint}_published"]
        ratio = validation[f"median_{endpoint}_simulated"] / published
        scored = validation[f"{endpoint}_pass"].notna()
        for label, group in (("line 1", lines == 1), ("line >= 2", lines >= 2)):
            r = ratio[scored & group]
            passed = validation.loc[r.index, f"{endpoint}_pass"].astype(bool)
            rows.append(
                {
                    "endpoint": endpoint,
                    "lines": label,
                    "arms": len(r),
                    "within_25pct": int(passed.sum()),
                    "over": int((r > 1.25).sum()),
                    "under": int((r < 0.8).sum()),
                    "median_ratio": round(float(r.median()), 2),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("validation_csv", type=Path, help="validation.csv of `immunotwin validate`")
    args = parser.parse_args()
    print(line_bias(pd.read_csv(args.validation_csv)).to_string(index=False))


if __name__ == "__main__":
    main()
