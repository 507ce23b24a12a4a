"""Issue-5 model fixes: no spontaneous regression of untreated tumours, and a TMB-dependent
CD8 kill (the neoantigen-breadth factor); the fit's arm classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from immunotwin.errors import InputError
from immunotwin.population.fit import (
    HAZARD_TUMOURS,
    POTENCY_DRUGS,
    STAGES,
    arm_class,
    select_stages,
)
from immunotwin.therapies.catalog import load_drug_catalog

REPO_ROOT = Path(__file__).resolve().parents[2]


def _untreated_patients(compiled, n: int, seed: int):
    from immunotwin.model.immune.baseline import baseline_state, sample_parameters
    from immunotwin.population.biomarker_map import apply_biomarkers
    from immunotwin.population.catalog import load_tumor_catalog
    from immunotwin.population.virtual_patients import sample_patients
    from immunotwin.trials.engine import _tumour_cells_from_sld

    model = compiled.model
    tumour = load_tumor_catalog().get("nsclc")
    patients = sample_patients(tumour, n, seed=seed, filters={})
    rng = np.random.default_rng(seed)
    params = apply_biomarkers(model, sample_parameters(model, rng, n), patients, tumour)
    pi = model.parameter_index
    cells = _tumour_cells_from_sld(
        patients["baseline_sld_mm"].to_numpy(),
        params[:, pi("cancer_cell_volume")],
        params[:, pi("tumor_cell_volume_fraction")],
    )
    return params, baseline_state(compiled, params, cells)


def test_untreated_tumours_do_not_regress(compiled):
    """Before the fix ~12 % of untreated virtual NSCLC patients reached a RECIST PR (large
    burdens above the logistic capacity, uncompensated CD8 kill); now almost none shrink."""
    from immunotwin.engine import simulate

    params, y0 = _untreated_patients(compiled, 40, seed=5)
    model = compiled.model
    days = np.array([42.0, 84.0, 126.0, 168.0])
    result = simulate(compiled, y0, params, days)
    living = sum(
        result.states[:, :, model.state_index(s)]
        for s in ("tumor_presenting", "tumor_escape", "tumor_doomed")
    )
    start = y0[:, model.state_index("tumor_presenting")] + y0[:, model.state_index("tumor_escape")]
    diameter_change = (living / start[:, None]) ** (1 / 3) - 1
    assert np.mean(diameter_change.min(axis=1) <= -0.30) <= 0.05
    # at the set point the net growth rate equals the sampled clinical growth rate
    growth = np.log(living[:, 0] / start) / days[0]
    k_g = params[:, model.parameter_index("tumor_growth_rate")]
    assert np.median(growth / k_g) == pytest.approx(1.0, abs=0.35)


def test_cd8_kill_rises_with_clone_number(compiled):
    params, y0 = _untreated_patients(compiled, 4, seed=3)
    model = compiled.model
    k = model.parameter_index("n_clones")
    low, high = params.copy(), params.copy()
    low[:, k], high[:, k] = 40.0, 160.0
    kill_low = compiled.quantities(y0, low)["cd8_kill_per_cell"]
    kill_high = compiled.quantities(y0, high)["cd8_kill_per_cell"]
    exponent = params[0, model.parameter_index("neoantigen_kill_exponent")]
    np.testing.assert_allclose(kill_high / kill_low, 4.0**exponent, rtol=1e-6)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("keynote024_pembrolizumab.yaml", "checkpoint"),
        ("keynote024_chemotherapy.yaml", "chemotherapy"),
        ("pacific_durvalumab.yaml", "radiotherapy"),
        ("mclaughlin1998_rituximab.yaml", "antibody"),
        ("atkins1999_aldesleukin.yaml", "cytokine"),
        ("checkmate214_sunitinib.yaml", "other"),
        ("zuma1_axicabtagene_ciloleucel.yaml", "car_t"),
        ("tower_blinatumomab.yaml", "t_cell_engager"),
        ("spearhead1_afamitresgene_autoleucel.yaml", "tcr_t"),
        ("c14401_lifileucel.yaml", "til"),
        ("impact_sipuleucel_t.yaml", "cancer_vaccine"),
        ("optim_tvec.yaml", "oncolytic_virus"),
        ("impact_placebo.yaml", "other"),
        ("mdx01020_ipilimumab.yaml", "checkpoint"),
    ],
)
def test_arm_class(spec, expected):
    assert arm_class(f"examples/calibration/{spec}", root=REPO_ROOT) == expected


def test_every_stage_has_a_budget_and_known_arms():
    named = {a for s in STAGES for a in ((s.arms,) if isinstance(s.arms, str) else s.arms)}
    by_drug = {a for a in named if a.startswith("drug:")}
    by_tumour = {a for a in named if a.startswith("tumor:")}
    assert {a[6:] for a in by_tumour} == set(HAZARD_TUMOURS)
    named -= by_tumour
    assert {a[5:] for a in by_drug} == set(POTENCY_DRUGS)
    by_target = {a for a in named if a.startswith("target:")}
    drug_targets = {t for d in load_drug_catalog() for t in d.targets}
    assert by_target and {a[7:] for a in by_target} <= drug_targets
    named -= by_target
    by_line = {a for a in named if a.startswith("line:")}
    assert {int(a[5:]) for a in by_line} == {2}  # the later-line death hazard
    named -= by_line
    assert named - by_drug <= {
        "chemotherapy",
        "checkpoint",
        "antibody",
        "radiotherapy",
        "car_t",
        "t_cell_engager",
        "tcr_t",
        "til",
        "oncolytic_virus",
        "cancer_vaccine",
        "cytokine",
        "all",
    }
    assert all(s.budget >= 3 for s in STAGES)
    assert STAGES[-1].arms == "all"


def test_a_partial_refit_names_known_stages_in_fit_order():
    chosen = select_stages("sorafenib potency, sunitinib potency")
    assert [s.name for s in chosen] == ["sunitinib potency", "sorafenib potency"]
    assert select_stages(None) == STAGES
    with pytest.raises(InputError, match="unknown stage") as err:
        select_stages("sunitinib potency,no such stage")
    assert "sunitinib potency" in err.value.fix


def test_a_partial_refit_needs_a_warm_start(tmp_path):
    from typer.testing import CliRunner

    from immunotwin.cli import app

    result = CliRunner().invoke(
        app, ["calibrate", "--stages", "sunitinib potency", "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "needs a warm start" in result.output
    assert not any(tmp_path.iterdir())


def test_a_partial_refit_keeps_the_warm_starts_method():
    from immunotwin.population.calibrate_cli import _method
    from immunotwin.population.calibration import ParameterSet

    start = ParameterSet.identity().model_copy(update={"version": "v1", "method": "full fit"})
    assert _method("stage A").startswith("staged search")
    partial = _method("stage A", start)
    assert partial.startswith("partial refit") and partial.endswith("full fit")
    assert "v1" in partial


def test_a_refit_the_same_day_gets_its_own_version():
    from immunotwin.population.calibrate_cli import _default_version
    from immunotwin.population.calibration import ParameterSet

    def start(version):
        return ParameterSet.identity().model_copy(update={"version": version})

    assert _default_version("2026-11-28", 100, None) == "2026-11-28-n100"
    assert _default_version("2026-11-28", 100, start("2026-11-27-n100")) == "2026-11-28-n100"
    assert _default_version("2026-11-28", 100, start("2026-11-28-n100")) == "2026-11-28-n100-r2"
    assert _default_version("2026-11-28", 100, start("2026-11-28-n100-r2")) == "2026-11-28-n100-r3"
    assert _default_version("2026-11-28", 30, start("2026-11-28-n100")) == "2026-11-28-n30"


def test_the_calibrate_command_is_the_fit():
    from immunotwin.population import calibrate_cli

    commands = {c.name: c.callback for c in calibrate_cli.app.registered_commands}
    assert commands["calibrate"] is calibrate_cli.calibrate
