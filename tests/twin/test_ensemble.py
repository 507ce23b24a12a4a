import numpy as np

from immunotwin.population.calibration import ParameterSet
from immunotwin.trials.engine import _model_and_kernel
from immunotwin.twin.ensemble import latent_space, prior_ensemble, raw_parameters
from immunotwin.twin.patient import patient_from_dict


def _model():
    return _model_and_kernel()[0]


def test_known_inputs_fixed_missing_inputs_imputed_and_listed():
    p = patient_from_dict({"tumor_type": "nsclc", "age_years": 70, "biomarkers": {"pdl1_tps": 0.6}})
    e = prior_ensemble(p, _model(), 50, seed=3, calibration=ParameterSet.identity())
    t = e.table()
    assert (t["age_years"] == 70).all() and (t["pdl1_tps"] == 0.6).all()
    fields = {row["field"] for row in e.imputed}
    assert {"biomarkers.tmb_mut_per_mb", "albumin_g_per_l", "nlr", "ecog"} <= fields
    assert "age_years" not in fields and "biomarkers.pdl1_tps" not in fields
    assert t["tmb"].std() > 0  # imputed values vary across members


def test_msi_high_without_tmb_draws_hypermutated_tmb():
    p = patient_from_dict({"tumor_type": "gastric", "biomarkers": {"msi_high": True}})
    q = patient_from_dict({"tumor_type": "gastric", "biomarkers": {"msi_high": False}})
    kw = dict(seed=1, calibration=ParameterSet.identity())
    msi = prior_ensemble(p, _model(), 200, **kw).table()["tmb"].median()
    mss = prior_ensemble(q, _model(), 200, **kw).table()["tmb"].median()
    assert msi > 3 * mss


def test_latent_prior_reproduces_catalogue_distribution():
    model = _model()
    from immunotwin.population.catalog import load_tumor_catalog

    space = latent_space(model, load_tumor_catalog().get("nsclc"))
    z = np.random.default_rng(0).standard_normal((4000, space.size))
    raw = raw_parameters(model, space, z)
    j = space.names.index("cd8_kill_rate") if "cd8_kill_rate" in space.names else 0
    p = model.parameters[space.columns[j]]
    if p.distribution.kind == "lognormal":
        assert abs(np.median(raw[:, space.columns[j]]) / p.value - 1) < 0.05


def test_seed_determinism():
    p = patient_from_dict({"tumor_type": "melanoma"})
    a = prior_ensemble(p, _model(), 30, seed=5, calibration=ParameterSet.identity())
    b = prior_ensemble(p, _model(), 30, seed=5, calibration=ParameterSet.identity())
    c = prior_ensemble(p, _model(), 30, seed=6, calibration=ParameterSet.identity())
    assert np.array_equal(a.z, b.z) and a.table().equals(b.table())
    assert not np.array_equal(a.z, c.z)
