"""Numerical robustness: virtual patients drawn at the edges of every prior, in every therapy
family (checkpoint, chemotherapy, radiotherapy, IL-2, IFN-alpha, antibodies), either give
finite non-negative states or a per-patient failure status with a reason, and the summary
counts the failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import immunotwin.model.immune.baseline as baseline
import immunotwin.trials.engine as trial_engine
from immunotwin.engine import SolveStatus
from immunotwin.trials.load import load_trial_spec
from immunotwin.trials.outputs import arm_summaries

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").exists())
#: one example spec per therapy family
FAMILIES = {
    "checkpoint": "checkmate067_like.yaml",
    "chemotherapy": "keynote189_like.yaml",
    "radiotherapy": "pacific_like.yaml",
    "il2_ifn": "hd_il2_melanoma_like.yaml",
    "antibody": "her2_trastuzumab_like.yaml",
    "anti_cd20": "rituximab_follicular_like.yaml",
}
N_PATIENTS = 8
LOGNORMAL_Z = 3.0  # edges of a lognormal prior: value * exp(+-3 sigma)


def prior_edges(model) -> tuple[np.ndarray, np.ndarray]:
    """Per parameter, the low and high edge of its prior (catalogue units)."""
    low, high = [], []
    for p in model.parameters:
        d = p.distribution
        if d.kind == "lognormal":
            lo, hi = (
                p.value * np.exp(-LOGNORMAL_Z * d.sigma),
                p.value * np.exp(LOGNORMAL_Z * d.sigma),
            )
        elif d.kind in ("uniform", "loguniform"):
            lo, hi = d.low, d.high
        else:
            lo = hi = p.value
        low.append(lo)
        high.append(hi)
    return np.array(low), np.array(high)


def edge_sampler(model, rng, n):
    """Patient 0 at every low edge, patient 1 at every high edge, the rest random corners."""
    low, high = prior_edges(model)
    corner = np.random.default_rng(2026).random((n, low.size)) < 0.5
    out = np.where(corner, high, low)
    out[0] = low
    if n > 1:
        out[1] = high
    return out


def test_prior_edges_cover_every_distribution():
    model, _ = trial_engine._model_and_kernel()
    low, high = prior_edges(model)
    varied = [p.name for p in model.parameters if p.distribution.kind != "fixed"]
    assert varied and np.all(low <= high)
    assert (high > low).sum() == len(varied)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_edge_patients_are_finite_or_reported(family, monkeypatch):
    spec = load_trial_spec(ROOT / "examples" / FAMILIES[family])
    spec = spec.model_validate(
        {**spec.model_dump(), "patients_per_arm": N_PATIENTS, "follow_up_months": 12.0}
    )
    monkeypatch.setattr(baseline, "sample_parameters", edge_sampler)
    seen = []
    real_simulate = trial_engine.simulate

    def checked_simulate(*args, **kwargs):
        result = real_simulate(*args, **kwargs)
        ok = result.status == SolveStatus.OK
        states = result.states[ok]
        assert np.isfinite(states).all(), f"{family}: non-finite state in an OK patient"
        assert (states >= -1e-6 * (1 + np.abs(states).max())).all(), (
            f"{family}: negative state in an OK patient: {states.min()}"
        )
        seen.append(result.status.copy())
        return result

    monkeypatch.setattr(trial_engine, "simulate", checked_simulate)
    result = trial_engine.run_trial(spec)
    assert seen, "the engine was called"
    rows = arm_summaries(result)
    for arm, row in zip(result.arms, rows, strict=True):
        p = arm.patients
        failed = p["solver_status"].to_numpy() != 0
        assert row["failed_patients"] == int(failed.sum())
        assert row["n"] == N_PATIENTS, "failed patients are counted, never dropped"
        assert (p.loc[failed, "best_overall_response"] == "NE").all()
        assert (p.loc[failed, "failure_reason"].str.len() > 10).all()
        assert (p.loc[~failed, "failure_reason"] == "").all()
        ok = p.loc[~failed]
        for col in ("pfs_months", "os_months"):
            assert np.isfinite(ok[col]).all() and (ok[col] >= 0).all()
