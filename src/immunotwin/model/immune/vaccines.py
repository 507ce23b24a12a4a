"""Therapeutic cancer vaccines and oncolytic virus (brief §2.4 "Vaccines", §2.6, §3).

States: ``vaccine_depot`` (Vx, dose-normalised antigen depot of a peptide-in-adjuvant or
mRNA-LNP vaccine; 1 = the product's reference dose), ``dc_vaccine`` (DCs in the draining lymph
node that present the vaccine antigen: loaded from the depot, or infused as a DC product) and
``oncolytic_virus`` (dose-normalised intralesional virus activity; 1 = 4e8 PFU).

- Depot: dVx/dt = -k_vx Vx (+ doses); DC loading k_vDC a_adj Vx/(Vx + V50) into ``dc_vaccine``.
- DC product (sipuleucel-T): a bolus of eta_hom x infused cells into ``dc_vaccine``.
- Vaccine priming (brief): J_act,vac = k_act H_DC,vac q_vac n_cl,vac n_pre (1 - w_APC H_PD1,APC),
  H_DC,vac = n_s DCv/(n_s DCv + n_cl,vac n_pre + 1). The brief lets vaccine-primed effectors join
  Tb with their killing multiplied by f_vAg (fraction of tumour cells presenting the vaccine
  epitopes); killing is linear in effectors to first order, so here the flux that enters Ta (and
  hence the clonal burst into Tb) is J_act,vac f_vAg: only the tumour-relevant part is tracked.
- Vaccine-induced cytostasis (issue 6; sipuleucel-T): ``vaccine_response`` (R, 0-1) is the durable
  vaccine-specific T-cell response, kept apart from the shared effector pool. It builds while
  vaccine-presenting DCs are available, dR/dt = k_R H_DC,vac (1 - R) - k_Md R (k_R slow:
  PAP-specific CTL activity is raised at week 6 and still at week 26, where it correlates with OS,
  Antonarakis 2018 Clin Cancer Res 24:4662, doi:10.1158/1078-0432.CCR-18-0638; antigen spread
  persists to 6 months, GuhaThakurta 2015 Clin Cancer Res 21:3619,
  doi:10.1158/1078-0432.CCR-14-2334; R decays at the memory loss rate k_Md). Its Th1 cytokines
  (IFN-gamma + TNF) drive cancer cells into permanent growth arrest rather than death (Braumueller
  2013 Nature 494:361, doi:10.1038/nature11824): the proliferation of each clone loses I_vac k_g C
  (1 - Ctot/C_max), I_vac = i_vac R, i.e. a fraction I_vac <= 1 of the *net* untreated growth k_g.
  The tumour grows more slowly but this term alone never shrinks a tumour at its set point (no
  RECIST response), and a slower growth rate compounds into later death: the vaccine paradox of
  longer survival without longer time to progression (Madan 2010 Oncologist 15:969,
  doi:10.1634/theoncologist.2010-0129; Stein 2011 Clin Cancer Res 17:907,
  doi:10.1158/1078-0432.CCR-10-1762). i_vac (``vaccine_growth_delay``) is a plug, 0 unless the
  arm's product defines one (only sipuleucel-T, ``sipuleucel_growth_delay``).
- Oncolytic virus (T-VEC): lysis of the injected fraction f_inj of the tumour at
  k_OV H(V; V50,OV) per day (to debris, immunogenic with weight eta_OV: antigen release) and
  GM-CSF-driven DC recruitment, extra mature-DC arrival a_GM H(V; V50,OV) P_DC.

The product-specific values (q_vac, n_cl,vac, f_vAg, a_adj, i_vac) are plugs set by the trial layer
from the product parameters in ``vaccines.toml``; all are 0 without a vaccine, so every new rate
is exactly zero in arms without these products.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "vaccine_depot_decay_rate",
    "vaccine_dc_loading_rate",
    "vaccine_depot_half",
    "vaccine_adjuvant",
    "vaccine_antigen_quality",
    "vaccine_clones",
    "vaccine_tumor_coverage",
    "dc_product_homing",
    "gp100_vaccine_antigen_quality",
    "gp100_vaccine_clones",
    "gp100_vaccine_tumor_coverage",
    "gp100_vaccine_adjuvant",
    "neoantigen_vaccine_max_epitopes",
    "neoantigen_vaccine_clones_per_epitope",
    "neoantigen_vaccine_adjuvant",
    "neoantigen_vaccine_tumor_coverage",
    "sipuleucel_antigen_quality",
    "sipuleucel_clones",
    "sipuleucel_tumor_coverage",
    "sipuleucel_growth_delay",
    "vaccine_growth_delay",
    "vaccine_response_build_rate",
    "oncolytic_virus_decay_rate",
    "oncolytic_lysis_rate",
    "oncolytic_half_exposure",
    "oncolytic_injected_fraction",
    "immunogenicity_oncolytic",
    "gmcsf_dc_boost",
    # shared with priming
    "activation_rate",
    "tcells_per_dc",
    "naive_precursors_per_clone",
    "apc_pdl1_weight",
    "dc_death_rate",
    "one_cell",
    # shared with memory and tumour growth
    "memory_loss_rate",
    "tumor_growth_rate",
    "tumor_capacity",
)

#: Trial-layer plugs of the vaccine slot (set per product; 0 = no vaccine).
VACCINE_SLOT = (
    "vaccine_antigen_quality",
    "vaccine_clones",
    "vaccine_tumor_coverage",
    "vaccine_adjuvant",
    "vaccine_growth_delay",
)


def add_vaccines(model: Model) -> Model:
    """Add the vaccine depot, vaccine-loaded DCs, vaccine priming and the oncolytic virus."""
    m = with_parameters(model, PARAMETERS)
    vx, dcv, ov, vr = "vaccine_depot", "dc_vaccine", "oncolytic_virus", "vaccine_response"
    return m.extend(
        states=[
            state(
                vx, "dimensionless", "Vx: vaccine antigen depot (1 = reference dose)", abs_tol=1e-9
            ),
            state(
                dcv, "cell", "DCs presenting the vaccine antigen in the lymph node", abs_tol=1e-3
            ),
            state(
                vr,
                "dimensionless",
                "R: durable vaccine-specific T-cell (Th1) response, 0-1 of its maximum",
                abs_tol=1e-9,
            ),
            state(
                ov,
                "dimensionless",
                "intralesional oncolytic virus activity (1 = 4e8 PFU reference dose)",
                abs_tol=1e-9,
            ),
        ],
        quantities=[
            quantity(
                "vaccine_dc_site_availability",
                f"tcells_per_dc*{dcv}/(tcells_per_dc*{dcv}"
                " + vaccine_clones*naive_precursors_per_clone + one_cell)",
                "dimensionless",
                "H_DC,vac",
            ),
            quantity(
                "vaccine_activation_flux",
                "activation_rate*vaccine_dc_site_availability*vaccine_antigen_quality"
                "*vaccine_clones*naive_precursors_per_clone*(1 - apc_pdl1_weight*h_pd1_apc)",
                "cell/day",
                "J_act,vac: naive CD8 activated against the vaccine epitopes",
            ),
            quantity(
                "vaccine_cytostasis",
                f"vaccine_growth_delay*{vr}",
                "dimensionless",
                "I_vac: fraction of the net untreated growth withheld by vaccine-induced "
                "Th1 growth arrest (0 without a product that defines it)",
            ),
            quantity(
                "vaccine_growth_arrest_per_cell",
                "vaccine_cytostasis*tumor_growth_rate*(1 - tumor_cells_total/tumor_capacity)"
                "*growth_inhibition_factor",
                "1/day",
                "proliferation per cancer cell withheld by vaccine-induced growth arrest",
            ),
            quantity(
                "oncolytic_activity",
                f"hill({ov}, oncolytic_half_exposure)",
                "dimensionless",
                "H(V; V50,OV): saturating virus activity",
            ),
            quantity(
                "oncolytic_kill_rate",
                "oncolytic_lysis_rate*oncolytic_injected_fraction*oncolytic_activity",
                "1/day",
                "per-cell lysis rate of the tumour (injected lesions)",
            ),
            quantity(
                "oncolytic_immunogenic_kill",
                "immunogenicity_oncolytic*oncolytic_kill_rate*(tumor_presenting + tumor_escape)",
                "cell/day",
                "immunogenicity-weighted oncolysis (antigen release)",
            ),
        ],
        processes=[
            process(
                "vaccine_depot_decay",
                f"vaccine_depot_decay_rate*{vx}",
                "1/day",
                {vx: -1},
                "depot decay / antigen-expression decline",
                "brief §2.4 (dVx/dt = -k_vx Vx)",
            ),
            process(
                "vaccine_dc_loading",
                f"vaccine_dc_loading_rate*vaccine_adjuvant*{vx}/({vx} + vaccine_depot_half)",
                "cell/day",
                {dcv: 1},
                "DCs loaded with vaccine antigen (adjuvant-scaled)",
                "brief §2.4 (k_vDC Vx/(Vx + V50) a_adj)",
            ),
            process("vaccine_dc_death", f"dc_death_rate*{dcv}", "cell/day", {dcv: -1}, "DC death"),
            process(
                "vaccine_priming",
                "vaccine_activation_flux*vaccine_tumor_coverage",
                "cell/day",
                {"tcell_activated": 1},
                "tumour-relevant part (f_vAg) of vaccine priming joins Ta",
                "brief §2.4 (J_act,vac; killing x f_vAg)",
            ),
            process(
                "vaccine_response_build",
                f"vaccine_response_build_rate*vaccine_dc_site_availability*(1 - {vr})",
                "1/day",
                {vr: 1},
                "the vaccine-specific response matures (antigen spread) while vaccine DCs present",
                "Antonarakis 2018 doi:10.1158/1078-0432.CCR-18-0638; GuhaThakurta 2015 "
                "doi:10.1158/1078-0432.CCR-14-2334 (rate: assumption)",
            ),
            process(
                "vaccine_response_decay",
                f"memory_loss_rate*{vr}",
                "1/day",
                {vr: -1},
                "loss of the vaccine-specific memory response",
            ),
            process(
                "vaccine_growth_arrest_presenting",
                "vaccine_growth_arrest_per_cell*tumor_presenting",
                "cell/day",
                {"tumor_presenting": -1},
                "Th1 (IFN-gamma + TNF) growth arrest: fewer presenting cells are born",
                "Braumueller 2013 Nature 494:361 doi:10.1038/nature11824",
            ),
            process(
                "vaccine_growth_arrest_escape",
                "vaccine_growth_arrest_per_cell*tumor_escape",
                "cell/day",
                {"tumor_escape": -1},
                "Th1 cytokine growth arrest acts on antigen-loss cells too (bystander)",
                "Braumueller 2013 Nature 494:361 doi:10.1038/nature11824",
            ),
            process(
                "oncolytic_virus_decay",
                f"oncolytic_virus_decay_rate*{ov}",
                "1/day",
                {ov: -1},
                "virus clearance",
            ),
            process(
                "oncolysis_presenting",
                "oncolytic_kill_rate*tumor_presenting",
                "cell/day",
                {"tumor_presenting": -1, "tumor_dead": 1},
                "oncolytic lysis of injected tumour",
            ),
            process(
                "oncolysis_escape",
                "oncolytic_kill_rate*tumor_escape",
                "cell/day",
                {"tumor_escape": -1, "tumor_dead": 1},
                "oncolytic lysis of injected tumour (antigen-independent)",
            ),
            process(
                "dc_gmcsf_recruitment",
                "gmcsf_dc_boost*oncolytic_activity*dc_production",
                "cell/day",
                {"dc_lymph_node": 1},
                "GM-CSF (virus-encoded) recruits and matures tumour-antigen DCs",
                "brief §2.4 (T-VEC: GM-CSF)",
            ),
        ],
    )
