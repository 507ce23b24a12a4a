"""End-to-end: synthetic run folder -> economics.json, PSA, tornado, CLI, HTML section."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from economics_testdata import make_run
from typer.testing import CliRunner

from immunotwin.economics import (
    EconomicsSettings,
    PsaSettings,
    economics_report_section,
    run_economics,
)
from immunotwin.economics.cli import app
from immunotwin.errors import InputError

FAST = EconomicsSettings(psa=PsaSettings(n_draws=40, seed=11))


@pytest.fixture(scope="module")
def econ(tmp_path_factory):
    root = make_run(tmp_path_factory.mktemp("run") / "r", n_per_arm=80)
    return root, run_economics(root, FAST)


def _finite_numbers(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _finite_numbers(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _finite_numbers(v)
    elif isinstance(obj, float):
        yield obj


def test_economics_json_written_atomically_and_complete(econ):
    root, result = econ
    path = root / "economics.json"
    on_disk = json.loads(path.read_text())
    assert on_disk["reference_arm"] == "chemotherapy" and on_disk["reference_is_control"]
    assert not [p for p in root.iterdir() if p.name.startswith(".economics.json")]
    assert all(math.isfinite(x) for x in _finite_numbers(on_disk))
    arms = {a["name"]: a for a in on_disk["arms"]}
    assert set(arms) == {"pembrolizumab", "chemotherapy"}
    for arm in arms.values():
        for model in ("partitioned_survival", "state_transition", "within_trial"):
            res = arm[model]
            assert res["costs"]["total"] == pytest.approx(
                sum(v for k, v in res["costs"].items() if k != "total")
            )
            assert 0 < res["qalys"] < res["life_years"] <= res["life_years_undiscounted"]
    # only pembrolizumab has a price: chemotherapy drug cost 0 and carboplatin reported unpriced
    assert arms["chemotherapy"]["partitioned_survival"]["costs"]["drug"] == 0
    assert arms["pembrolizumab"]["partitioned_survival"]["costs"]["drug"] > 0
    assert "carboplatin" in on_disk["unpriced_drugs"]
    assert any("carboplatin" in w for w in on_disk["warnings"])
    assert any("subsequent_therapy.chemotherapy" in m for m in on_disk["missing_cost_items"])
    inc = on_disk["incremental"]["partitioned_survival"][0]
    pembro, chemo = arms["pembrolizumab"], arms["chemotherapy"]
    dc = pembro["partitioned_survival"]["total_cost"] - chemo["partitioned_survival"]["total_cost"]
    dq = pembro["partitioned_survival"]["qalys"] - chemo["partitioned_survival"]["qalys"]
    assert inc["delta_cost"] == pytest.approx(dc)
    assert inc["icer"] == pytest.approx(dc / dq)
    assert inc["incremental_nmb"] == pytest.approx(150_000 * dq - dc)


def test_psa_reproducible_with_seed_and_ceac_sums_to_one(econ, tmp_path):
    root, result = econ
    again = run_economics(root, FAST)
    assert (
        again["psa"]["comparisons"][0]["delta_cost"]
        == result["psa"]["comparisons"][0]["delta_cost"]
    )
    other = run_economics(root, FAST.with_updates(psa={"n_draws": 40, "seed": 12}))
    assert (
        other["psa"]["comparisons"][0]["delta_cost"]
        != result["psa"]["comparisons"][0]["delta_cost"]
    )
    probs = np.array(list(result["psa"]["ceac"]["probability_optimal"].values()))
    np.testing.assert_allclose(probs.sum(axis=0), 1.0)
    assert len(result["psa"]["comparisons"][0]["delta_qaly"]) == 40
    # at WTP 0 the cheaper arm (chemotherapy, no priced drug) is optimal in every draw
    assert result["psa"]["ceac"]["probability_optimal"]["chemotherapy"][0] == 1.0


def test_tornado_sorted_and_price_moves_nmb_the_right_way(econ):
    _, result = econ
    table = result["tornado"][0]["parameters"]
    swings = [abs(t["incremental_nmb_high"] - t["incremental_nmb_low"]) for t in table]
    assert swings == sorted(swings, reverse=True)
    price = next(t for t in table if t["parameter"].startswith("price pembrolizumab"))
    assert price["incremental_nmb_high"] < price["incremental_nmb_low"]
    rate = next(t for t in table if t["parameter"].startswith("discount rate"))
    assert (rate["low_value"], rate["high_value"]) == (0.0, 0.05)


def test_no_control_arm_uses_least_costly_reference(tmp_path):
    root = make_run(tmp_path / "nc", n_per_arm=40, control_arm=None)
    result = run_economics(root, FAST.with_updates(psa={"n_draws": 0}))
    assert result["reference_is_control"] is False
    costs = {a["name"]: a["partitioned_survival"]["total_cost"] for a in result["arms"]}
    assert result["reference_arm"] == min(costs, key=costs.get)
    assert result["psa"] is None


def test_missing_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="summary.json"):
        run_economics(tmp_path)


def test_cli_writes_json_and_reports_errors(tmp_path):
    root = make_run(tmp_path / "cli", n_per_arm=40)
    runner = CliRunner()
    res = runner.invoke(
        app, [str(root), "--wtp", "100000", "--horizon-years", "10", "--psa-draws", "5"]
    )
    assert res.exit_code == 0, res.output
    written = json.loads((root / "economics.json").read_text())
    assert written["wtp_per_qaly"] == 100000 and written["horizon_years"] == 10
    bad = runner.invoke(app, [str(tmp_path / "nowhere")])
    assert bad.exit_code == 2
    assert "not a directory" in bad.output


def test_report_section_has_tables_and_svg(econ):
    _, result = econ
    html = economics_report_section(result)
    assert html.startswith('<section id="economics">') and html.endswith("</section>")
    assert "<svg" in html and "acceptability" in html
    assert "pembrolizumab vs chemotherapy" in html
    assert "<table" in html and "Efficiency frontier" in html
