"""Drug catalogue: loads, is sourced, matches the model brief's curated PK values."""

from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path

import pytest

from immunotwin.economics.settings import packaged_drug_prices
from immunotwin.errors import CatalogError
from immunotwin.therapies.catalog import (
    REGIMEN_ITEM_KEYS,
    CellKineticsPK,
    Covariate,
    NoPK,
    OneCompartmentPK,
    ThreeCompartmentSaturablePK,
    TwoCompartmentPK,
    drug_catalog_markdown,
    load_drug_catalog,
    parse_drug_catalog,
)


def _shared_root() -> Path:
    """../shared beside the repository (IMMUNOTWIN_SHARED overrides, for worktrees)."""
    if os.environ.get("IMMUNOTWIN_SHARED"):
        return Path(os.environ["IMMUNOTWIN_SHARED"])
    here = Path(__file__).resolve()
    root = next(p for p in here.parents if (p / "pyproject.toml").is_file())
    return root.parent / "shared"


def _shared_file(*parts: str) -> Path:
    path = _shared_root().joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent (the shared folder sits beside the repository)")
    return path


REQUIRED_KEYS = """
pembrolizumab nivolumab cemiplimab atezolizumab durvalumab avelumab ipilimumab tremelimumab
relatlimab rituximab trastuzumab cetuximab bevacizumab blinatumomab aldesleukin
interferon_alfa_2b axicabtagene_ciloleucel tisagenlecleucel lisocabtagene_maraleucel
idecabtagene_vicleucel ciltacabtagene_autoleucel lifileucel afamitresgene_autoleucel sipuleucel_t
talimogene_laherparepvec gp100_peptide_vaccine neoantigen_mrna_vaccine hpv_vaccine carboplatin
cisplatin paclitaxel nab_paclitaxel pemetrexed docetaxel gemcitabine cyclophosphamide fludarabine
doxorubicin vincristine prednisone oxaliplatin fluorouracil irinotecan leucovorin sunitinib
osimertinib sorafenib dacarbazine radiotherapy tocilizumab placebo
""".split()  # noqa: SIM905


@pytest.fixture(scope="module")
def catalog():
    return load_drug_catalog()


def test_every_required_drug_is_in_the_catalogue(catalog):
    missing = [k for k in REQUIRED_KEYS if k not in catalog]
    assert missing == []
    assert len(catalog) == len(REQUIRED_KEYS)


def test_every_entry_is_sourced_and_numeric_blocks_carry_provenance(catalog):
    for drug in catalog:
        assert drug.sources, drug.key
        if not isinstance(drug.pk, NoPK):
            assert drug.pk.source and drug.pk.confidence, drug.key
            if drug.pk.confidence == "assumption":
                assert drug.pk.basis, drug.key
        for cov in drug.covariates:
            assert cov.source and cov.confidence, drug.key
        for regimen in drug.label_regimens:
            assert regimen.source, (drug.key, regimen.name)
        if drug.binding and drug.binding.confidence == "assumption":
            assert drug.binding.basis


def test_relatlimab_potency_is_flagged_assumption(catalog):
    relatlimab = catalog.get("relatlimab")
    assert relatlimab.binding is not None
    assert relatlimab.binding.confidence == "assumption"
    assert relatlimab.pk.confidence == "assumption"
    assert "LAG-3" in relatlimab.targets


