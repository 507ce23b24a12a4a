"""HPV prevention cohort layer: hand calculation, invariants, spec errors, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from immunotwin.errors import SpecError
from immunotwin.prevention import PreventionSpec, prevented_fraction, run_prevention
from immunotwin.prevention.io import load_prevention_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _spec(coverage=0.8, efficacy=0.98, waning=0.0, horizon=10.0, rate=100.0) -> PreventionSpec:
    return PreventionSpec(
        name="test",
        age_at_vaccination_years=20,
        horizon_years=horizon,
        coverage=coverage,
        efficacy_waning_per_year=waning,
        types={
            "hpv16": {"efficacy": efficacy, "source": "test"},
            "hpv31": {"efficacy": 0.0, "source": "not covered"},
        },
        outcomes=[
            {
                "name": "cin2plus",
                "incidence": [{"age_from": 0, "age_to": 100, "per_100k_per_year": rate}],
                "incidence_source": "test",
                "type_attribution": {"hpv16": 0.5, "hpv31": 0.2},
                "attribution_source": "test",
            }
        ],
    )


def test_matches_hand_calculation():
    row = run_prevention(_spec()).iloc[0]
    h, t = 100.0 / 1e5, 10.0
    pf = 0.8 * 1.0 * (0.5 * 0.98 + 0.2 * 0.0)
    unvaccinated = 1e5 * (1 - math.exp(-h * t))
    vaccinated = 1e5 * (1 - math.exp(-h * t * (1 - pf)))
    assert row["prevented_fraction_full_protection"] == pytest.approx(pf)
    assert row["cases_unvaccinated_per_100k"] == pytest.approx(unvaccinated, rel=1e-9)
    assert row["cases_prevented_per_100k"] == pytest.approx(unvaccinated - vaccinated, rel=1e-9)


def test_zero_efficacy_or_coverage_prevents_nothing():
    assert run_prevention(_spec(efficacy=0.0)).iloc[0]["cases_prevented_per_100k"] == 0.0
    assert run_prevention(_spec(coverage=0.0)).iloc[0]["cases_prevented_per_100k"] == 0.0


def test_monotone_in_coverage_and_reduced_by_waning():
    prevented = [
        run_prevention(_spec(coverage=c)).iloc[0]["cases_prevented_per_100k"]
        for c in (0.0, 0.2, 0.5, 0.8, 1.0)
    ]
    assert all(b > a for a, b in zip(prevented, prevented[1:], strict=False))
    waned = run_prevention(_spec(waning=0.1)).iloc[0]["cases_prevented_per_100k"]
    assert 0.0 < waned < prevented[3]


def test_prevented_fraction_is_share_weighted():
    assert prevented_fraction({"a": 0.6, "b": 0.3}, {"a": 1.0}, 0.5, 1.0) == pytest.approx(0.3)


def test_spec_rejects_unknown_type_and_shares_above_one(tmp_path):
    with pytest.raises(ValueError, match="not in 'types'"):
        PreventionSpec(
            name="x",
            age_at_vaccination_years=12,
            horizon_years=10,
            coverage=0.5,
            types={"hpv16": {"efficacy": 0.9, "source": "src"}},
            outcomes=[
                {
                    "name": "c",
                    "incidence": [{"age_from": 0, "age_to": 50, "per_100k_per_year": 1}],
                    "incidence_source": "src",
                    "type_attribution": {"hpv99": 0.5},
                    "attribution_source": "src",
                }
            ],
        )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nage_at_vaccination_years: 12\nhorizon_years: 10\ncoverage: 1.5\n"
        "types: {hpv16: {efficacy: 0.9, source: x}}\noutcomes: []\n"
    )
    with pytest.raises(SpecError, match="coverage"):
        load_prevention_spec(bad)


def test_future2_example_reproduces_published_vaccinated_cases():
    spec = load_prevention_spec(EXAMPLES / "calibration" / "future2_hpv_vaccine.yaml")
    row = run_prevention(spec).iloc[0]
    # FUTURE II per-protocol: 42/5,260 placebo vs 1/5,305 vaccine over ~3 years
    assert row["cases_unvaccinated_per_100k"] == pytest.approx(42 / 5260 * 1e5, rel=0.05)
    assert row["cases_with_programme_per_100k"] == pytest.approx(1 / 5305 * 1e5, abs=10.0)


def test_cli_writes_outputs(tmp_path):
    import typer
    from typer.testing import CliRunner

    from immunotwin.prevention.cli import prevention

    app = typer.Typer()
    app.command()(prevention)
    result = CliRunner().invoke(
        app, [str(EXAMPLES / "prevention" / "hpv_prevention.yaml"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "cases prevented per 100,000" in result.output
    assert (tmp_path / "prevention.csv").is_file() and (tmp_path / "prevention.json").is_file()
