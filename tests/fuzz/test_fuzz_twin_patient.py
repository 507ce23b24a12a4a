"""The digital twin's patient file (JSON or YAML, docs/patient.md): structure-aware mutations of
the example patients must either load or raise an ImmunotwinError naming file, field and fix."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from immunotwin.twin.patient import read_patient

from ._mutate import mutated_text, mutated_tree
from ._support import fuzz_settings, repo_root, run_parser

_TMP = Path(tempfile.mkdtemp(prefix="fuzz-twin-patient-"))


@pytest.fixture(scope="module")
def examples() -> list[dict]:
    files = sorted((repo_root() / "examples" / "patients").glob("*.json"))
    assert files, "examples/patients/*.json are the seed corpus"
    return [json.loads(f.read_text()) for f in files]


@fuzz_settings(80)
@given(st.data())
def test_twin_patient_file(examples, data):
    seed = data.draw(st.sampled_from(examples))
    tree = data.draw(mutated_tree(seed))
    as_yaml = data.draw(st.booleans())
    text = yaml.safe_dump(tree) if as_yaml else json.dumps(tree, allow_nan=True)
    if data.draw(st.booleans()):
        text = data.draw(mutated_text(text, 2))
    path = _TMP / ("patient.yaml" if as_yaml else "patient.json")
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    run_parser("twin patient file", lambda: read_patient(path))
