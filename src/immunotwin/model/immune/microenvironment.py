"""Suppressive and innate tumour microenvironment (brief §2.3-§2.4).

States: Tregs, MDSC, M1/M2 macrophages, NK cells, IFN-gamma, TGF-beta and relative tumour
PD-L1. CCL2, IL-10 and IL-12 are quasi-steady-state quantities (turnover < 1 day), as the brief
reduces QSP-IO's ``MDSC_module``, ``macrophage_module`` and cytokine species. NK cells kill
both clones, more so cells lacking MHC-I (missing self, x(1 + s_ms*(1 - m))); M1 macrophages
phagocytose, inhibited by IL-10. Tumour-targeting mAbs act through ``antitarget_adcc`` /
``antitarget_adcp`` (antibodies module; the constant plugs ``adcc_engagement`` /
``adcp_engagement`` stay 0), IL-2 therapy through ``il2_systemic``.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "ml_per_l",
    "one_cell",
    "treg_recruitment",
    "treg_death_rate",
    "treg_conversion_rate",
    "cd4_per_cd8",
    "treg_il2_boost",
    "il2_half_treg",
    "il2_systemic",
    "antictla4_adcc",
    "adcc_occupancy_half",
    "mdsc_recruitment",
    "mdsc_death_rate",
    "mdsc_half_density",
    "ccl2_secretion",
    "ccl2_decay_rate",
    "ccl2_half",
    "macrophage_recruitment",
    "macrophage_death_rate",
    "m2_polarization_rate",
    "m1_polarization_rate",
    "il10_secretion",
    "il10_decay_rate",
    "il10_half",
    "il10_half_phagocytosis",
    "il12_secretion_dc",
    "il12_secretion_m1",
    "il12_decay_rate",
    "il12_half",
    "ifng_half_m1",
    "dc_migration_rate",
    "phagocytosis_rate",
    "phagocytosis_ratio",
    "nk_kill_rate",
    "nk_kill_ratio",
    "nk_recruitment",
    "nk_death_rate",
    "tgfb_half_nk",
    "nk_missing_self_boost",
    "adcc_engagement",
    "adcp_engagement",
    "lymphocytes_baseline",
    "ifng_secretion",
    "ifng_decay_rate",
    "tgfb_baseline",
    "tgfb_decay_rate",
    "tgfb_secretion_treg",
    "tgfb_secretion_m2",
    "tgfb_half",
    "tgfb_half_cd8",
    "pdl1_turnover_rate",
    "pdl1_max_induction",
    "ifng_half_pdl1",
    "dead_cell_clearance_rate",
)

_STRANDED = "dead_cell_clearance_rate*(1 - antigen_presence)"


def add_microenvironment(model: Model) -> Model:
    """Add Tregs, MDSC, macrophages, NK cells, IFN-gamma, TGF-beta and PD-L1 (after tumour)."""
    m = with_parameters(model, PARAMETERS)
    vol = "tumor_volume_ml"
    nk_common = (
        "nk_kill_rate*nk_tumor/(nk_tumor + nk_kill_ratio*tumor_cells_total + one_cell)"
        "*(1 - hill(tgfb_tumor, tgfb_half_nk))"
    )
    phago_common = (
        "phagocytosis_rate*macrophage_m1"
        "/(macrophage_m1 + phagocytosis_ratio*tumor_cells_total + one_cell)"
        "*(1 - hill(il10_tumor, il10_half_phagocytosis))"
    )
    return m.extend(
        states=[
            state("treg_tumor", "cell", "regulatory T cells in tumour (Rt)", abs_tol=1e-3),
            state(
                "mdsc_tumor",
                "cell",
                "myeloid-derived suppressor cells in tumour (Md)",
                abs_tol=1e-3,
            ),
            state("macrophage_m1", "cell", "M1-like macrophages in tumour", abs_tol=1e-3),
            state("macrophage_m2", "cell", "M2-like macrophages in tumour", abs_tol=1e-3),
            state("nk_tumor", "cell", "NK cells in tumour", abs_tol=1e-3),
            state("ifng_tumor", "nM", "IFN-gamma in tumour interstitium (G)", abs_tol=1e-10),
            state(
                "tgfb_tumor",
                "nM",
                "TGF-beta in tumour interstitium (B)",
                initial=0.016,
                abs_tol=1e-10,
            ),
            state(
                "pdl1_tumor_relative",
                "dimensionless",
                "tumour PD-L1 expression relative to basal (PL)",
                initial=1.0,
                abs_tol=1e-8,
            ),
        ],
        quantities=[
            quantity(
                "ccl2_tumor",
                f"ml_per_l*ccl2_secretion*tumor_cells_total/(ccl2_decay_rate*{vol})",
                "nM",
                "CCL2 (QSS)",
            ),
            quantity(
                "il10_tumor",
                f"ml_per_l*il10_secretion*macrophage_m2/(il10_decay_rate*{vol})",
                "nM",
                "IL-10 (QSS)",
            ),
            quantity(
                "dc_in_tumor",
                "dc_production/dc_migration_rate",
                "cell",
                "mature DCs still in the tumour (QSS)",
            ),
            quantity(
                "il12_tumor",
                "ml_per_l*(il12_secretion_dc*dc_in_tumor + il12_secretion_m1*macrophage_m1)"
                f"/(il12_decay_rate*{vol})",
                "nM",
                "IL-12 (QSS)",
            ),
            quantity(
                "mdsc_suppression",
                f"hill(mdsc_tumor/{vol}, mdsc_half_density)",
                "dimensionless",
                "H_MD: MDSC (NO, Arg-I) inhibition of CD8 killing",
            ),
            quantity(
                "tgfb_suppression",
                "hill(tgfb_tumor, tgfb_half_cd8)",
                "dimensionless",
                "H_TGF: TGF-beta inhibition of CD8 killing",
            ),
            quantity(
                "nk_kill_presenting",
                f"{nk_common}*(1 + nk_missing_self_boost*(1 - mhc_presenting))"
                "*(1 + adcc_engagement + antitarget_adcc)*tumor_presenting",
                "cell/day",
                "NK kill of presenting cells (missing self, ADCC plug)",
            ),
            quantity(
                "nk_kill_escape",
                f"{nk_common}*(1 + nk_missing_self_boost*(1 - mhc_escape))*tumor_escape",
                "cell/day",
                "NK kill of the escape clone (missing self)",
            ),
            quantity(
                "phagocytosis_presenting",
                f"{phago_common}*(1 + adcp_engagement + antitarget_adcp)*tumor_presenting",
                "cell/day",
                "M1 phagocytosis of presenting cells",
            ),
            quantity(
                "phagocytosis_escape",
                f"{phago_common}*tumor_escape",
                "cell/day",
                "M1 phagocytosis of the escape clone",
            ),
        ],
        processes=[
            process(
                "treg_influx",
                f"treg_recruitment*{vol}*antigen_presence"
                "*(1 + treg_il2_boost*hill(il2_systemic, il2_half_treg))",
                "cell/day",
                {"treg_tumor": 1},
                "Treg recruitment into antigen-bearing tumour",
            ),
            process(
                "treg_conversion",
                "treg_conversion_rate*hill(tgfb_tumor, tgfb_half)*cd4_per_cd8*teff_tumor",
                "cell/day",
                {"treg_tumor": 1},
                "TGF-beta-driven Th to Treg conversion",
            ),
            process(
                "treg_death",
                "treg_death_rate*treg_tumor",
                "cell/day",
                {"treg_tumor": -1},
                "Treg death",
            ),
            process(
                "treg_adcc",
                "antictla4_adcc*hill(ro_ctla4_tumor, adcc_occupancy_half, 2)*treg_tumor",
                "cell/day",
                {"treg_tumor": -1},
                "Fc-mediated depletion of CTLA-4-high Tregs by anti-CTLA-4 (ipilimumab)",
                "QSPIO parameters_NSCLC.m (Richards 2008)",
            ),
            process(
                "treg_stranded",
                f"{_STRANDED}*treg_tumor",
                "cell/day",
                {"treg_tumor": -1},
                "clearance when antigen is gone",
            ),
            process(
                "mdsc_influx",
                f"mdsc_recruitment*{vol}*hill(ccl2_tumor, ccl2_half)",
                "cell/day",
                {"mdsc_tumor": 1},
                "CCL2-driven MDSC recruitment",
            ),
            process(
                "mdsc_death",
                f"(mdsc_death_rate + {_STRANDED})*mdsc_tumor",
                "cell/day",
                {"mdsc_tumor": -1},
                "MDSC death and clearance",
            ),
            process(
                "macrophage_influx",
                f"macrophage_recruitment*{vol}*hill(ccl2_tumor, ccl2_half)",
                "cell/day",
                {"macrophage_m1": 1},
                "CCL2-driven macrophage recruitment (as M1)",
            ),
            process(
                "m1_death",
                f"(macrophage_death_rate + {_STRANDED})*macrophage_m1",
                "cell/day",
                {"macrophage_m1": -1},
                "M1 death and clearance",
            ),
            process(
                "m2_death",
                f"(macrophage_death_rate + {_STRANDED})*macrophage_m2",
                "cell/day",
                {"macrophage_m2": -1},
                "M2 death and clearance",
            ),
            process(
                "m1_to_m2",
                "m2_polarization_rate*(hill(tgfb_tumor, tgfb_half) + hill(il10_tumor, il10_half))"
                "*macrophage_m1",
                "cell/day",
                {"macrophage_m1": -1, "macrophage_m2": 1},
                "TGF-beta and IL-10 drive M2 polarization",
            ),
            process(
                "m2_to_m1",
                "m1_polarization_rate*(hill(il12_tumor, il12_half)"
                " + hill(ifng_tumor, ifng_half_m1))"
                "*macrophage_m2",
                "cell/day",
                {"macrophage_m2": -1, "macrophage_m1": 1},
                "IL-12 and IFN-gamma drive M1 repolarization",
            ),
            process(
                "nk_influx",
                f"nk_recruitment*{vol}*lymphocytes/lymphocytes_baseline",
                "cell/day",
                {"nk_tumor": 1},
                "NK recruitment, scaled by the lymphocyte count",
            ),
            process("nk_death", "nk_death_rate*nk_tumor", "cell/day", {"nk_tumor": -1}, "NK death"),
            process(
                "nk_kill_presenting_cells",
                "nk_kill_presenting",
                "cell/day",
                {"tumor_presenting": -1, "tumor_dead": 1},
                "NK killing",
            ),
            process(
                "nk_kill_escape_cells",
                "nk_kill_escape",
                "cell/day",
                {"tumor_escape": -1, "tumor_dead": 1},
                "NK killing (missing self)",
            ),
            process(
                "phagocytosis_presenting_cells",
                "phagocytosis_presenting",
                "cell/day",
                {"tumor_presenting": -1, "tumor_dead": 1},
                "M1 phagocytosis",
            ),
            process(
                "phagocytosis_escape_cells",
                "phagocytosis_escape",
                "cell/day",
                {"tumor_escape": -1, "tumor_dead": 1},
                "M1 phagocytosis",
            ),
            process(
                "ifng_secretion_process",
                "ml_per_l*ifng_secretion*(1 + cd4_per_cd8/3)*(teff_tumor + teff_fresh_tumor)"
                f"/{vol}",
                "nM/day",
                {"ifng_tumor": 1},
                "IFN-gamma from CD8 (and CD4 helpers at 1/3)",
            ),
            process(
                "ifng_decay",
                "ifng_decay_rate*ifng_tumor",
                "nM/day",
                {"ifng_tumor": -1},
                "IFN-gamma degradation",
            ),
            process(
                "tgfb_turnover",
                "tgfb_decay_rate*(tgfb_baseline - tgfb_tumor)",
                "nM/day",
                {"tgfb_tumor": 1},
                "TGF-beta return to baseline",
            ),
            process(
                "tgfb_secretion",
                f"ml_per_l*(tgfb_secretion_treg*treg_tumor + tgfb_secretion_m2*macrophage_m2)"
                f"/{vol}",
                "nM/day",
                {"tgfb_tumor": 1},
                "TGF-beta from Tregs and M2",
            ),
            process(
                "pdl1_induction",
                "pdl1_turnover_rate*(1 + (pdl1_max_induction - 1)*hill(ifng_tumor, ifng_half_pdl1)"
                " - pdl1_tumor_relative)",
                "1/day",
                {"pdl1_tumor_relative": 1},
                "IFN-gamma-induced PD-L1 (QSS target 1..r_L1)",
            ),
        ],
    )