# Curated ([H]) typical values from the model brief §3 table; `brief_text` is the exact phrase of
# the brief that states them, so the test fails if either the brief or the catalogue changes.
H_VALUES = {
    "pembrolizumab": (
        {"cl_l_per_day": 0.22, "v1_l": 3.48, "q_l_per_day": 0.795, "v2_l": 4.06},
        "CL 0.22 L/d, Vc 3.48 L, Q 0.795 L/d, Vp 4.06 L",
    ),
    "nivolumab": (
        {"cl_l_per_day": 0.226, "v1_l": 3.63, "q_l_per_day": 0.770, "v2_l": 2.78},
        "CL 0.0094 L/h (0.226 L/d), V1 3.63 L, Q 0.0321 L/h (0.770 L/d), V2 2.78 L",
    ),
    "atezolizumab": (
        {"cl_l_per_day": 0.200, "v1_l": 3.28, "q_l_per_day": 0.546, "v2_l": 3.63},
        "CL 0.200 L/d, Vc 3.28 L, Q 0.546 L/d, Vp 3.63 L",
    ),
    "durvalumab": (
        {
            "cl_l_per_day": 0.232,
            "v1_l": 3.51,
            "q_l_per_day": 0.476,
            "v2_l": 3.45,
            "vmax_mg_per_day": 0.824,
            "km_mg_per_l": 0.344,
        },
        "CL 0.232 L/d, V1 3.51 L, Q 0.476 L/d, V2 3.45 L, plus saturable Vmax 0.824 mg/d, "
        "Km 0.344 mg/L",
    ),
    "ipilimumab": (
        {"cl_l_per_day": 0.0150 * 24, "v1_l": 4.15, "q_l_per_day": 0.0411 * 24, "v2_l": 3.11},
        "CL 0.0150 L/h (0.36 L/d), Vc 4.15 L, Q 0.0411 L/h (0.99 L/d), Vp 3.11 L",
    ),
    "tremelimumab": (
        {"cl_l_per_day": 0.276, "v1_l": 3.64, "q_l_per_day": 0.357, "v2_l": 2.40},
        "CL 0.276 L/d, Vc 3.64 L, Q 0.357 L/d, Vp 2.40 L",
    ),
    "rituximab": (
        {"cl_l_per_day": 0.252, "v1_l": 4.62, "v2_l": 8.61, "q_l_per_day": 1.02},
        "CL_ss 0.252 L/d + target-mediated CL 0.278 L/d × exp(−0.143·t)",
    ),
    "trastuzumab": (
        {
            "cl_l_per_day": 0.127,
            "v1_l": 2.62,
            "q_l_per_day": 0.544,
            "v2_l": 2.97,
            "vmax_mg_per_day": 8.81,
            "km_mg_per_l": 8.92,
        },
        "Linear CL 0.127 L/d, Vc 2.62 L, Q 0.544 L/d, Vp 2.97 L + Michaelis–Menten Vmax 8.81 "
        "mg/d, Km 8.92 mg/L",
    ),
    "cetuximab": (
        {
            "vmax_mg_per_day": 4.38 * 24,
            "km_mg_per_l": 74.0,
            "v1_l": 2.83,
            "v2_l": 2.43,
            "q_l_per_day": 0.103 * 24,
        },
        "Vmax 4.38 mg/h, Km 74 µg/mL, V1 2.83 L, V2 2.43 L, Q 0.103 L/h",
    ),
    "blinatumomab": (
        {"cl_l_per_day": 2.22 * 24, "v_l": 5.98},
        "CL 2.22 L/h (BSA/1.876)^0.62, V 5.98 L",
    ),
    "tisagenlecleucel": (
        {
            "expansion_per_day": 0.89,
            "contraction_per_day": 0.16,
            "memory_decline_per_day": 0.0032,
            "effector_to_memory_fraction": 0.0079,
            "tmax_days": 9.3,
            "cmax_copies_per_ug": 24000,
            "fold_expansion": 3900,
        },
        "foldx 3900 (ω² 2.4), T_max 9.3 d, C_max 24,000 copies/µg, α 0.16/d, FB 0.0079, β 0.0032/d",
    ),
    "nab_paclitaxel": (
        {
            "v1_l": 15.8,
            "v2_l": 1650.0,
            "v3_l": 75.4,
            "q3_l_per_day": 41.6 * 24,
            "vmax_distribution_mg_per_day": 325 * 24,
            "km_distribution_mg_per_l": 4.26,
            "vmax_elimination_mg_per_day": 8.07 * 24,
            "km_elimination_mg_per_l": 40.2e-3,
        },
        "V1 15.8 L, V2 1650 L (saturable distribution Vmt 325 mg/h, Kt 4.26 mg/L), V3 75.4 L",
    ),
}


@pytest.mark.parametrize("key", sorted(H_VALUES))
def test_curated_pk_values_equal_the_brief(catalog, key):
    expected, _ = H_VALUES[key]
    drug = catalog.get(key)
    assert drug.pk.confidence == "curated"
    for field, value in expected.items():
        got = getattr(drug.pk, field)
        # the brief rounds converted values (e.g. 0.0411 L/h -> 0.99 L/d); compare to 0.5 %
        assert got == pytest.approx(value, rel=5e-3), (key, field, got, value)


@pytest.mark.parametrize("key", sorted(H_VALUES))
def test_brief_states_the_values_the_test_expects(key):
    brief = _shared_file("model", "README.md").read_text(encoding="utf-8")
    _, phrase = H_VALUES[key]
    assert phrase in brief, f"the model brief no longer says: {phrase!r}"


