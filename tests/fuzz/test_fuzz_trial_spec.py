"""Trial spec YAML/JSON: mutated example specs load or fail with a SpecError naming file,
field (and line) and fix."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from immunotwin.trials.load import load_trial_spec
from immunotwin.trials.spec import TrialSpec

from ._mutate import mutated_text, mutated_tree
from ._support import fuzz_settings, repo_root, run_parser

EXAMPLES = sorted((repo_root() / "examples").glob("*.yaml"))
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES}
TREES = {name: yaml.safe_load(text) for name, text in TEXTS.items()}
_TMP = Path(tempfile.mkdtemp(prefix="immunotwin-fuzz-spec-"))


def _load(text: str, suffix: str):
    path = _TMP / f"spec{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    out = run_parser("trial spec", lambda: load_trial_spec(path))
    if isinstance(out, TrialSpec):
        assert out.arms and out.patients_per_arm >= 1
    else:
        assert str(path) == out.source
    return out


def test_examples_exist():
    assert len(EXAMPLES) >= 5


@fuzz_settings(80)
@given(st.data())
def test_mutated_spec_structure(data):
    name = data.draw(st.sampled_from(sorted(TREES)))
    tree = data.draw(mutated_tree(TREES[name]))
    if data.draw(st.booleans()):
        _load(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False), ".yaml")
    else:
        _load(json.dumps(tree), ".json")


@fuzz_settings(80)
@given(st.data())
def test_mutated_spec_text(data):
    name = data.draw(st.sampled_from(sorted(TEXTS)))
    _load(data.draw(mutated_text(TEXTS[name])), ".yaml")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---\n",
        "[1, 2]\n",
        "a: b: c\n",
        "\ufeffname: x\n",
        "name: &a [*a]\n",
        "!!python/object:os.system ls\n",
        "? [a]\n: b\n",
        "a: " + "[" * 3000 + "\n",
        "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,"
        "*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,"
        "*e,*e,*e]\n",
    ],
)
def test_degenerate_spec_files(text):
    _load(text, ".yaml")
