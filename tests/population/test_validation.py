"""Validation table logic on hand-made arm runs (no simulation), and error isolation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from immunotwin.outcomes import TimeToEvent
from immunotwin.population.calibration import ParameterSet
from immunotwin.population.fit import objective, objective_summary, objective_terms, soft_l1
from immunotwin.population.validation import (
    ArmRun,
    compare,
    display_table,
    gradient_checks,
    published_orr_ci_pct,
    run_arms,
    target_lines,
    target_summary,
    to_markdown,
)


def _arm(trial, role, arm, spec, control="", **published):
    row = {
        "trial_id": trial,
        "arm_role": role,
        "arm": arm,
        "spec": spec,
        "hr_control_spec": control,
        "n": 100,
        "orr_pct": np.nan,
        "cr_pct": np.nan,
        "median_pfs_months": np.nan,
        "median_os_months": np.nan,
        "pfs_hr_vs_control": np.nan,
        "os_hr_vs_control": np.nan,
        "grade3plus_trae_pct": np.nan,
    }
    row.update(published)
    return row


def _run(spec, orr, pfs, os_, scale_days=100.0, n=200, seed=0):
    rng = np.random.default_rng(seed)
    times = rng.exponential(scale_days, n)
    summary = {
        "orr": orr,
        "cr_rate": 0.05,
        "median_pfs_months": pfs,
        "median_os_months": os_,
        "grade3plus_trae_rate": 0.1,
    }
    tte = TimeToEvent(times, np.ones(n, dtype=bool), "X")
    return ArmRun(spec=spec, n=n, follow_up_months=24.0, summary=summary, pfs=tte, os=tte)


def test_published_interval_is_exact_binomial():
    lo, hi = published_orr_ci_pct(35.0, 20)  # 7/20
    assert (round(lo, 2), round(hi, 2)) == (15.39, 59.22)
    assert all(math.isnan(x) for x in published_orr_ci_pct(float("nan"), 20))


def test_pass_fail_rules():
    arms = pd.DataFrame(
        [
            _arm(
                "T1",
                "experimental",
                "a",
                "a.yaml",
                "b.yaml",
                orr_pct=40.0,
                median_pfs_months=10.0,
                median_os_months=20.0,
            ),
            _arm("T1", "control", "b", "b.yaml", orr_pct=20.0, median_pfs_months=5.0),
            _arm("T2", "single_arm", "c", "c.yaml", orr_pct=30.0, median_os_months=12.0),
        ]
    )
    runs = {
        "a.yaml": _run("a.yaml", 0.46, 12.4, float("nan"), scale_days=200, seed=1),  # +6 pp
        "b.yaml": _run("b.yaml", 0.28, 3.0, 9.0, scale_days=100, seed=2),  # +8 pp, PFS -40 %
        "c.yaml": ArmRun(spec="c.yaml", n=10, follow_up_months=24.0, error="SpecError: boom"),
    }
    t = compare(arms, runs).set_index("arm")
    assert t.loc["a", "orr_pass"] and t.loc["a", "pfs_pass"]
    assert t.loc["a", "os_not_reached"] and t.loc["a", "os_pass"] == False  # noqa: E712
    assert not t.loc["b", "orr_pass"] and t.loc["b", "pfs_pass"] == False  # noqa: E712
    assert t.loc["b", "os_pass"] is None  # nothing published
    assert t.loc["a", "pfs_hr_simulated"] < 0.7  # 2x longer times -> HR ~0.5
    assert math.isnan(t.loc["b", "pfs_hr_simulated"])
    assert t.loc["c", "error"] == "SpecError: boom" and not t.loc["c", "orr_pass"]
    shown = display_table(t.reset_index())
    assert shown.loc[2, "ORR sim %"] == "error" and shown.loc[0, "mOS sim"] == "NR"
    assert to_markdown(shown).count("\n") == 4
    summary = target_summary(t.reset_index(), gradient_checks(t.reset_index()))
    assert summary["orr_within_7pp"] == {"pass": 1, "of": 3}
    assert summary["arms_failed"] == 1 and not summary["orr_target_met"]


def test_target_summary_scopes_the_orr_target_to_checkpoint_chemo_and_control_arms():
    table = pd.DataFrame(
        {
            "arm_role": ["experimental", "control", "single_arm", "single_arm", "control"],
            "arm_class": ["checkpoint", "chemotherapy", "car_t", "car_t", "other"],
            "orr_pass": [True, False, False, None, True],
            "pfs_pass": [None] * 5,
            "os_pass": [None] * 5,
            "error": [None] * 5,
        }
    )
    summary = target_summary(table, pd.DataFrame(columns=["pass"]))
    assert summary["orr_within_7pp"] == {"pass": 2, "of": 4}
    assert summary["orr_within_7pp_checkpoint_chemo_control"] == {"pass": 2, "of": 3}
    assert summary["orr_share_checkpoint_chemo_control"] == pytest.approx(2 / 3)
    assert target_lines(summary) == [
        "ORR within 7 pp, all arms: 2/4 (50 %; target 80 %, not met)",
        "ORR within 7 pp, checkpoint, chemotherapy and control arms: 2/3 (67 %; target 80 %, "
        "not met)",
    ]
    assert summary["orr_within_7pp_by_class"] == {
        "car_t": {"pass": 0, "of": 1},
        "checkpoint": {"pass": 1, "of": 1},
        "chemotherapy": {"pass": 0, "of": 1},
        "other": {"pass": 1, "of": 1},
    }


def test_gradient_checks():
    rows = [
        _arm(
            "KEYNOTE-024",
            "experimental",
            "pembrolizumab",
            "k24",
            median_os_months=26.3,
            os_hr_vs_control=0.62,
        ),
        _arm(
            "KEYNOTE-042",
            "experimental",
            "pembrolizumab",
            "k42",
            median_os_months=16.7,
            os_hr_vs_control=0.81,
        ),
        _arm("KEYNOTE-158 (TMB)", "single_arm", "tmb_high", "hi", orr_pct=28.3),
        _arm("KEYNOTE-158 (TMB)", "single_arm", "tmb_low", "lo", orr_pct=6.5),
        _arm(
            "KEYNOTE-002",
            "experimental",
            "pembrolizumab_2mgkg",
            "d2",
            orr_pct=21.0,
            median_pfs_months=2.9,
        ),
        _arm(
            "KEYNOTE-002",
            "experimental",
            "pembrolizumab_10mgkg",
            "d10",
            orr_pct=25.0,
            median_pfs_months=2.9,
        ),
    ]
    runs = {
        "k24": _run("k24", 0.45, 8.0, 25.0),
        "k42": _run("k42", 0.30, 6.0, 17.0),
        "hi": _run("hi", 0.30, 3.0, 11.0),
        "lo": _run("lo", 0.20, 3.0, 11.0),
        "d2": _run("d2", 0.22, 3.0, 11.0),
        "d10": _run("d10", 0.24, 3.2, 11.0),
    }
    checks = gradient_checks(compare(pd.DataFrame(rows), runs)).set_index("check")
    passed = {c.split(":")[0]: bool(p) for c, p in checks["pass"].items()}
    # TMB-low simulated 20 % vs published 6.5 %: outside +/-7 pp, so the gradient fails
    assert passed == {
        "PD-L1 gradient": True,
        "TMB gradient": False,
        "Flat PD-1 dose response": True,
    }


def test_objective_standardises_by_the_target_tolerance():
    table = pd.DataFrame(
        [
            {
                "trial_id": "T",
                "arm": "a",
                "error": None,
                "follow_up_months": 24.0,
                "orr_published": 20.0,
                "orr_simulated": 27.0,
                "cr_published": np.nan,
                "cr_simulated": 5.0,
                "median_pfs_published": 4.0,
                "median_pfs_simulated": 5.0,
                "pfs_not_reached": False,
                "median_os_published": 30.0,
                "median_os_simulated": np.nan,
                "os_not_reached": True,
            }
        ]
    )
    z = objective_terms(table).set_index("endpoint")["z"]
    assert z["orr"] == pytest.approx(1.0)  # 7 pp = one tolerance
    assert z["pfs"] == pytest.approx(1.0)  # x1.25 = one tolerance
    assert z["os"] == pytest.approx(math.log(24 / 30) / math.log(1.25))  # NR read at follow-up
    assert "cr" not in z
    assert objective(table) == pytest.approx(
        soft_l1(np.array([1.0]))[0] * 1.5 + 0.5 * soft_l1(np.array([z["os"]]))[0]
    )
    summary = objective_summary(table)
    assert summary["total"] == pytest.approx(objective(table), abs=0.01)
    assert set(summary["by_endpoint"]) == {"orr", "pfs", "os"}
    assert summary["by_endpoint"]["orr"] == pytest.approx(soft_l1(np.array([1.0]))[0], abs=0.01)


def test_cell_therapy_toxicity_enters_the_objective_like_orr():
    row = {
        "trial_id": "ZUMA",
        "arm": "car-t",
        "error": None,
        "follow_up_months": 24.0,
        "orr_published": np.nan,
        "orr_simulated": 80.0,
        "cr_published": np.nan,
        "cr_simulated": 50.0,
        "median_pfs_published": np.nan,
        "median_pfs_simulated": np.nan,
        "pfs_not_reached": True,
        "median_os_published": np.nan,
        "median_os_simulated": np.nan,
        "os_not_reached": True,
        "crs_grade3plus_published": 13.0,
        "crs_grade3plus_simulated": 27.0,
        "icans_grade3plus_published": 28.0,
        "icans_grade3plus_simulated": 28.0,
    }
    terms = objective_terms(pd.DataFrame([row])).set_index("endpoint")
    assert terms.loc["crs3", "z"] == pytest.approx(2.0)  # 14 pp = two 7-pp tolerances
    assert terms.loc["icans3", "z"] == pytest.approx(0.0)
    assert terms.loc["crs3", "loss"] == pytest.approx(0.5 * soft_l1(np.array([2.0]))[0])


def test_a_failing_arm_is_reported_and_the_run_goes_on(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text("name: x\ntumor_type: nowhere\narms: []\n")
    seen = []
    runs = run_arms(
        ["bad.yaml", "missing.yaml"],
        root=tmp_path,
        patients=5,
        parameter_set=ParameterSet.identity(),
        progress=lambda spec, done, total: seen.append((spec, done, total)),
    )
    assert [r.ok for r in runs.values()] == [False, False]
    assert all(r.error for r in runs.values())
    assert seen[-1] == ("missing.yaml", 2, 2)
