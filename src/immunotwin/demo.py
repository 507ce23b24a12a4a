"""The built-in demonstration (``immunotwin demo`` / ``make demo``).

A KEYNOTE-024-like virtual trial: first-line NSCLC with PD-L1 TPS >= 50 %, pembrolizumab
200 mg q3w (up to 35 cycles) versus carboplatin AUC 5 + pemetrexed 500 mg/m2 q3w x4, on the
shipped defaults. The spec ships inside the package, so the demo works from an installed
wheel; ``examples/keynote024_like.yaml`` is the same file.
"""

from __future__ import annotations

from pathlib import Path

from immunotwin.trials.load import load_trial_spec
from immunotwin.trials.spec import TrialSpec

DEMO_SPEC = Path(__file__).resolve().parent / "data" / "specs" / "demo_keynote024_like.yaml"


def demo_spec() -> TrialSpec:
    """The demo trial spec (validated like any user spec)."""
    return load_trial_spec(DEMO_SPEC)
