"""Antigen release, DC maturation and priming in the tumour-draining lymph node
(brief §2.3-§2.4; QSS reduction of QSP-IO ``APC_module``/``antigen_module``/``Teff_module``).

States: ``dc_lymph_node`` (mature antigen-loaded DCs) and ``tcell_activated`` (Ta, dividing
tumour-specific CD8). Every death route releases antigen/DAMP with its immunogenicity weight;
DAMP (QSS) drives APC maturation; DC-site availability H_DC, antigen quality q_Ag and clone
number n_cl set activation; the division number N = N0 + N_cs*H_CD28 + N_IL2*H(IL-2) sets the
clonal burst 2^N into the systemic effector pool. Memory cells are recalled by antigen-loaded
DCs straight into the effector pool with a small expansion 2^N_rec (recall into Ta with the full
2^N burst, as the brief writes it, makes the effector-memory loop gain exceed 1).

CTLA-4 blockade primes new clones (``tcell_activated_new``, Ta,new): in patients on ipilimumab
the number of detectable melanoma-reactive CD8 responses rises while responses present before
treatment are not boosted (Kvistborg 2014 Sci Transl Med 6:254ra128), and the blood repertoire
gains newly detected clones within two weeks (Oh 2017 Cancer Res 77:1322). These clones have not
met chronic antigen, so their burst joins the PD-1-low effector pool (``teff_recall_systemic``
-> ``teff_fresh_tumor``) as the clones that replace the pre-existing ones in the tumour after
checkpoint blockade do (Yost 2019 Nat Med 25:1251).
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "ml_per_l",
    "one_cell",
    "apc_density_tumor",
    "apc_maturation_rate",
    "apc_death_rate",
    "dc_death_rate",
    "damp_baseline",
    "damp_half",
    "damp_decay_rate",
    "damp_per_dead_cell",
    "immunogenicity_basal",
    "immunogenicity_cd8",
    "immunogenicity_innate",
    "immunogenicity_doomed",
    "tcells_per_dc",
    "naive_precursors_per_clone",
    "n_clones",
    "antigen_quality",
    "activation_rate",
    "division_rate",
    "divisions_tcr",
    "divisions_cd28",
    "divisions_il2",
    "il2_half_divisions",
    "il2_ln_endogenous",
    "il2_systemic",
    "il2_secretion_tcell",
    "il2_decay_rate",
    "lymph_node_volume",
    "recall_divisions",
    "il2_ln_partition",
    "apc_pdl1_weight",
    "recall_rate",
    "dc_influx_external",
    "il10_half",
    "tumor_basal_death_rate",
    "doomed_cell_death_rate",
    "ctla4_priming_breadth",
)


def add_priming(model: Model) -> Model:
    """Add DCs and activated T cells, with the clonal burst into ``teff_systemic``."""
    m = with_parameters(model, PARAMETERS)
    dc, ta, tn = "dc_lymph_node", "tcell_activated", "tcell_activated_new"
    return m.extend(
        states=[
            state(dc, "cell", "mature antigen-loaded DCs in the TDLN", abs_tol=1e-3),
            state(
                ta, "cell", "activated, dividing tumour-specific CD8 in the TDLN (Ta)", abs_tol=1e-3
            ),
            state(
                tn,
                "cell",
                "dividing CD8 of clones newly primed under CTLA-4 blockade (Ta,new)",
                abs_tol=1e-3,
            ),
        ],
        quantities=[
            quantity(
                "immunogenic_death_flux",
                "immunogenicity_basal*tumor_basal_death_rate*(tumor_presenting + tumor_escape)"
                " + immunogenicity_cd8*(cd8_kill_presenting + cd8_kill_escape)"
                " + immunogenicity_innate*(nk_kill_presenting + nk_kill_escape"
                " + phagocytosis_presenting + phagocytosis_escape)"
                " + chemo_immunogenic_kill + oncolytic_immunogenic_kill"
                " + immunogenicity_doomed*doomed_cell_death_rate*tumor_doomed",
                "cell/day",
                "F_imm: immunogenicity-weighted cancer-cell death flux",
            ),
            quantity(
                "damp_concentration",
                "damp_baseline + damp_per_dead_cell*immunogenic_death_flux*ml_per_l"
                "/(damp_decay_rate*tumor_volume_ml)",
                "M",
                "DAMP-like cytokine (QSS)",
            ),
            quantity(
                "apc_maturation_signal",
                "hill(damp_concentration, damp_half)",
                "dimensionless",
                "H_c",
            ),
            quantity(
                "dc_production",
                "apc_death_rate*apc_density_tumor*tumor_volume_ml*apc_maturation_rate"
                "*apc_maturation_signal/(apc_maturation_rate*apc_maturation_signal"
                " + apc_death_rate)",
                "cell/day",
                "P_DC: replenishment-limited mature-DC production",
            ),
            quantity(
                "dc_site_availability",
                f"tcells_per_dc*{dc}/(tcells_per_dc*{dc}"
                " + n_clones*naive_precursors_per_clone + one_cell)",
                "dimensionless",
                "H_DC",
            ),
            quantity(
                "il2_lymph_node",
                "il2_ln_endogenous + ml_per_l*il2_secretion_tcell*tcell_activated"
                "/(il2_decay_rate*lymph_node_volume) + il2_ln_partition*il2_systemic",
                "nM",
                "IL-2 in the lymph node (QSS of autocrine secretion, plus therapy)",
            ),
            quantity(
                "division_number",
                "divisions_tcr + divisions_cd28*h_cd28"
                " + divisions_il2*hill(il2_lymph_node, il2_half_divisions)",
                "dimensionless",
                "N_div",
            ),
            quantity(
                "activation_flux",
                "activation_rate*dc_site_availability*antigen_quality*n_clones"
                "*naive_precursors_per_clone*(1 - apc_pdl1_weight*h_pd1_apc)",
                "cell/day",
                "J_act: naive CD8 activation",
            ),
            quantity(
                "new_clone_priming_flux",
                "activation_flux*ctla4_priming_breadth*ro_ctla4_ln",
                "cell/day",
                "activation of clones that only CTLA-4 blockade primes",
            ),
        ],
        processes=[
            process(
                "dc_arrival",
                "dc_production*(1 - hill(il10_tumor, il10_half)) + dc_influx_external",
                "cell/day",
                {dc: 1},
                "mature DCs reaching the TDLN (IL-10 inhibits maturation)",
            ),
            process("dc_death", f"dc_death_rate*{dc}", "cell/day", {dc: -1}, "DC death"),
            process("priming", "activation_flux", "cell/day", {ta: 1}, "naive CD8 activation"),
            process(
                "new_clone_priming",
                "new_clone_priming_flux",
                "cell/day",
                {tn: 1},
                "new clones primed under CTLA-4 blockade",
                "Kvistborg 2014 Sci Transl Med 6:254ra128",
            ),
            process(
                "memory_recall",
                "recall_rate*dc_site_availability*tmem_systemic",
                "cell/day",
                {"tmem_systemic": -1},
                "recall of memory by loaded DCs",
            ),
            process(
                "memory_recall_burst",
                "recall_rate*dc_site_availability*tmem_systemic"
                "*exp(0.6931471805599453*recall_divisions)",
                "cell/day",
                {"teff_recall_systemic": 1},
                "recalled memory expands 2^N_rec-fold into PD-1-low recall effectors",
            ),
            process(
                "activated_exit",
                f"division_rate/division_number*{ta}",
                "cell/day",
                {ta: -1},
                "activated cells finish their N divisions",
            ),
            process(
                "clonal_burst",
                f"division_rate/division_number*exp(0.6931471805599453*division_number)*{ta}",
                "cell/day",
                {"teff_systemic": 1},
                "2^N effectors per activated cell",
            ),
            process(
                "new_clone_exit",
                f"division_rate/division_number*{tn}",
                "cell/day",
                {tn: -1},
                "newly primed cells finish their N divisions",
            ),
            process(
                "new_clone_burst",
                f"division_rate/division_number*exp(0.6931471805599453*division_number)*{tn}",
                "cell/day",
                {"teff_recall_systemic": 1},
                "2^N PD-1-low effectors per newly primed cell (clones new to chronic antigen)",
                "Yost 2019 Nat Med 25:1251",
            ),
        ],
    )
