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


def test_members_follow_the_patients_msi_status():
    """MSI-high: hypermutated and inflamed members; MSI-stable: none of the type's MSI-H draws."""
    kw = dict(seed=1, calibration=ParameterSet.identity())

    def members(tumor_type, msi_high):
        p = patient_from_dict({"tumor_type": tumor_type, "biomarkers": {"msi_high": msi_high}})
        return prior_ensemble(p, _model(), 200, **kw).table()

    msi, mss = members("gastric", True), members("gastric", False)
    assert msi["tmb"].median() > 3 * mss["tmb"].median()
    assert msi["cd8_relative"].median() > 1.8 * mss["cd8_relative"].median()
    assert not mss["msi_high"].any() and msi["msi_high"].all()
    # a type the catalogue holds microsatellite-stable still gets the MSI-H TMB and CD8 entry
    crc = members("crc_mss", True)
    assert crc["tmb"].median() > 20 and crc["cd8_relative"].median() > 1.5


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
