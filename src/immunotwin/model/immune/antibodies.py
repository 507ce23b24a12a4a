"""Tumour-targeting antibodies: ``antitarget`` PK slot, Fc effector functions and signalling
blockade (brief §2.4 "Targeted mAbs and TCE", §2.6, §3).

PK: dXc/dt = -(CL + CL_TM)Cp - Vmax Cp/(Km + Cp) - Q(Cp - Xp/V2), dXp/dt = Q(Cp - Xp/V2), Cp =
Xc/V1 (mg); the trial engine sets ``antitarget_*`` per drug from the catalogue (defaults:
trastuzumab, Quartino 2019; cetuximab is Michaelis-Menten only, Dirks 2008; rituximab has a
decaying target-mediated CL_TM, Rozman 2017, updated at each dose). Tumour occupancy
RO_X = f_T c/(f_T c + Kd) with c in nM. Engagement of antigen-positive presenting cells
Phi = H(RO_X e_tgt; Phi50, 2) f_FcgR (FCGR3A genotype factor) raises NK killing by
(1 + a_ADCC Phi) (ADCC), M1 phagocytosis by (1 + a_ADCP Phi) (ADCP) and, for rituximab, adds
complement kill k_CDC Phi Cs. Trastuzumab and cetuximab inhibit growth by I_sig = I_max,sig RO_X.
With no antibody given every term is exactly zero (Xc = 0).
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

SLOT = "antitarget"
PARAMETERS = (
    "molar_scale",
    "partition_tumor",
    *(
        f"antitarget_{s}"
        for s in ("cl", "v1", "q", "v2", "vmax", "km", "tm_cl", "mw", "kd", "antigen_density")
    ),
    "antitarget_fcgr_factor",
    "fcgr3a_ff_factor",
    "adcc_half_engagement",
    "adcc_max",
    "adcp_max",
    "antitarget_cdc_rate",
    "antitarget_cdc_on",
    "antitarget_signaling_max",
    "antitarget_signaling_on",
)


def add_antibodies(model: Model) -> Model:
    """Add the ``antitarget`` PK slot and its ADCC/ADCP/CDC/signalling quantities."""
    m = with_parameters(model, PARAMETERS)
    c, per = f"{SLOT}_central", f"{SLOT}_peripheral"
    return m.extend(
        states=[
            state(c, "mg", "tumour-targeting mAb in the central compartment", abs_tol=1e-9),
            state(per, "mg", "tumour-targeting mAb in the peripheral compartment", abs_tol=1e-9),
        ],
        quantities=[
            quantity("antitarget_conc", f"{c}/antitarget_v1", "mg/L", "plasma concentration"),
            quantity(
                "antitarget_nm",
                "molar_scale*antitarget_conc/antitarget_mw",
                "nM",
                "plasma concentration (molar)",
            ),
            quantity(
                "ro_antitarget_tumor",
                "partition_tumor*antitarget_nm/(partition_tumor*antitarget_nm + antitarget_kd)",
                "dimensionless",
                "RO_X: target occupancy in the tumour",
            ),
            quantity(
                "antitarget_engagement",
                "hill(ro_antitarget_tumor*antitarget_antigen_density, adcc_half_engagement, 2)"
                "*antitarget_fcgr_factor",
                "dimensionless",
                "Phi: Fc engagement of antibody-coated presenting cells",
            ),
            quantity(
                "antitarget_adcc",
                "adcc_max*antitarget_engagement",
                "dimensionless",
                "a_ADCC*Phi: relative increase of NK killing (ADCC)",
            ),
            quantity(
                "antitarget_adcp",
                "adcp_max*antitarget_engagement",
                "dimensionless",
                "a_ADCP*Phi: relative increase of M1 phagocytosis (ADCP)",
            ),
            quantity(
                "antitarget_signaling",
                "antitarget_signaling_on*antitarget_signaling_max*ro_antitarget_tumor",
                "dimensionless",
                "I_sig: growth inhibition by HER2/EGFR signalling blockade",
            ),
            quantity(
                "antitarget_cdc_kill",
                "antitarget_cdc_on*antitarget_cdc_rate*antitarget_engagement*tumor_presenting",
                "cell/day",
                "R_CDC: complement-dependent kill (rituximab)",
            ),
        ],
        processes=[
            process(
                "antitarget_elimination",
                "(antitarget_cl + antitarget_tm_cl)*antitarget_conc"
                " + antitarget_vmax*antitarget_conc/(antitarget_km + antitarget_conc)",
                "mg/day",
                {c: -1},
                "linear, target-mediated and Michaelis-Menten elimination",
                "Quartino 2019; Dirks 2008; Rozman 2017 (brief §3)",
            ),
            process(
                "antitarget_distribution",
                f"antitarget_q*antitarget_conc - antitarget_q*{per}/antitarget_v2",
                "mg/day",
                {c: -1, per: 1},
                "central-peripheral exchange",
            ),
            process(
                "antitarget_cdc",
                "antitarget_cdc_kill",
                "cell/day",
                {"tumor_presenting": -1, "tumor_dead": 1},
                "complement-dependent cytotoxicity",
                "brief §2.4 (R_CDC,s = k_CDC Cs Phi_s)",
            ),
        ],
    )