def test_rituximab_target_mediated_clearance_and_curated_covariates(catalog):
    rituximab = catalog.get("rituximab")
    tmdd = rituximab.pk.target_mediated_cl
    assert (tmdd.cl_l_per_day, tmdd.decay_per_day) == (0.278, 0.143)
    pembro = {(c.parameter, c.covariate): c for c in catalog.get("pembrolizumab").covariates}
    assert pembro[("cl", "weight_kg")].coefficient == 0.595
    assert pembro[("cl", "weight_kg")].reference_value == 76.8
    assert pembro[("v1", "weight_kg")].coefficient == 0.489
    assert pembro[("cl", "albumin_g_per_l")].coefficient == -0.907
    assert pembro[("cl", "sex_female")].coefficient == -0.152
    assert catalog.get("pembrolizumab").iiv == {"cl": 0.134, "v1": 0.0417}
    nivo = catalog.get("nivolumab").pk.time_varying_cl
    assert (nivo.emax, nivo.hill) == (-0.295, 3.15)
    assert nivo.t50_days == pytest.approx(1410 / 24)
    assert math.exp(nivo.emax) == pytest.approx(0.745, abs=0.001)  # brief: "SS ×0.745"


@pytest.mark.parametrize(
    ("key", "half_life_days"),
    [("pembrolizumab", 26.0), ("atezolizumab", 27.0), ("ipilimumab", 15.0), ("nivolumab", 21.0)],
)
def test_terminal_half_life_matches_the_brief(catalog, key, half_life_days):
    # brief §3: "Terminal half-lives below are computed from the typical values"
    pk = catalog.get(key).pk
    assert isinstance(pk, TwoCompartmentPK)
    assert pk.terminal_half_life_days() == pytest.approx(half_life_days, rel=0.08)


def test_blinatumomab_steady_state_matches_the_brief(catalog):
    pk = catalog.get("blinatumomab").pk
    assert isinstance(pk, OneCompartmentPK)
    # C_ss = rate / CL: 9 ug/day -> ≈170 pg/mL (brief §3)
    css_pg_per_ml = 9.0 / pk.cl_l_per_day * 1e6 / 1e3
    assert css_pg_per_ml == pytest.approx(170, rel=0.03)


def test_unknown_key_error_lists_suggestions(catalog):
    with pytest.raises(CatalogError) as info:
        catalog.get("pembrolizumb")
    assert "pembrolizumab" in str(info.value)
    with pytest.raises(CatalogError) as info:
        catalog.get("Axicabtagene-Ciloleucel")
    assert "axicabtagene_ciloleucel" in str(info.value)
    with pytest.raises(CatalogError):
        catalog.by_class("antibody")


def test_by_class(catalog):
    car_t = {d.key for d in catalog.by_class("car_t")}
    assert car_t == {
        "axicabtagene_ciloleucel",
        "tisagenlecleucel",
        "lisocabtagene_maraleucel",
        "idecabtagene_vicleucel",
        "ciltacabtagene_autoleucel",
    }
    assert all(isinstance(d.pk, CellKineticsPK) for d in catalog.by_class("car_t"))
    assert len(catalog.by_class("checkpoint_inhibitor")) == 9
    assert isinstance(catalog.get("nab_paclitaxel").pk, ThreeCompartmentSaturablePK)


def test_prices_are_the_costs_csv_values_with_matching_confidence(catalog):
    path = _shared_file("data", "calibration", "costs.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["item_type"] == "list_price" and r["value"]]
    by_value = {float(r["value"]): r["confidence"] for r in rows}
    priced = [d for d in catalog if d.price is not None]
    assert len(priced) >= 6
    economics = {p.drug: p for p in packaged_drug_prices().values()}
    for drug in priced:
        if drug.price.value_usd not in by_value:
            # a list price added from a retrieved page: it says so, names the page, and is the
            # source of the economics table's verified/derived price for the same drug
            urls = re.findall(r"https?://\S+", drug.price.source)
            assert "not from costs.csv" in drug.price.source and urls, drug.key
            assert drug.price.confidence == "literature", drug.key
            row = economics[drug.key]
            assert row.confidence in ("verified", "derived"), drug.key
            assert any(url.rstrip(")") in (row.source or "") for url in urls), drug.key
            continue
        expected = "literature" if by_value[drug.price.value_usd] == "verified" else "recall"
        assert drug.price.confidence == expected, drug.key


def test_drug_keys_named_in_design_are_in_the_catalogue(catalog):
    design = _shared_file("DESIGN.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\{drug: ([a-z0-9_]+)", design))
    paragraph = design[design.index("Drug keys are lower-case") : design.index("Tumour keys")]
    named |= set(re.findall(r"`([a-z0-9_]+)`", paragraph)) - REGIMEN_ITEM_KEYS
    assert named, "DESIGN.md names no drug keys"
    assert named <= set(catalog.keys())


