"""End-to-end virtual trial: outputs exist, follow their contracts, and are reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from immunotwin.cli import app
from immunotwin.demo import DEMO_SPEC, demo_spec
from immunotwin.engine import ProcessExecutor
from immunotwin.trials.run import run_spec

SCHEMA = Path(__file__).resolve().parents[2] / "src/immunotwin/data/schemas/summary.schema.json"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def small_spec():
    return demo_spec().model_copy(update={"patients_per_arm": 40, "follow_up_months": 18.0})


@pytest.fixture(scope="module")
def run_dir(small_spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("trial")
    run_spec(small_spec, out)
    return out


def test_all_outputs_are_written(run_dir):
    for name in (
        "summary.json",
        "patients.parquet",
        "doses.parquet",
        "adtte.parquet",
        "adrs.parquet",
        "report.html",
    ):
        assert (run_dir / name).stat().st_size > 0, name
    assert not list(run_dir.glob(".*.tmp"))


def test_summary_validates_against_shipped_schema(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    jsonschema.validate(summary, json.loads(SCHEMA.read_text()))
    control = [a for a in summary["arms"] if a["name"] == "chemotherapy"][0]
    assert control["pfs_hr_vs_control"] is None
    assert summary["arms"][0]["pfs_hr_vs_control"] > 0


def test_patients_table_is_consistent(run_dir):
    p = pd.read_parquet(run_dir / "patients.parquet")
    assert len(p) == 80 and p["patient_id"].is_unique
    by_arm = p.groupby("arm")["virtual_patient_id"].apply(list)
    assert by_arm["pembrolizumab"] == by_arm["chemotherapy"]  # paired patients
    assert (p["pfs_months"] <= p["os_months"] + 1e-9).all()
    assert (p["os_months"] <= 18.0 + 1e-9).all()
    assert p["best_overall_response"].isin(["CR", "PR", "SD", "PD", "NE"]).all()
    assert (p["pdl1_tps"] >= 0.5).all()  # the spec's population filter


def test_adtte_is_adam_shaped(run_dir):
    adtte = pd.read_parquet(run_dir / "adtte.parquet")
    assert set(adtte["PARAMCD"]) <= {"OS", "PFS", "DOR"}
    assert set(adtte["CNSR"]) <= {0, 1}
    p = pd.read_parquet(run_dir / "patients.parquet")
    os_rows = adtte[adtte["PARAMCD"] == "OS"].set_index("USUBJID")
    np.testing.assert_allclose(os_rows.loc[p["usubjid"], "AVAL"], p["os_months"])


def test_treatment_stops_at_progression(run_dir):
    p = pd.read_parquet(run_dir / "patients.parquet").set_index("patient_id")
    doses = pd.read_parquet(run_dir / "doses.parquet")
    stop = np.minimum(p["pd_day"], p["death_day"])
    assert (doses["day"].to_numpy() <= stop.loc[doses["patient_id"]].to_numpy()).all()


def test_same_seed_same_numbers_serial_or_parallel(small_spec, run_dir, tmp_path):
    run_spec(small_spec, tmp_path, executor=ProcessExecutor(2))
    a = json.loads((run_dir / "summary.json").read_text())["arms"]
    b = json.loads((tmp_path / "summary.json").read_text())["arms"]
    assert a == b
    pd.testing.assert_frame_equal(
        pd.read_parquet(run_dir / "patients.parquet"),
        pd.read_parquet(tmp_path / "patients.parquet"),
    )


def test_invalid_spec_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO_SPEC.read_text().replace("pembrolizumab, dose", "pembrolizumib, dose"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["trial", "run", str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "unknown drug 'pembrolizumib'" in result.output
    assert not out.exists()


def test_example_spec_is_the_packaged_demo_spec():
    assert (EXAMPLES / "keynote024_like.yaml").read_text() == DEMO_SPEC.read_text()


def test_visit_schedule_and_criteria_are_taken_from_the_spec(small_spec, tmp_path):
    from immunotwin.trials.spec import VisitSchedule

    spec = small_spec.model_copy(
        update={
            "patients_per_arm": 15,
            "response_criteria": "irecist",
            "visit_schedule": VisitSchedule(
                every_weeks_early=8, until_week=24, every_weeks_late=16
            ),
        }
    )
    run_spec(spec, tmp_path)
    adrs = pd.read_parquet(tmp_path / "adrs.parquet")
    days = sorted(set(adrs.loc[adrs["PARAMCD"] == "OVR", "ADY"].dropna()))
    assert days[:5] == [0.0, 56.0, 112.0, 168.0, 280.0]
    assert set(adrs["AVALC"]) <= {"BASELINE", "CR", "PR", "SD", "PD", "NE", "IUPD", "ICPD"}


def test_listed_scan_weeks_reach_the_response_records(small_spec, tmp_path):
    from immunotwin.trials.spec import VisitSchedule

    spec = small_spec.model_copy(
        update={
            "patients_per_arm": 10,
            "visit_schedule": VisitSchedule(weeks=(6, 12, 21), every_weeks_late=12),
        }
    )
    run_spec(spec, tmp_path)
    adrs = pd.read_parquet(tmp_path / "adrs.parquet")
    days = sorted(set(adrs.loc[adrs["PARAMCD"] == "OVR", "ADY"].dropna()))
    assert days[:5] == [0.0, 42.0, 84.0, 147.0, 231.0]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_runs(path, tmp_path):
    from immunotwin.trials.load import load_trial_spec

    spec = load_trial_spec(path).model_copy(update={"patients_per_arm": 8, "follow_up_months": 6.0})
    summary = run_spec(spec, tmp_path)
    assert [a["name"] for a in summary["arms"]] == [a.name for a in spec.arms]
    assert all(a["failed_patients"] == 0 for a in summary["arms"])


def test_economics_adds_one_section_to_the_report(run_dir, tmp_path):
    import shutil

    target = tmp_path / "run"
    shutil.copytree(run_dir, target)
    for _ in range(2):  # idempotent: a re-run replaces the section
        result = CliRunner().invoke(app, ["economics", str(target), "--psa-draws", "20"])
        assert result.exit_code == 0, result.output
    html = (target / "report.html").read_text()
    assert html.count('<section id="economics"') == 1
    assert html.index('<section id="economics"') < html.index("Specification and provenance")
    assert (target / "economics.json").exists()


def test_toxicity_management_stops_checkpoint_doses_and_starts_steroids(tmp_path):
    """Brief §2.7: steroids from grade 2, discontinuation at grade 4 (or grade >= 3
    colitis/pneumonitis on anti-CTLA-4); no dose is given after discontinuation."""
    from immunotwin.trials.load import load_trial_spec

    spec = load_trial_spec(EXAMPLES / "checkmate067_like.yaml")
    spec = spec.model_copy(
        update={
            "patients_per_arm": 40,
            "follow_up_months": 9.0,
            "arms": spec.arms[:1],
            "control_arm": None,
        }
    )
    run_spec(spec, tmp_path)
    p = pd.read_parquet(tmp_path / "patients.parquet").set_index("patient_id")
    doses = pd.read_parquet(tmp_path / "doses.parquet")
    assert {"ici_discontinued_day", "steroids_start_day"} <= set(p.columns)
    stopped = p["ici_discontinued_day"]
    assert (doses["day"].to_numpy() <= stopped.loc[doses["patient_id"]].to_numpy()).all()
    treated = np.isfinite(p["steroids_start_day"])
    assert treated.any()  # nivolumab + ipilimumab causes grade >= 2 irAEs in some patients
    both = treated & np.isfinite(stopped)
    assert (p.loc[both, "steroids_start_day"] <= p.loc[both, "ici_discontinued_day"]).all()
