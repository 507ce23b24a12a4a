"""Immune context and PD-L1 -> CD8 killing capacity (issue 5: biomarkers -> mechanism)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from immunotwin.population.biomarker_map import TREG_CD8_REFERENCE, apply_biomarkers
from immunotwin.population.catalog import load_tumor_catalog
from immunotwin.population.virtual_patients import msi_high_reference, sample_patients


def _mapped(model, patients, tumour):
    nominal = np.array([[p.value for p in model.parameters]] * len(patients))
    return nominal, apply_biomarkers(model, nominal, patients, tumour)


def test_immune_context_is_sampled_per_patient_with_the_catalogue_medians():
    catalog = load_tumor_catalog()
    hot = sample_patients(catalog.get("crc_msi_h"), 2000, seed=1)
    cold = sample_patients(catalog.get("prostate"), 2000, seed=1)
    assert np.median(hot["cd8_relative"]) == pytest.approx(
        catalog.get("crc_msi_h").immune.cd8_relative.typical(), rel=0.1
    )
    assert np.median(hot["cd8_relative"]) > 2 * np.median(cold["cd8_relative"])
    assert (hot["treg_cd8_ratio"] > 0).all()


def test_immune_context_maps_onto_infiltrate_treg_and_mdsc(model):
    tumour = load_tumor_catalog().get("melanoma")
    patients = sample_patients(tumour, 50, seed=2)
    nominal, out = _mapped(model, patients, tumour)
    col = model.parameter_index
    np.testing.assert_allclose(out[:, col("cd8_infiltrate_relative")], patients["cd8_relative"])
    np.testing.assert_allclose(
        out[:, col("treg_recruitment")] / nominal[:, col("treg_recruitment")],
        patients["treg_cd8_ratio"] / TREG_CD8_REFERENCE,
    )
    np.testing.assert_allclose(
        out[:, col("mdsc_recruitment")] / nominal[:, col("mdsc_recruitment")],
        tumour.immune.mdsc_relative.typical(),
    )


def test_missing_immune_context_leaves_the_nominal_tumour(model):
    tumour = load_tumor_catalog().get("nsclc")
    patients = sample_patients(tumour, 5, seed=3)
    patients = patients.assign(cd8_relative=np.nan, treg_cd8_ratio=np.nan)
    nominal, out = _mapped(model, patients, tumour)
    col = model.parameter_index
    assert (out[:, col("cd8_infiltrate_relative")] == 1.0).all()
    np.testing.assert_array_equal(
        out[:, col("treg_recruitment")], nominal[:, col("treg_recruitment")]
    )
    older = pd.DataFrame(patients.drop(columns=["cd8_relative", "treg_cd8_ratio"]))
    _, out_older = _mapped(model, older, tumour)
    assert (out_older[:, col("cd8_infiltrate_relative")] == 1.0).all()


def test_cd8_kill_scales_with_infiltrate_and_pdl1_by_their_exponents(compiled):
    from immunotwin.model.immune.baseline import baseline_state

    model = compiled.model
    col = model.parameter_index
    tumour = load_tumor_catalog().get("nsclc")
    patients = sample_patients(tumour, 3, seed=4)
    _, params = _mapped(model, patients, tumour)
    y0 = baseline_state(compiled, params, np.full(3, 3e9))
    kill = compiled.quantities(y0, params)["cd8_kill_per_cell"]
    alpha_i = params[0, col("infiltrate_kill_exponent")]
    alpha_l = params[0, col("pdl1_kill_exponent")]
    assert alpha_i > 0 and alpha_l > 0

    inflamed = params.copy()
    inflamed[:, col("cd8_infiltrate_relative")] *= 2.0
    ratio = compiled.quantities(y0, inflamed)["cd8_kill_per_cell"] / kill
    np.testing.assert_allclose(ratio, 2.0**alpha_i, rtol=1e-9)

    # PD-L1 density enters twice: the adaptive-resistance factor (up) and PD-1 ligation (down);
    # with PD-1 fully blocked only the first remains.
    blocked = params.copy()
    blocked[:, col("pdl1_basal_density")] *= 3.0
    q_base, q_high = compiled.quantities(y0, params), compiled.quantities(y0, blocked)
    release = q_high["cd8_pd1_release"] / q_base["cd8_pd1_release"]
    np.testing.assert_allclose(
        q_high["cd8_kill_per_cell"] / q_base["cd8_kill_per_cell"] / release,
        3.0**alpha_l,
        rtol=1e-9,
    )


def test_line_two_or_later_marks_prior_therapy_and_scales_cd8_kill(compiled):
    from immunotwin.model.immune.baseline import baseline_state

    model = compiled.model
    col = model.parameter_index
    tumour = load_tumor_catalog().get("nsclc")
    first = sample_patients(tumour, 3, seed=5, filters={"line": 1})
    later = sample_patients(tumour, 3, seed=5, filters={"line": 2})
    _, naive = _mapped(model, first, tumour)
    _, pretreated = _mapped(model, later, tumour)
    assert (naive[:, col("prior_systemic_therapy")] == 0.0).all()
    assert (pretreated[:, col("prior_systemic_therapy")] == 1.0).all()

    factor = 0.6
    naive[:, col("pretreated_kill_factor")] = factor
    both = naive.copy()
    both[:, col("prior_systemic_therapy")] = 1.0
    y0 = baseline_state(compiled, naive, np.full(3, 3e9))
    ratio = (
        compiled.quantities(y0, both)["cd8_kill_per_cell"]
        / compiled.quantities(y0, naive)["cd8_kill_per_cell"]
    )
    np.testing.assert_allclose(ratio, factor, rtol=1e-9)


def test_msi_high_patients_of_a_mostly_stable_type_are_hypermutated_and_inflamed():
    catalog = load_tumor_catalog()
    reference, gastric = catalog.get("crc_msi_h"), catalog.get("gastric")
    msi = sample_patients(gastric, 1000, seed=6, filters={"msi": "high"})
    mss = sample_patients(gastric, 1000, seed=6, filters={"msi": "stable"})
    assert np.median(msi["tmb"]) == pytest.approx(
        reference.biomarkers.tmb_mut_per_mb.typical(), rel=0.15
    )
    assert np.median(mss["tmb"]) == pytest.approx(
        gastric.biomarkers.tmb_mut_per_mb.typical(), rel=0.15
    )
    assert np.median(msi["cd8_relative"]) == pytest.approx(
        reference.immune.cd8_relative.typical(), rel=0.15
    )
    assert np.median(mss["cd8_relative"]) == pytest.approx(
        gastric.immune.cd8_relative.typical(), rel=0.15
    )
    # all-MSI-high and all-stable types keep their own distributions
    assert msi_high_reference(reference) is None
    assert msi_high_reference(catalog.get("crc_mss")) is None
    assert msi_high_reference(gastric) == reference


def test_a_histology_whose_msi_high_tumours_stay_cold_keeps_its_own_cd8():
    """MMR-deficient glioma is not inflamed (Touat 2020 Nature 580:517)."""
    glioblastoma = load_tumor_catalog().get("glioblastoma")
    msi = sample_patients(glioblastoma, 400, seed=6, filters={"msi": "high"})
    assert np.median(msi["cd8_relative"]) == pytest.approx(
        glioblastoma.immune.cd8_relative_msi_high.typical(), rel=0.15
    )