def test_label_regimens_use_the_trial_spec_format(catalog):
    for drug in catalog:
        for regimen in drug.label_regimens:
            for item in regimen.items:
                assert item["drug"] in catalog
                unit = item["dose"].split()[-1] if not item["dose"].startswith("AUC") else "AUC"
                assert unit in catalog.get(item["drug"]).dose_units_allowed, (drug.key, item)
    pembro = catalog.get("pembrolizumab").label_regimens[0].items[0]
    assert pembro == {
        "drug": "pembrolizumab",
        "dose": "200 mg",
        "every": "3 weeks",
        "max_cycles": 35,
    }


def _minimal(**pk):
    return {
        "drugs": {
            "x": {
                "display_name": "X",
                "drug_class": "chemotherapy",
                "mechanism": "a test mechanism here",
                "dose_units_allowed": ["mg"],
                "sources": ["test"],
                "pk": pk,
            }
        }
    }


def test_schema_rejects_unsourced_assumptions_and_bad_fields():
    ok = parse_drug_catalog(
        _minimal(
            model="kpd",
            elimination_per_day=0.5,
            dose_ref=1.0,
            dose_ref_unit="mg",
            source="test source",
            confidence="assumption",
            basis="stated reason",
        )
    )
    assert ok.get("x").pk.elimination_per_day == 0.5
    with pytest.raises(CatalogError, match="basis"):
        parse_drug_catalog(
            _minimal(
                model="kpd",
                elimination_per_day=0.5,
                dose_ref=1.0,
                dose_ref_unit="mg",
                source="test source",
                confidence="assumption",
            )
        )
    with pytest.raises(CatalogError):
        parse_drug_catalog(
            _minimal(
                model="kpd",
                elimination_per_day=0.5,
                dose_ref=1.0,
                dose_ref_unit="mg",
                source="test source",
                confidence="curated",
                surprise=1,
            )
        )
    with pytest.raises(CatalogError):
        parse_drug_catalog(
            _minimal(
                model="two_compartment",
                cl_l_per_day=0.2,
                v1_l=3.0,
                q_l_per_day=0.5,
                v2_l=3.0,
                vmax_mg_per_day=1.0,
                source="test source",
                confidence="curated",
            )
        )


def test_covariate_forms():
    def cov(form, coefficient, ref=0.0, **kw):
        return Covariate(
            parameter="cl",
            covariate="weight_kg",
            form=form,
            coefficient=coefficient,
            reference_value=ref,
            source="test",
            confidence="curated",
            **kw,
        )

    assert cov("power", 0.595, 76.8).factor(76.8) == 1.0
    assert cov("power", 1.0, 50.0).factor(100.0) == pytest.approx(2.0)
    assert cov("proportional", -0.152).factor(1) == pytest.approx(0.848)
    assert cov("exponential", 0.165).factor(1) == pytest.approx(math.exp(0.165))
    assert cov("linear", -0.035, 38.0).factor(40.0) == pytest.approx(0.93)
    assert cov("log_power", 1.13, 206.0).factor(206.0) == 1.0
    above = cov("linear", -0.0082, 60.0, applies_above_reference=True)
    assert above.factor(50.0) == 1.0 and above.factor(70.0) == pytest.approx(0.918)


def test_markdown_lists_every_drug(catalog):
    text = drug_catalog_markdown(catalog)
    for drug in catalog:
        assert f"`{drug.key}`" in text


def test_docs_tables_are_the_generated_ones(catalog):
    here = Path(__file__).resolve()
    root = next(p for p in here.parents if (p / "pyproject.toml").is_file())
    docs = root / "docs" / "catalogs.md"
    if not docs.is_file():
        pytest.skip("docs/catalogs.md is absent")
    assert drug_catalog_markdown(catalog) in docs.read_text(encoding="utf-8"), (
        "docs/catalogs.md is stale; run python -m immunotwin.therapies.catalog --markdown"
    )
