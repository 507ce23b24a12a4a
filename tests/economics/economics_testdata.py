"""Synthetic finished trial runs (summary.json, patients.parquet, doses.parquet) for tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

MONTH = 30.4375


def make_run(
    root: Path,
    *,
    n_per_arm: int = 120,
    seed: int = 3,
    follow_up_months: float = 36.0,
    control_arm: str | None = "chemotherapy",
) -> Path:
    """Two arms with exponential PFS/OS, administrative censoring and q3w dosing."""
    rng = np.random.default_rng(seed)
    arms = {
        # name: (median PFS months, median post-progression survival months, drug, mg, cycles)
        "pembrolizumab": (10.0, 14.0, "pembrolizumab", 200.0, 35),
        "chemotherapy": (6.0, 8.0, "carboplatin", 600.0, 4),
    }
    patients, doses = [], []
    pid = 0
    for arm, (m_pfs, m_post, drug, mg, cycles) in arms.items():
        for _ in range(n_per_arm):
            prog = rng.exponential(m_pfs / np.log(2))
            death = prog + rng.exponential(m_post / np.log(2))
            os_m = min(death, follow_up_months)
            pfs_m = min(prog, follow_up_months)
            responder = rng.random() < (0.45 if arm == "pembrolizumab" else 0.28)
            patients.append(
                {
                    "patient_id": pid,
                    "arm": arm,
                    "pfs_months": pfs_m,
                    "pfs_event": int(prog <= follow_up_months),
                    "os_months": os_m,
                    "os_event": int(death <= follow_up_months),
                    "best_overall_response": "PR" if responder else "SD",
                    "grade3plus_ae": bool(rng.random() < 0.2),
                    "worst_grade_colitis": int(rng.random() < 0.05) * 3,
                    "worst_grade_pneumonitis": int(rng.random() < 0.03) * 3,
                }
            )
            for c in range(cycles):
                day = 21.0 * c
                if day >= pfs_m * MONTH:
                    break
                doses.append(
                    {
                        "patient_id": pid,
                        "arm": arm,
                        "drug": drug,
                        "day": day,
                        "amount": mg,
                        "amount_unit": "mg",
                    }
                )
            pid += 1
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(patients).to_parquet(root / "patients.parquet")
    pd.DataFrame(doses).to_parquet(root / "doses.parquet")
    spec = {
        "name": "synthetic",
        "follow_up_months": follow_up_months,
        "control_arm": control_arm,
        "arms": [{"name": a} for a in arms],
    }
    (root / "summary.json").write_text(json.dumps({"spec": spec, "arms": []}))
    return root


def repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent
    raise RuntimeError("pyproject.toml not found above the tests")


def shared_data() -> Path:
    """``../shared/data`` beside the repository (override with IMMUNOTWIN_SHARED_DATA)."""
    override = os.environ.get("IMMUNOTWIN_SHARED_DATA")
    return Path(override) if override else repo_root().parent / "shared" / "data"
