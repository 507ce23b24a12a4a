"""Golden trial summaries: one per example spec, at a small patient count.

Regenerate deliberately after a change that moves the numbers (e.g. a model change)::

    PYTHONPATH=src python -m tests.golden.regenerate          # all examples
    PYTHONPATH=src python -m tests.golden.regenerate oak_like # some

and commit the changed ``tests/golden/*.json`` with the change that caused it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).resolve().parent
REPO_ROOT = GOLDEN_DIR.parents[1]
EXAMPLES = REPO_ROOT / "examples"
PATIENTS_PER_ARM = 20
SIGNIFICANT_DIGITS = 8


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def golden_summary(spec_path: Path) -> dict[str, Any]:
    """The summary of ``spec_path`` at PATIENTS_PER_ARM patients per arm (numbers rounded)."""
    from immunotwin.trials.engine import run_trial
    from immunotwin.trials.load import load_trial_spec
    from immunotwin.trials.outputs import arm_summaries

    spec = load_trial_spec(spec_path)
    spec = spec.model_validate({**spec.model_dump(), "patients_per_arm": PATIENTS_PER_ARM})
    result = run_trial(spec)
    return {
        "spec": spec_path.name,
        "patients_per_arm": PATIENTS_PER_ARM,
        "seed": spec.seed,
        "model_hash": result.model_hash,
        "calibration": result.provenance.get("calibration"),
        "arms": _round(arm_summaries(result)),
    }


def dumps(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=1, sort_keys=True) + "\n"


def golden_path(spec_path: Path) -> Path:
    return GOLDEN_DIR / f"{spec_path.stem}.json"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    for spec_path in sorted(EXAMPLES.glob("*.yaml")):
        if wanted and spec_path.stem not in wanted:
            continue
        text = dumps(golden_summary(spec_path))
        path = golden_path(spec_path)
        changed = not path.exists() or path.read_text() != text
        path.write_text(text)
        sys.stdout.write(f"{'updated' if changed else 'unchanged'}: {path.name}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
