"""The command line: version, help, catalogue listing, SBML export, error handling."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from immunotwin import __version__
from immunotwin.cli import app

runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_every_verb_has_help_with_an_example():
    for verb in (
        ["demo"],
        ["model", "export-sbml"],
        ["catalog", "drugs"],
        ["catalog", "tumors"],
        ["catalog", "parameters"],
    ):
        result = runner.invoke(app, [*verb, "--help"])
        assert result.exit_code == 0, verb
        assert "Example" in result.stdout, verb


def test_catalog_drugs_json():
    result = runner.invoke(app, ["catalog", "drugs", "--json", "--class", "checkpoint_inhibitor"])
    assert result.exit_code == 0
    keys = {row["key"] for row in json.loads(result.stdout)}
    assert {"pembrolizumab", "nivolumab", "ipilimumab", "atezolizumab"} <= keys


def test_export_sbml(tmp_path):
    out = tmp_path / "m.xml"
    result = runner.invoke(app, ["model", "export-sbml", str(out), "--model", "kuznetsov_1994"])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("<?xml")


def test_unknown_model_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["model", "export-sbml", str(tmp_path / "m.xml"), "--model", "x"])
    assert result.exit_code == 2
    assert "unknown model 'x'" in result.output
    assert "fix:" in result.output
