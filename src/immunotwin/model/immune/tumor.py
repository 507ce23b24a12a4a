"""Tumour cells, geometry, the escape clone and MHC-I presentation (brief §2.2-§2.4).

States: ``tumor_presenting`` (Cs, cells presenting the dominant antigens), ``tumor_escape``
(Cr, antigen/MHC-I-loss variant), ``tumor_doomed`` (Cz, lethally damaged by chemo/RT),
``tumor_dead`` (Cx, debris), and the constants ``tumor_loss_setpoint``, ``escape_loss_setpoint``
(lambda_0,s, lambda_0,r). Logistic
growth as QSP-IO NSCLC
(HanwenWang95/QSPIO-TNBC ``model/cancer_module.m``); geometry as QSP-IO (volume from cell
volumes over the cellular volume fraction); MHC-I presentation as an odds model so that a
B2M/HLA-null clone (basal level 0) stays invisible whatever IFN-gamma does. ``tumor_growth_rate``
(k_g) is the *net* untreated growth rate that clinical volume doubling times measure (Usuda
1994); the gross proliferation of each clone is k_g + lambda_0,i, where lambda_0,i is that
clone's per-cell innate loss (basal death, NK and macrophage killing) at the patient's
pre-treatment set point (:func:`immunotwin.model.immune.baseline.baseline_state` sets it), so an
untreated tumour grows at its sampled doubling time (less any CD8 pressure). Kill processes of
the other modules move cells from Cs/Cr to Cx (or Cz for chemotherapy).
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "tumor_growth_rate",
    "tumor_capacity",
    "tumor_basal_death_rate",
    "dead_cell_clearance_rate",
    "doomed_cell_death_rate",
    "cancer_cell_volume",
    "tcell_volume",
    "myeloid_cell_volume",
    "tumor_cell_volume_fraction",
    "tumor_volume_min",
    "antigen_presence_half_sq",
    "one_cell",
    "extinction_rate",
    "escape_generation_rate",
    "escape_fraction_initial",
    "mhc_basal",
    "escape_mhc_basal",
    "mhc_ifn_upregulation",
    "ifng_half_mhc",
    "ifna_signal",
    "signaling_inhibition",
    "ifn_growth_inhibition",
)

CELL_TOL = 1e-3


def add_tumor(model: Model) -> Model:
    """Add tumour states, growth/death/escape processes and geometry quantities.

    Reads immune-cell states of the microenvironment and effector modules in its volume formula
    (compose with :func:`immunotwin.model.immune.build.immunotwin_model`).
    """
    m = with_parameters(model, PARAMETERS)
    c_s, c_r, c_z, c_x = "tumor_presenting", "tumor_escape", "tumor_doomed", "tumor_dead"
    return m.extend(
        states=[
            state(
                c_s,
                "cell",
                "cancer cells presenting the dominant antigens (Cs)",
                initial=1e9,
                abs_tol=CELL_TOL,
            ),
            state(c_r, "cell", "escape variant: antigen/MHC-I loss (Cr)", abs_tol=CELL_TOL),
            state(c_z, "cell", "lethally damaged (doomed) cancer cells (Cz)", abs_tol=CELL_TOL),
            state(c_x, "cell", "dead cancer cells / debris in the tumour (Cx)", abs_tol=CELL_TOL),
            state(
                "tumor_loss_setpoint",
                "1/day",
                "lambda_0,s: per-cell innate loss rate of Cs (basal death + NK + M1 kill) at the "
                "pre-treatment set point; set by baseline_state, constant (no process acts on it)",
                abs_tol=1e-9,
            ),
            state(
                "escape_loss_setpoint",
                "1/day",
                "lambda_0,r: the same for the escape clone Cr",
                abs_tol=1e-9,
            ),
        ],
        quantities=[
            quantity(
                "tumor_cells_total",
                f"{c_s} + {c_r} + {c_z}",
                "cell",
                "Ctot: living cancer cells (presenting + escape + doomed)",
            ),
            quantity(
                "tumor_volume_ml",
                f"(cancer_cell_volume*(tumor_cells_total + {c_x})"
                " + tcell_volume*(teff_tumor + teff_fresh_tumor + texh_tumor + treg_tumor"
                " + nk_tumor)"
                " + myeloid_cell_volume*(macrophage_m1 + macrophage_m2 + mdsc_tumor))"
                "/tumor_cell_volume_fraction + tumor_volume_min",
                "mL",
                "tumour volume: cell volumes over the cellular volume fraction (QSP-IO)",
            ),
            quantity(
                "tumor_diameter_cm",
                "2*0.6203504908994*tumor_volume_ml**(1/3)",
                "cm",
                "diameter of the equivalent sphere, 2*(3V/(4 pi))^(1/3)",
            ),
            quantity(
                "antigen_presence",
                "tumor_cells_total**2/(tumor_cells_total**2 + antigen_presence_half_sq)",
                "dimensionless",
                "Omega: antigen-presence factor (QSP-IO Kc_rec)",
            ),
            quantity(
                "tumor_proliferation_rate",
                "tumor_growth_rate + tumor_loss_setpoint",
                "1/day",
                "gross proliferation of Cs: net untreated growth k_g plus its set-point loss",
            ),
            quantity(
                "escape_proliferation_rate",
                "tumor_growth_rate + escape_loss_setpoint",
                "1/day",
                "gross proliferation of Cr: k_g plus its own set-point loss",
            ),
            quantity(
                "growth_inhibition_factor",
                "(1 - tki_growth_inhibition)*(1 - antiangiogenic_growth_inhibition)"
                "*(1 - signaling_inhibition)*(1 - antitarget_signaling)"
                "*(1 - ifn_growth_inhibition)",
                "dimensionless",
                "product of the growth-inhibition plugs (1 = none)",
            ),
            quantity(
                "mhc_odds_gain",
                "1 + mhc_ifn_upregulation*hill(ifng_tumor, ifng_half_mhc)*(1 + ifna_signal)",
                "dimensionless",
                "IFN-driven multiplier of the odds of MHC-I presentation",
            ),
            quantity(
                "mhc_presenting",
                "mhc_basal*mhc_odds_gain/(1 + mhc_basal*(mhc_odds_gain - 1))",
                "dimensionless",
                "m_MHC of the presenting clone (0 if mhc_basal = 0)",
            ),
            quantity(
                "mhc_escape",
                "escape_mhc_basal*mhc_odds_gain/(1 + escape_mhc_basal*(mhc_odds_gain - 1))",
                "dimensionless",
                "m_MHC of the escape clone",
            ),
        ],
        processes=[
            process(
                "growth_presenting",
                f"tumor_proliferation_rate*{c_s}*(1 - tumor_cells_total/tumor_capacity)"
                "*growth_inhibition_factor",
                "cell/day",
                {c_s: 1},
                "logistic proliferation of presenting cells",
                "QSPIO model/cancer_module.m",
            ),
            process(
                "growth_escape",
                f"escape_proliferation_rate*{c_r}*(1 - tumor_cells_total/tumor_capacity)"
                "*growth_inhibition_factor",
                "cell/day",
                {c_r: 1},
                "logistic proliferation of the escape clone",
                "QSPIO model/cancer_module.m",
            ),
            process(
                "basal_death_presenting",
                f"tumor_basal_death_rate*{c_s}",
                "cell/day",
                {c_s: -1, c_x: 1},
                "basal (innate) death",
            ),
            process(
                "basal_death_escape",
                f"tumor_basal_death_rate*{c_r}",
                "cell/day",
                {c_r: -1, c_x: 1},
                "basal (innate) death",
            ),
            process(
                "escape_generation",
                f"escape_generation_rate*{c_s}",
                "cell/day",
                {c_s: -1, c_r: 1},
                "antigen/MHC-I loss variants arising from Cs",
            ),
            process(
                "doomed_death",
                f"doomed_cell_death_rate*{c_z}",
                "cell/day",
                {c_z: -1, c_x: 1},
                "delayed death of doomed cells",
            ),
            process(
                "debris_clearance",
                f"dead_cell_clearance_rate*{c_x}",
                "cell/day",
                {c_x: -1},
                "clearance of dead cells",
            ),
            process(
                "extinction_presenting",
                f"extinction_rate*{c_s}*(one_cell/({c_s} + one_cell))**2",
                "cell/day",
                {c_s: -1, c_x: 1},
                "smooth eradication rule: a clone below ~1 cell dies out",
            ),
            process(
                "extinction_escape",
                f"extinction_rate*{c_r}*(one_cell/({c_r} + one_cell))**2",
                "cell/day",
                {c_r: -1, c_x: 1},
                "smooth eradication rule: a clone below ~1 cell dies out",
            ),
        ],
    )
