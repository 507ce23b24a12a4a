"""Tumour catalogue: loads, is sourced, samples with its declared medians and fractions."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

from immunotwin.errors import CatalogError
from immunotwin.population.catalog import (
    Bernoulli,
    Categorical,
    Histogram,
    LogNormal,
    Normal,
    load_tumor_catalog,
    parse_tumor_catalog,
    tumor_catalog_markdown,
)


def _shared_file(*parts: str) -> Path:
    """A file in ../shared beside the repository (IMMUNOTWIN_SHARED overrides)."""
    if os.environ.get("IMMUNOTWIN_SHARED"):
        root = Path(os.environ["IMMUNOTWIN_SHARED"])
    else:
        here = Path(__file__).resolve()
        root = next(p for p in here.parents if (p / "pyproject.toml").is_file()).parent / "shared"
    path = root.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared folder sits beside the repository)")
    return path


ISSUE5_KEYS = """nsclc nsclc_squamous sclc melanoma rcc urothelial hnscc crc_msi_h crc_mss tnbc
her2_breast hcc gastric prostate dlbcl follicular_lymphoma b_all multiple_myeloma hodgkin
synovial_sarcoma cervical""".split()  # noqa: SIM905
# KEYNOTE-158 cohorts A-J (Marabelle 2020 Lancet Oncol); cervical and sclc are above
KEYNOTE158_KEYS = """anal biliary cervical endometrial mesothelioma neuroendocrine salivary sclc
thyroid vulvar""".split()  # noqa: SIM905
# further KEYNOTE-158 cohort K (MSI-H) types (Marabelle 2020 J Clin Oncol 38:1)
COHORT_K_KEYS = ["pancreatic", "small_bowel", "ovarian", "glioblastoma"]


@pytest.fixture(scope="module")
def catalog():
    return load_tumor_catalog()


def test_catalogue_has_the_issue_and_design_keys(catalog):
    expected = set(ISSUE5_KEYS) | set(KEYNOTE158_KEYS) | set(COHORT_K_KEYS)
    assert sorted(catalog.keys()) == sorted(expected)


def test_keynote158_cohort_types(catalog):
    """The ten KEYNOTE-158 cohorts: previously treated solid tumours, CPS scored, TMB-H shares."""
    assert len(KEYNOTE158_KEYS) == 10
    for key in set(KEYNOTE158_KEYS) - {"cervical", "sclc"}:
        tumor = catalog.get(key)
        assert not tumor.heme and tumor.response_criteria == "recist11", key
        assert tumor.line_of_therapy_default == 2, key
        assert tumor.biomarkers.pdl1_cps is not None and tumor.biomarkers.pdl1_tps is None, key
    for key in ("vulvar", "endometrial"):
        assert catalog.get(key).clinical.sex_female.p == 1.0
    # dMMR share after platinum: KEYNOTE-775 randomised 130 dMMR of 827 (15.7 %)
    assert catalog.get("endometrial").biomarkers.msi_high.p == pytest.approx(130 / 827, abs=0.01)

    def p_tmb_high(key):  # P(TMB >= 10 mut/Mb) of the (non-MSI-H) log-normal
        d = catalog.get(key).biomarkers.tmb_mut_per_mb
        return float(norm.sf(np.log(10.0 / d.median) / d.sigma))

    # Shao 2020 JAMA Netw Open (FoundationOne, MSI-H excluded): SCLC 40.0%, mesothelioma 1.2%,
    # thyroid 2.7%
    assert p_tmb_high("sclc") == pytest.approx(0.400, abs=0.01)
    assert p_tmb_high("mesothelioma") == pytest.approx(0.012, abs=0.003)
    assert p_tmb_high("thyroid") == pytest.approx(0.027, abs=0.003)
    assert p_tmb_high("sclc") > p_tmb_high("anal") > p_tmb_high("biliary")
    assert p_tmb_high("vulvar") > p_tmb_high("neuroendocrine") > p_tmb_high("mesothelioma")
    # slow-growing well-differentiated NET and thyroid carcinoma grow slower than NSCLC
    nsclc_growth = catalog.get("nsclc").growth_rate_per_day.median
    for key in ("neuroendocrine", "thyroid"):
        assert catalog.get(key).growth_rate_per_day.median < nsclc_growth / 2


def test_design_tumour_keys_are_in_the_catalogue(catalog):
    design = _shared_file("DESIGN.md").read_text(encoding="utf-8")
    start = design.index("Tumour keys are short")
    named = set(re.findall(r"`([a-z0-9_]+)`", design[start : design.index("\n\n", start)]))
    assert len(named) >= 15
    assert named <= set(catalog.keys())


def test_every_distribution_is_sourced(catalog):
    for tumor in catalog:
        assert tumor.sources
        dists = tumor.distributions()
        assert len(dists) >= 17, tumor.key
        for name, dist in dists.items():
            assert dist.source and dist.unit and dist.confidence, (tumor.key, name)
            if dist.confidence == "assumption":
                assert dist.basis, (tumor.key, name)


def test_curated_values_equal_the_brief(catalog):
    nsclc, tnbc = catalog.get("nsclc"), catalog.get("tnbc")
    assert (nsclc.growth_rate_per_day.median, nsclc.growth_rate_per_day.sigma) == (0.007, 1.0)
    assert (tnbc.growth_rate_per_day.median, tnbc.growth_rate_per_day.sigma) == (0.0072, 0.8)
    assert (nsclc.baseline_diameter_mm.median, nsclc.baseline_diameter_mm.sigma) == (37.0, 0.4)
    assert (tnbc.baseline_diameter_mm.median, tnbc.baseline_diameter_mm.sigma) == (25.0, 0.3)
    assert nsclc.growth_rate_per_day.confidence == "curated"
    # QSP-IO MDSC recruitment: TNBC 1.1e4 vs NSCLC 2e3 cells/mL/day (brief §2.5)
    assert tnbc.immune.mdsc_relative.median == pytest.approx(1.1e4 / 2e3)
    brief = _shared_file("model", "README.md").read_text(encoding="utf-8")
    assert "k_g | 0.007 (NSCLC), 0.0072 (TNBC); VP lognormal σ 1 / 0.8" in brief
    assert "3.7 cm NSCLC (σ_log 0.4); 2.5 cm TNBC (σ 0.3)" in brief


def test_response_criteria_follow_disease(catalog):
    assert catalog.get("dlbcl").response_criteria == "lugano"
    assert catalog.get("multiple_myeloma").response_criteria == "iwg_myeloma"
    assert catalog.get("b_all").response_criteria == "all_marrow"
    for tumor in catalog:
        assert (tumor.response_criteria == "recist11") == (not tumor.heme), tumor.key
    assert catalog.get("crc_msi_h").biomarkers.msi_high.p == 1.0
    assert catalog.get("crc_mss").biomarkers.msi_high.p == 0.0
    assert catalog.get("prostate").clinical.sex_female.p == 0.0


def test_tmb_ordering_reflects_histology(catalog):
    tmb = {t.key: t.biomarkers.tmb_mut_per_mb.median for t in catalog}
    assert tmb["crc_msi_h"] > tmb["melanoma"] > tmb["nsclc"] > tmb["crc_mss"] > tmb["b_all"]


def test_unknown_key_error_lists_suggestions(catalog):
    with pytest.raises(CatalogError) as info:
        catalog.get("nsclc_squamos")
    assert "nsclc_squamous" in str(info.value)
    with pytest.raises(CatalogError) as info:
        catalog.get("Multiple-Myeloma")
    assert "multiple_myeloma" in str(info.value)


N = 40_000


def test_every_lognormal_samples_with_its_declared_median(catalog):
    rng = np.random.default_rng(20240501)
    checked = 0
    for tumor in catalog:
        for name, dist in tumor.distributions().items():
            if isinstance(dist, LogNormal):
                x = dist.sample(rng, N)
                # median of N log-normal draws: log-scale SE ≈ 1.2533·σ/√N (< 1 % here)
                tol = 4 * 1.2533 * dist.sigma / np.sqrt(N) + 1e-12
                assert abs(np.log(np.median(x) / dist.median)) < tol, (tumor.key, name)
                checked += 1
    assert checked > 100


def test_truncated_normals_respect_bounds_and_median(catalog):
    rng = np.random.default_rng(7)
    for tumor in catalog:
        for name, dist in tumor.distributions().items():
            if isinstance(dist, Normal):
                x = dist.sample(rng, N)
                assert x.min() >= dist.low and x.max() <= dist.high, (tumor.key, name)
                tol = 4 * 1.26 * dist.sd / np.sqrt(N)
                assert np.median(x) == pytest.approx(dist.typical(), abs=tol), (tumor.key, name)


def test_discrete_distributions_sample_their_probabilities(catalog):
    rng = np.random.default_rng(11)
    for tumor in catalog:
        for name, dist in tumor.distributions().items():
            if isinstance(dist, Bernoulli):
                assert dist.sample(rng, N).mean() == pytest.approx(dist.p, abs=0.015)
            elif isinstance(dist, Categorical):
                x = dist.sample(rng, N)
                for value, p in zip(dist.values, dist.probabilities, strict=True):
                    assert np.mean(x == value) == pytest.approx(p, abs=0.015), (tumor.key, name)
            elif isinstance(dist, Histogram):
                x = dist.sample(rng, N)
                assert x.min() >= dist.edges[0] and x.max() <= dist.edges[-1]
                for lo, hi, p in zip(dist.edges, dist.edges[1:], dist.probabilities, strict=False):
                    assert np.mean((x >= lo) & (x < hi)) == pytest.approx(p, abs=0.015)


def test_pdl1_scales(catalog):
    nsclc = catalog.get("nsclc").biomarkers.pdl1_tps
    assert nsclc.edges == (0.0, 0.01, 0.5, 1.0)
    assert nsclc.bin_fraction(0.5, 1.0) == pytest.approx(0.29)
    hnscc = catalog.get("hnscc").biomarkers.pdl1_cps
    assert hnscc.edges[-1] == 100.0 and hnscc.bin_fraction(1.0, 100.0) == pytest.approx(0.85)
    for tumor in catalog:
        if tumor.biomarkers.pdl1_tps is not None:
            assert tumor.biomarkers.pdl1_tps.edges[-1] == 1.0, tumor.key


def test_target_antigens_where_relevant(catalog):
    assert catalog.get("b_all").biomarkers.target_antigens["cd19_positive"].p >= 0.95
    assert "bcma_positive" in catalog.get("multiple_myeloma").biomarkers.target_antigens
    assert "her2_ihc" in catalog.get("her2_breast").biomarkers.target_antigens
    assert "mage_a4_positive" in catalog.get("synovial_sarcoma").biomarkers.target_antigens
    fcgr = catalog.get("dlbcl").clinical.fcgr3a_genotype
    assert fcgr.values == ("VV", "VF", "FF") and sum(fcgr.probabilities) == pytest.approx(1.0)


def test_defaults_merge_and_schema_errors():
    dist = {
        "kind": "lognormal",
        "median": 1.0,
        "sigma": 0.1,
        "unit": "x",
        "source": "test",
        "confidence": "curated",
    }
    bern = {"kind": "bernoulli", "p": 0.1, "unit": "x", "source": "test", "confidence": "curated"}
    defaults = {
        "solid": {
            "immune": {
                "cd8_relative": dist,
                "treg_cd8_ratio": dist,
                "m1_m2_ratio": dist,
                "mdsc_relative": dist,
            },
            "biomarkers": {"msi_high": bern, "hla_loh": bern, "b2m_loss": bern},
            "clinical": {
                k: dist
                for k in (
                    "fcgr3a_genotype",
                    "hla_a02_carrier",
                    "ecog",
                    "albumin_g_per_l",
                    "nlr",
                    "age_years",
                    "weight_kg",
                    "sex_female",
                )
            },
        }
    }
    entry = {
        "display_name": "T",
        "histology_notes": "n",
        "heme": False,
        "response_criteria": "recist11",
        "line_of_therapy_default": 1,
        "line_of_therapy_basis": "b",
        "baseline_sld_mm": dist,
        "growth_rate_per_day": dist,
        "biomarkers": {"tmb_mut_per_mb": dist, "pdl1_tps": dist, "hla_loh": {**bern, "p": 0.4}},
        "sources": ["s"],
    }
    cat = parse_tumor_catalog({"defaults": defaults, "tumors": {"t": entry}})
    assert cat.get("t").biomarkers.hla_loh.p == 0.4  # override
    assert cat.get("t").biomarkers.b2m_loss.p == 0.1  # default
    bad = {
        **entry,
        "biomarkers": {
            **entry["biomarkers"],
            "tmb_mut_per_mb": {**dist, "confidence": "assumption"},
        },
    }
    with pytest.raises(CatalogError, match="basis"):
        parse_tumor_catalog({"defaults": defaults, "tumors": {"t": bad}})
    hist = {
        "kind": "histogram",
        "edges": [0, 1],
        "probabilities": [0.5],
        "unit": "x",
        "source": "test",
        "confidence": "curated",
    }
    bad = {**entry, "biomarkers": {**entry["biomarkers"], "pdl1_tps": hist}}
    with pytest.raises(CatalogError, match="sum"):
        parse_tumor_catalog({"defaults": defaults, "tumors": {"t": bad}})


def test_markdown_lists_every_tumour(catalog):
    text = tumor_catalog_markdown(catalog)
    for tumor in catalog:
        assert f"`{tumor.key}`" in text


def test_docs_tables_are_the_generated_ones(catalog):
    here = Path(__file__).resolve()
    root = next(p for p in here.parents if (p / "pyproject.toml").is_file())
    docs = root / "docs" / "catalogs.md"
    if not docs.is_file():
        pytest.skip("docs/catalogs.md is absent")
    assert tumor_catalog_markdown(catalog) in docs.read_text(encoding="utf-8"), (
        "docs/catalogs.md is stale; run python -m immunotwin.population.catalog --markdown"
    )
