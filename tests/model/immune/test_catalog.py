"""The parameter catalogue: complete, sourced, and consistent with the composed model."""

from __future__ import annotations

import numpy as np

from immunotwin.model.immune.baseline import sample_parameters
from immunotwin.model.immune.catalog import load_parameters, parameter_table

REQUIRED_STATES = (
    "injury_colon",
    "injury_lung",
    "injury_liver",
    "injury_thyroid",
    "injury_skin",
    "il6",
    "endothelial_index",
    "neuroinflammation_index",
    "lymphocytes",
    "chemo_a_exposure",
    "chemo_b_exposure",
    *(f"{s}_{c}" for s in ("antipd1", "antipdl1", "antictla4") for c in ("central", "peripheral")),
)
REQUIRED_PARAMETERS = (
    "autoimmune_propensity",
    *(f"susceptibility_{o}" for o in ("colon", "lung", "liver", "thyroid", "skin")),
    "tumor_growth_rate",
    "mhc_basal",
    "n_clones",
    "antigen_quality",
    "pdl1_basal_density",
    "escape_fraction_initial",
    "antictla4_adcc",
    *(
        f"{s}_{k}"
        for s in ("antipd1", "antipdl1", "antictla4")
        for k in ("cl", "v1", "q", "v2", "mw", "kd")
    ),
)


def test_every_parameter_has_value_unit_source():
    params = load_parameters()
    assert len(params) > 150
    for p in params.values():
        assert np.isfinite(p.value)
        assert p.unit.strip()
        assert len(p.source.citation) > 5
        assert p.description.strip()
        if p.source.confidence == "assumption" and p.value != 0:
            assert p.calibrate and p.prior_range is not None, p.name


def test_table_columns():
    table = parameter_table()
    for col in (
        "name",
        "value",
        "unit",
        "description",
        "source",
        "confidence",
        "distribution",
        "calibrate",
    ):
        assert col in table.columns
    assert table["name"].is_unique
    assert set(table["confidence"]) <= {"curated", "literature", "assumption", "analytic"}


def test_model_uses_exactly_the_catalogue(immune_model):
    assert set(immune_model.parameter_names) == set(load_parameters())
    assert immune_model.name == "immunotwin"


def test_required_names(immune_model):
    for name in REQUIRED_STATES:
        immune_model.state_index(name)
    for name in REQUIRED_PARAMETERS:
        immune_model.parameter_index(name)
    quantities = {q.name: q.unit for q in immune_model.quantities}
    assert quantities["tumor_cells_total"] == "cell"
    assert quantities["tumor_volume_ml"] == "mL"
    assert "tumor_diameter_cm" in quantities


def test_sampling_respects_distributions(immune_model):
    draws = sample_parameters(immune_model, np.random.default_rng(3), 4000)
    for k, p in enumerate(immune_model.parameters):
        d, col = p.distribution, draws[:, k]
        if d.kind == "fixed":
            assert np.all(col == p.value)
        elif d.kind == "lognormal":
            assert abs(np.median(col) / p.value - 1) < 0.1
            assert abs(np.std(np.log(col)) / d.sigma - 1) < 0.1
        else:
            assert col.min() >= d.low and col.max() <= d.high
