"""Adoptive cell therapy (CAR-T, TIL, TCR-T) and CD3 T-cell engagers (brief §2.4, §2.6, §3).

CAR-T (phenotype-structured, cellular kinetics anchored on Stein 2019 CPT:PSP, tisagenlecleucel):
antigen signal S = A/(A + K_Ag) with A = e_CAR Cs + b_CAR Bn V_blood (antigen-positive presenting
tumour cells plus, for CD19, normal B cells), and

    dCE/dt = rho_E S (1 + kappa_LD [1 - L/L0]+) CE/(1 + (CE + CM)/K_C)
             - (alpha_E + k_EM + k_exh S^2) CE + rho_M S CM
    dCM/dt = k_EM CE - beta_M CM - rho_M S CM

so expansion stops when the target is cleared (T_max, C_max emerge; tested against Stein's
9.3 d and 24,000 copies/ug). Kill R_CAR = k_CAR C_tgt f CE/(f CE + K_CAR A + 1) of antigen-positive
presenting cells (Cs) and normal B cells (B-cell aplasia, on-target/off-tumour); the escape clone
Cr is target-negative (antigen-negative relapse). Lymphodepletion enters through the
circulating-lymphocyte state L that fludarabine/cyclophosphamide deplete (chemotherapy module).

T-cell engager (blinatumomab): plasma concentration ``tce_concentration`` is a piecewise-constant
plug during each continuous infusion (C_ss = rate/CL, t1/2 ≈2 h). Redirected lysis
R_TCE = k_TCE C_tgt H(c; EC50) T_CD3/(T_CD3 + K_TCE A + 1) with T_CD3 = f_CD3 L V_blood.

CRS/ICANS: IL-6 is produced in proportion to CAR-T expansion and to engager-mediated lysis,
amplified by IL-6 itself and reduced by steroids, feeding the endothelial (E) and neuro (Nn)
indices of the toxicity module (ASTCT grading and tocilizumab/steroid rules in the trial layer).

TIL: infused tumour-reactive cells join the systemic effectors Tb (trial layer event) and
proliferate homeostatically in lymphodepleted space, rho_hom [1 - L/L0]+ Tb (only in arms with a
cell product, ``adoptive_transfer_on``); high-dose IL-2 acts through the cytokine module.
TCR-T: an HLA-restricted effector pool TR with CAR-like kinetics whose signal and kill need the
antigen on the restricting allele (``tcrt_antigen_match``) and MHC-I presentation (m_MHC of Cs);
the escape clone and HLA-lost tumours are invisible to it.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "cart_expansion_rate",
    "cart_contraction_rate",
    "cart_memory_rate",
    "cart_memory_decline_rate",
    "cart_memory_reactivation_rate",
    "cart_lymphodepletion_boost",
    "cart_exhaustion_rate",
    "cart_antigen_half",
    "cart_capacity",
    "cart_kill_rate",
    "cart_kill_ratio",
    "cart_tumor_access",
    "cart_target_density",
    "cart_normal_target",
    "blood_volume",
    "cart_blood_fraction",
    "cart_copies_per_cell_ul",
    "bcells_baseline",
    "bcell_turnover_time",
    "il6_cart_yield",
    "il6_tce_yield",
    "il6_amplification",
    "il6_amplification_half",
    "steroid_il6_effect",
    "adoptive_transfer_on",
    "homeostatic_expansion_rate",
    "til_reactive_fraction",
    "tcrt_antigen_match",
    "tcrt_tumor_access",
    "tce_concentration",
    "tce_ec50",
    "tce_kill_rate",
    "tce_kill_ratio",
    "tce_tcell_fraction",
    "lymphocytes_baseline",
    "one_cell",
)

CE, CM, BN, TR = "cart_effector", "cart_memory", "bcells_normal", "tcrt_effector"


def add_cell_therapy(model: Model) -> Model:
    """Add CAR-T effector/memory, normal B cells, TCR-T effectors and the engager processes
    (after the toxicity and host modules)."""
    m = with_parameters(model, PARAMETERS)
    states = [
        state(CE, "cell", "CAR-T effector/expanding pool (CE), whole body", abs_tol=1e-3),
        state(CM, "cell", "CAR-T memory/persistent pool (CM), whole body", abs_tol=1e-3),
        state(BN, "cell/uL", "normal circulating CD19+ B cells (Bn)", initial=200.0, abs_tol=1e-4),
        state(TR, "cell", "HLA-restricted TCR-T effectors (TR), whole body", abs_tol=1e-3),
    ]
    quantities = [
        quantity(
            "lymphodepleted_space",
            "Max(0, 1 - lymphocytes/lymphocytes_baseline)",
            "dimensionless",
            "[1 - L/L0]+: homeostatic space opened by lymphodepletion",
        ),
        quantity(
            "cart_tumor_targets",
            "cart_target_density*tumor_presenting",
            "cell",
            "antigen-positive presenting tumour cells seen by the CAR/engager",
        ),
        quantity(
            "cart_normal_targets",
            f"cart_normal_target*{BN}*blood_volume",
            "cell",
            "normal target cells (CD19+ B cells) seen by the CAR/engager",
        ),
        quantity(
            "cart_antigen",
            "cart_tumor_targets + cart_normal_targets",
            "cell",
            "A: all target-antigen-positive cells",
        ),
        quantity(
            "cart_signal",
            "cart_antigen/(cart_antigen + cart_antigen_half)",
            "dimensionless",
            "S_CAR: antigen stimulation of CAR-T",
        ),
        quantity(
            "cart_expansion_flux",
            f"cart_expansion_rate*cart_signal*(1 + cart_lymphodepletion_boost"
            f"*lymphodepleted_space)*{CE}/(1 + ({CE} + {CM})/cart_capacity)",
            "cell/day",
            "antigen-driven CAR-T expansion (new effectors per day)",
        ),
        quantity(
            "cart_kill_per_target",
            f"cart_kill_rate*cart_tumor_access*{CE}/(cart_tumor_access*{CE}"
            " + cart_kill_ratio*cart_antigen + one_cell)",
            "1/day",
            "per-target CAR kill rate k_CAR CE_T/(CE_T + K_CAR A + 1)",
        ),
        quantity(
            "cart_blood_per_ul",
            f"cart_blood_fraction*({CE} + {CM})/blood_volume",
            "cell/uL",
            "CAR-T cells per uL of peripheral blood",
        ),
        quantity(
            "cart_copies_per_ug",
            "cart_copies_per_cell_ul*cart_blood_per_ul",
            "cell/uL",
            "CAR transgene level in blood (copies/ug genomic DNA, as qPCR reports it; the unit "
            "shown is that of the cells/uL it is proportional to)",
        ),
        quantity(
            "tce_engagement",
            "tce_concentration/(tce_concentration + tce_ec50)",
            "dimensionless",
            "H(c_TCE; EC50): engager activity",
        ),
        quantity(
            "tce_kill_per_target",
            "tce_kill_rate*tce_engagement*tce_tcell_fraction*lymphocytes*blood_volume"
            "/(tce_tcell_fraction*lymphocytes*blood_volume + tce_kill_ratio*cart_antigen"
            " + one_cell)",
            "1/day",
            "per-target redirected lysis by engaged endogenous T cells (T_CD3 from L)",
        ),
        quantity(
            "tcrt_targets",
            "tcrt_antigen_match*mhc_presenting*tumor_presenting",
            "cell",
            "presenting tumour cells showing the TCR's peptide on the restricting HLA allele",
        ),
        quantity(
            "tcrt_signal",
            "tcrt_targets/(tcrt_targets + cart_antigen_half)",
            "dimensionless",
            "antigen stimulation of TCR-T",
        ),
        quantity(
            "tcrt_kill_per_target",
            f"cart_kill_rate*tcrt_tumor_access*{TR}/(tcrt_tumor_access*{TR}"
            " + cart_kill_ratio*tcrt_targets + one_cell)",
            "1/day",
            "per-target TCR-T kill rate (CAR-T kill law, solid-tumour access)",
        ),
    ]
    amplification = "(1 + il6_amplification*hill(il6, il6_amplification_half))"
    processes = [
        process(
            "cart_expansion",
            "cart_expansion_flux",
            "cell/day",
            {CE: 1},
            "antigen-driven CAR-T expansion, boosted by lymphodepletion",
            "brief §2.4 CAR-T; Stein 2019",
        ),
        process(
            "cart_contraction",
            f"(cart_contraction_rate + cart_exhaustion_rate*cart_signal**2)*{CE}",
            "cell/day",
            {CE: -1},
            "contraction and antigen-driven exhaustion of CAR-T effectors",
            "brief §2.4 CAR-T; Stein 2019 alpha",
        ),
        process(
            "cart_memory_formation",
            f"cart_memory_rate*{CE}",
            "cell/day",
            {CE: -1, CM: 1},
            "effector -> memory conversion",
            "Stein 2019 FB",
        ),
        process(
            "cart_memory_decline",
            f"cart_memory_decline_rate*{CM}",
            "cell/day",
            {CM: -1},
            "slow decline of persistent CAR-T",
            "Stein 2019 beta",
        ),
        process(
            "cart_memory_reactivation",
            f"cart_memory_reactivation_rate*cart_signal*{CM}",
            "cell/day",
            {CM: -1, CE: 1},
            "memory re-expansion on antigen",
        ),
        process(
            "cart_kill_tumor",
            "cart_kill_per_target*cart_tumor_targets",
            "cell/day",
            {"tumor_presenting": -1, "tumor_dead": 1},
            "CAR-T kill of antigen-positive cancer cells (escape clone is antigen-negative)",
            "brief §2.4 R_CAR",
        ),
        process(
            "cart_kill_bcells",
            f"cart_kill_per_target*cart_normal_target*{BN}",
            "cell/(uL*day)",
            {BN: -1},
            "on-target/off-tumour kill of normal B cells (B-cell aplasia)",
            "brief §2.4 dBn/dt",
        ),
        process(
            "bcell_homeostasis",
            f"(bcells_baseline - {BN})/bcell_turnover_time",
            "cell/(uL*day)",
            {BN: 1},
            "B-cell production and turnover",
            "brief §2.4 dBn/dt; Leon-Triana 2020",
        ),
        process(
            "bcell_lymphodepletion",
            f"chemo_lymphocyte_depletion*{BN}",
            "cell/(uL*day)",
            {BN: -1},
            "B-cell depletion by lymphodepleting chemotherapy",
            "brief §2.4 dBn/dt (- LD(t) Bn)",
        ),
        process(
            "tce_kill_tumor",
            "tce_kill_per_target*cart_tumor_targets",
            "cell/day",
            {"tumor_presenting": -1, "tumor_dead": 1},
            "engager-redirected lysis of antigen-positive cancer cells",
            "brief §2.4 R_TCE",
        ),
        process(
            "tce_kill_bcells",
            f"tce_kill_per_target*cart_normal_target*{BN}",
            "cell/(uL*day)",
            {BN: -1},
            "engager-redirected lysis of normal B cells",
            "brief §2.4 R_TCE",
        ),
        process(
            "il6_cell_therapy_production",
            f"(il6_cart_yield*cart_expansion_flux + il6_tce_yield*tce_kill_per_target"
            f"*cart_antigen)*{amplification}*(1 - steroid_il6_effect)",
            "pg/(mL*day)",
            {"il6": 1},
            "IL-6 released with CAR-T expansion and engager-mediated lysis (CRS driver)",
            "brief §2.4 dI6/dt (k6,CAR rho_E S CE + k6,TCE R_TCE)",
        ),
        process(
            "homeostatic_expansion_effectors",
            "adoptive_transfer_on*homeostatic_expansion_rate*lymphodepleted_space*teff_systemic",
            "cell/day",
            {"teff_systemic": 1},
            "homeostatic proliferation of infused effectors (TIL) in lymphodepleted space",
            "brief §2.4 TIL",
        ),
        process(
            "tcrt_expansion",
            f"cart_expansion_rate*tcrt_signal*(1 + cart_lymphodepletion_boost"
            f"*lymphodepleted_space)*{TR}/(1 + {TR}/cart_capacity)",
            "cell/day",
            {TR: 1},
            "antigen-driven TCR-T expansion (CAR-T kinetics)",
            "brief §2.4 TCR-T",
        ),
        process(
            "tcrt_contraction",
            f"(cart_contraction_rate + cart_exhaustion_rate*tcrt_signal**2)*{TR}",
            "cell/day",
            {TR: -1},
            "contraction and exhaustion of TCR-T effectors",
        ),
        process(
            "tcrt_kill_tumor",
            "tcrt_kill_per_target*tcrt_targets",
            "cell/day",
            {"tumor_presenting": -1, "tumor_dead": 1},
            "HLA-restricted kill of presenting antigen-positive cancer cells",
            "brief §2.4 TCR-T",
        ),
    ]
    return m.extend(states=states, quantities=quantities, processes=processes)
