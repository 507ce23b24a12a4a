"""Cohort CSVs, patient JSON, calibration targets/parameter sets and economics inputs:
mutated real files load or fail with an InputError naming file, row/column and fix."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from immunotwin.economics.io import load_settings, read_trial_run
from immunotwin.population.calibration_io import (
    SHIPPED_PARAMETER_SET,
    _packaged,
    read_arm_map,
    read_parameter_set,
    read_targets,
)
from immunotwin.population.validation import calibration_arms
from immunotwin.response.io import read_cohort, read_patient_json

from ._mutate import NASTY_SCALARS, mutated_text, mutated_tree
from ._support import fuzz_settings, run_parser, shared_data

_TMP = Path(tempfile.mkdtemp(prefix="immunotwin-fuzz-tables-"))


@st.composite
def mutated_frame(draw, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy().astype(object)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(("cell", "cell", "drop_column", "rename", "drop_rows", "dup")))
        if frame.shape[1] == 0 or frame.shape[0] == 0:
            break
        col = draw(st.sampled_from(list(frame.columns)))
        if op == "cell":
            row = draw(st.integers(0, len(frame) - 1))
            frame.iat[row, frame.columns.get_loc(col)] = draw(NASTY_SCALARS)
        elif op == "drop_column":
            frame = frame.drop(columns=col)
        elif op == "rename":
            frame = frame.rename(columns={col: draw(st.sampled_from([col.lower(), col + " ", ""]))})
        elif op == "drop_rows":
            frame = frame.iloc[: draw(st.integers(0, len(frame)))]
        else:
            frame = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    return frame


def _csv_text(draw, frame: pd.DataFrame) -> str:
    text = frame.to_csv(index=False)
    return draw(mutated_text(text, 2)) if draw(st.booleans()) else text


# --- cohort CSV (response) ---------------------------------------------------------------
@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(shared_data("icb", "LORIS_AllData__Chowell_train.csv")).head(8)


@fuzz_settings(80)
@given(st.data())
def test_cohort_csv(cohort, data):
    path = _TMP / "cohort.csv"
    path.write_text(
        _csv_text(data.draw, data.draw(mutated_frame(cohort))),
        encoding="utf-8",
        errors="surrogatepass",
    )
    out = run_parser("cohort CSV", lambda: read_cohort(path))
    if isinstance(out, pd.DataFrame):
        assert "CancerType" in out.columns
    else:
        assert out.source == str(path)


@fuzz_settings(60)
@given(st.data())
def test_patient_json(cohort, data):
    record = json.loads(cohort.iloc[:1].to_json(orient="records"))[0]
    tree = data.draw(mutated_tree(record))
    text = json.dumps(tree, allow_nan=True)
    if data.draw(st.booleans()):
        text = data.draw(mutated_text(text, 2))
    if not text.lstrip().startswith("{"):
        path = _TMP / "patient.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        text = str(path)
    run_parser("patient JSON", lambda: read_patient_json(text))


# --- calibration targets and parameter set ------------------------------------------------
@pytest.fixture(scope="module")
def targets() -> pd.DataFrame:
    return pd.read_csv(shared_data("calibration", "trials.csv"))


@fuzz_settings(60)
@given(st.data())
def test_calibration_targets_csv(targets, data):
    path = _TMP / "trials.csv"
    path.write_text(
        _csv_text(data.draw, data.draw(mutated_frame(targets))),
        encoding="utf-8",
        errors="surrogatepass",
    )

    def parse():
        return calibration_arms(read_arm_map(), read_targets(path))

    run_parser("calibration targets CSV", parse)


@fuzz_settings(60)
@given(st.data())
def test_parameter_set_json(data):
    tree = json.loads(_packaged(SHIPPED_PARAMETER_SET).read_text())
    text = json.dumps(data.draw(mutated_tree(tree)), allow_nan=True)
    if data.draw(st.booleans()):
        text = data.draw(mutated_text(text, 2))
    path = _TMP / "parameter_set.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    run_parser("calibration parameter set", lambda: read_parameter_set(path))


# --- economics inputs ---------------------------------------------------------------------
@fuzz_settings(60)
@given(st.data())
def test_economics_settings(data):
    tree = {
        "discount_rate_costs_per_year": 0.03,
        "discounting": "annual",
        "horizon_years": 10,
        "wtp_per_qaly": 100000,
        "vial_wastage": True,
        "psa": {"n_draws": 100},
    }
    text = yaml.safe_dump(data.draw(mutated_tree(tree)))
    if data.draw(st.booleans()):
        text = data.draw(mutated_text(text, 2))
    path = _TMP / "settings.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    run_parser("economics settings", lambda: load_settings(path))


@pytest.fixture(scope="module")
def trial_run(tmp_path_factory) -> Path:
    from immunotwin.demo import demo_spec
    from immunotwin.trials.run import run_spec

    out = tmp_path_factory.mktemp("run")
    spec = demo_spec().model_copy(update={"patients_per_arm": 6, "follow_up_months": 6.0})
    run_spec(spec, out)
    return out


@fuzz_settings(40)
@given(st.data())
def test_economics_trial_run(trial_run, data):
    run = _TMP / "run"
    run.mkdir(exist_ok=True)
    summary = json.loads((trial_run / "summary.json").read_text())
    what = data.draw(st.sampled_from(("summary", "patients", "doses", "missing")))
    (run / "summary.json").write_text(
        json.dumps(
            data.draw(mutated_tree(summary)) if what == "summary" else summary, allow_nan=True
        )
    )
    for name in ("patients.parquet", "doses.parquet"):
        frame = pd.read_parquet(trial_run / name)
        if what == name.split(".")[0]:
            frame = data.draw(mutated_frame(frame))
            frame = frame.rename(columns=str)
            for i in range(frame.shape[1]):  # parquet needs one type per column
                column = frame.iloc[:, i]
                if column.map(type).nunique() > 1:
                    frame.isetitem(i, column.map(lambda v: None if v is None else str(v)))
        try:
            frame.to_parquet(run / name)
        except (OverflowError, ValueError, TypeError):  # pyarrow cannot store this mutation
            assume(False)
    if what == "missing":
        (
            run / data.draw(st.sampled_from(["summary.json", "patients.parquet", "doses.parquet"]))
        ).unlink()
    run_parser("economics trial run", lambda: read_trial_run(run))
    np.seterr(all="warn")


def test_duplicate_columns(trial_run, tmp_path):
    """Regression: two columns of the same name made pandas raise 'truth value ... ambiguous'."""
    from immunotwin.economics.io import check_patients
    from immunotwin.errors import InputError
    from immunotwin.response.gate import check_cohort

    patients = pd.read_parquet(trial_run / "patients.parquet")
    doubled = pd.concat([patients, patients[["pfs_months"]]], axis=1)
    with pytest.raises(InputError, match="more than once"):
        check_patients(doubled, "patients.parquet")
    cohort = pd.DataFrame(
        [[1.0, 2.0, 3.9, 2.0, 60.0, "NSCLC"]],
        columns=["TMB", "TMB", "Albumin", "NLR", "Age", "CancerType"],
    )
    with pytest.raises(InputError, match="more than once"):
        check_cohort(cohort, "cohort")
