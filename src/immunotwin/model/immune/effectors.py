"""Tumour-specific CD8 effectors: trafficking, killing, exhaustion, memory, reinvigoration
(brief §2.3-§2.4).

States: ``teff_systemic`` (Tb, blood + periphery), ``teff_tumor`` (Tt, PD-1-high),
``texh_tumor`` (Tx, dysfunctional; contains the reinvigorable progenitors), ``tmem_systemic``
(Tm), ``teff_recall_systemic`` (Tbr, PD-1-low effectors: just recalled from memory, or the burst
of clones newly primed under CTLA-4 blockade, see the priming module) and ``teff_fresh_tumor``
(Tf, those effectors in the tumour while they are still PD-1-low).
Killing is QSP-IO's ratio-dependent form (``model/Teff_module.m``) over all tumour effectors
(Tt + Tf), braked by TGF-beta and MDSC, scaled by each clone's MHC-I factor, and released from
PD-1 by the cell-weighted mean of (1 - H_PD1) over Tt and (1 - H_PD1,f) over Tf. Four
patient-level factors scale the killing capacity: neoantigen breadth (n_cl/n_cl,ref)^alpha_TMB,
the pre-existing CD8 infiltrate I_CD8^alpha_I, the adaptive-resistance PD-L1 level
(rho_L1,0/rho_L1,ref)^alpha_PDL1 and f_pre^PSTH for a patient pre-treated with systemic therapy
(all 1 for a nominal, treatment-naive tumour; population layer sets them).

Memory (absent in QSP-IO) forms from systemic effectors and is recalled by antigen-loaded DCs
(the recall process is in the priming module); ``memory_formation_rate = 0`` switches it off.
Memory cells re-methylate the PD-1 (Pdcd1) locus, so their progeny re-express PD-1 only weakly
until chronic antigen re-imposes the PD-1-high state (Youngblood 2011 Immunity 35:400): the
recall-derived effectors keep killing when the drug is gone and H_PD1 of the PD-1-high pool is
back at ~1. This is what gives memory its durability after washout.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "lag3_release_max",
    "neoantigen_kill_exponent",
    "n_clones_reference",
    "n_clones",
    "cd8_infiltrate_relative",
    "infiltrate_kill_exponent",
    "pdl1_kill_exponent",
    "pdl1_reference_density",
    "prior_systemic_therapy",
    "pretreated_kill_factor",
    "one_cell",
    "cd8_kill_rate",
    "kill_ratio_tc",
    "kill_ratio_treg",
    "exhaustion_rate",
    "treg_inactivation_rate",
    "effector_death_rate",
    "tumor_entry_rate",
    "blood_fraction",
    "memory_formation_rate",
    "memory_loss_rate",
    "reinvigoration_rate",
    "il10_treg_help",
    "il10_half",
    "dead_cell_clearance_rate",
    "fresh_pd1_upregulation_rate",
)


def add_effectors(model: Model) -> Model:
    """Add Tb, Tt, Tx, Tm with killing, exhaustion, Treg suppression and memory formation."""
    m = with_parameters(model, PARAMETERS)
    tb, tt, tx, tm = "teff_systemic", "teff_tumor", "texh_tumor", "tmem_systemic"
    tbr, tf = "teff_recall_systemic", "teff_fresh_tumor"
    return m.extend(
        states=[
            state(tb, "cell", "systemic tumour-specific effector CD8 (Tb)", abs_tol=1e-3),
            state(tt, "cell", "effector CD8 in tumour (Tt)", abs_tol=1e-3),
            state(tx, "cell", "dysfunctional/exhausted CD8 in tumour (Tx)", abs_tol=1e-3),
            state(tm, "cell", "tumour-specific memory CD8 (Tm)", abs_tol=1e-3),
            state(
                tbr,
                "cell",
                "PD-1-low systemic effectors: recalled from memory or newly primed clones (Tbr)",
                abs_tol=1e-3,
            ),
            state(tf, "cell", "fresh PD-1-low effectors in tumour (Tf)", abs_tol=1e-3),
        ],
        quantities=[
            quantity(
                "tumor_entry_per_cell",
                "tumor_entry_rate*tumor_volume_ml*antigen_presence*blood_fraction*vascular_normalisation",
                "1/day",
                "k_in: tumour entry rate per systemic effector",
            ),
            quantity(
                "cd8_brakes",
                "(1 - tgfb_suppression)*(1 - h_pd1)*(1 - mdsc_suppression)",
                "dimensionless",
                "(1 - H_TGF)(1 - H_PD1)(1 - H_MD)",
            ),
            quantity(
                "cd8_tumor_total",
                f"{tt} + {tf}",
                "cell",
                "all effector CD8 in the tumour (Tt + Tf)",
            ),
            quantity(
                "cd8_pd1_release",
                f"({tt}*(1 - h_pd1) + {tf}*(1 - h_pd1_fresh))/({tt} + {tf} + one_cell)",
                "dimensionless",
                "cell-weighted mean of (1 - H_PD1) over the PD-1-high and PD-1-low effectors",
            ),
            quantity(
                "cd8_kill_per_cell",
                "cd8_kill_rate*cd8_tumor_total"
                "/(kill_ratio_tc*tumor_cells_total + cd8_tumor_total + one_cell)"
                "*cd8_tumor_total/(cd8_tumor_total + kill_ratio_treg*treg_tumor + one_cell)"
                "*(1 - tgfb_suppression)*(1 - mdsc_suppression)*cd8_pd1_release"
                "*(1 + lag3_release_max*ro_lag3_tumor)"
                "*(n_clones/n_clones_reference)**neoantigen_kill_exponent"
                "*cd8_infiltrate_relative**infiltrate_kill_exponent"
                "*(pdl1_basal_density/pdl1_reference_density)**pdl1_kill_exponent"
                "*pretreated_kill_factor**prior_systemic_therapy",
                "1/day",
                "CD8 kill rate per fully presenting cancer cell (x neoantigen breadth, pre-existing"
                " infiltrate, adaptive-resistance and prior-therapy factors)",
            ),
            quantity(
                "cd8_kill_presenting",
                "cd8_kill_per_cell*mhc_presenting*tumor_presenting",
                "cell/day",
                "R_T,s: CD8 kill of presenting cells",
            ),
            quantity(
                "cd8_kill_escape",
                "cd8_kill_per_cell*mhc_escape*tumor_escape",
                "cell/day",
                "R_T,r: CD8 kill of the escape clone (0 if MHC-I null)",
            ),
        ],
        processes=[
            process(
                "cd8_kill_presenting_cells",
                "cd8_kill_presenting",
                "cell/day",
                {"tumor_presenting": -1, "tumor_dead": 1},
                "CD8 killing",
                "QSPIO model/Teff_module.m (Robertson-Tessi 2012)",
            ),
            process(
                "cd8_kill_escape_cells",
                "cd8_kill_escape",
                "cell/day",
                {"tumor_escape": -1, "tumor_dead": 1},
                "CD8 killing of the escape clone",
            ),
            process(
                "effector_death_systemic",
                f"effector_death_rate*{tb}",
                "cell/day",
                {tb: -1},
                "systemic effector death",
            ),
            process(
                "tumor_infiltration",
                f"tumor_entry_per_cell*{tb}",
                "cell/day",
                {tb: -1, tt: 1},
                "trafficking into the tumour",
            ),
            process(
                "memory_formation",
                f"memory_formation_rate*{tb}",
                "cell/day",
                {tb: -1, tm: 1},
                "effector to memory conversion",
            ),
            process(
                "memory_loss", f"memory_loss_rate*{tm}", "cell/day", {tm: -1}, "loss of memory"
            ),
            process(
                "effector_death_tumor",
                f"effector_death_rate*{tt}",
                "cell/day",
                {tt: -1, tx: 1},
                "effector death in tumour (to the dysfunctional pool)",
            ),
            process(
                "exhaustion",
                f"exhaustion_rate*h_pd1*{tt}*tumor_cells_total"
                f"/(tumor_cells_total + {tt} + one_cell)",
                "cell/day",
                {tt: -1, tx: 1},
                "PD-1-dependent exhaustion by cancer cells",
            ),
            process(
                "treg_inactivation",
                f"treg_inactivation_rate*{tt}*treg_tumor/({tt} + treg_tumor + one_cell)"
                "*(1 + il10_treg_help*hill(il10_tumor, il10_half))",
                "cell/day",
                {tt: -1, tx: 1},
                "inactivation by Tregs (IL-10-enhanced)",
            ),
            process(
                "effector_stranded",
                f"dead_cell_clearance_rate*(1 - antigen_presence)*{tt}",
                "cell/day",
                {tt: -1},
                "clearance of effectors when antigen is gone",
            ),
            process(
                "reinvigoration",
                f"reinvigoration_rate*(1 - h_pd1)*{tx}",
                "cell/day",
                {tx: -1, tt: 1},
                "reinvigoration of progenitor-exhausted cells, PD-1 released",
            ),
            process(
                "recall_effector_death",
                f"effector_death_rate*{tbr}",
                "cell/day",
                {tbr: -1},
                "death of recalled systemic effectors",
            ),
            process(
                "recall_infiltration",
                f"tumor_entry_per_cell*{tbr}",
                "cell/day",
                {tbr: -1, tf: 1},
                "recalled effectors enter the tumour as fresh PD-1-low cells",
            ),
            process(
                "recall_memory_formation",
                f"memory_formation_rate*{tbr}",
                "cell/day",
                {tbr: -1, tm: 1},
                "recalled effectors return to memory",
            ),
            process(
                "fresh_pd1_upregulation",
                f"fresh_pd1_upregulation_rate*antigen_presence*{tf}",
                "cell/day",
                {tf: -1, tt: 1},
                "chronic antigen turns fresh effectors PD-1-high (Pdcd1 demethylation)",
                "Youngblood 2011 Immunity 35:400 (rate: assumption)",
            ),
            process(
                "fresh_effector_death",
                f"effector_death_rate*{tf}",
                "cell/day",
                {tf: -1, tx: 1},
                "fresh effector death in tumour (to the dysfunctional pool)",
            ),
            process(
                "fresh_exhaustion",
                f"exhaustion_rate*h_pd1_fresh*{tf}*tumor_cells_total"
                f"/(tumor_cells_total + {tf} + one_cell)",
                "cell/day",
                {tf: -1, tx: 1},
                "PD-1-dependent exhaustion of fresh effectors (with their low H_PD1,f)",
            ),
            process(
                "fresh_effector_stranded",
                f"dead_cell_clearance_rate*(1 - antigen_presence)*{tf}",
                "cell/day",
                {tf: -1},
                "clearance of fresh effectors when antigen is gone",
            ),
            process(
                "exhausted_clearance",
                f"dead_cell_clearance_rate*{tx}",
                "cell/day",
                {tx: -1},
                "clearance of dysfunctional cells",
            ),
        ],
    )
