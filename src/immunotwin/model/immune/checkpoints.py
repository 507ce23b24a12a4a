"""Checkpoint-inhibitor pharmacology: PK slots, occupancies, PD-1 synapse, CD28/CTLA-4
(brief §2.3, §2.6, §3).

Three two-compartment PK slots (``antipd1``, ``antipdl1``, ``antictla4``; states
``<slot>_central``/``<slot>_peripheral`` in mg) whose parameters ``<slot>_cl`` (L/day), ``_v1``
(L), ``_q`` (L/day), ``_v2`` (L), ``_mw`` (g/mol) and ``_kd`` (nM) the trial engine sets per drug
(defaults: pembrolizumab, atezolizumab, ipilimumab). Tissue concentrations are plasma times the
partition factors f_T (tumour) and f_LN (lymph node); occupancies are QSS with the effective Kd
= Kd / chi, the catalogue's (monovalent, SPR) Kd folded with the bivalent avidity factor chi
(``antibody_avidity``; brief §2.5), so that antibodies whose reported Kd differ 100-fold
(pembrolizumab 0.03 nM, nivolumab 3 nM) bind as bivalent IgG in tissue. The PD-1 synapse is the
QSS of QSP-IO's ``checkpoint_module``: complex density
X = 2pl/(s + sqrt((p - l)^2 + K2(K2 + 2p + 2l))) with s = p + l + K2 (the cancellation-free form
of the quadratic root), H_PD1 = H(X; PD1_50, 2). CTLA-4 blockade raises the CD28 signal
H_CD28 = h0 + (h_max - h0)*RO_C4,LN (the brief's gamma_C4 = 1; a symbolic exponent would make
the Jacobian singular at zero occupancy).
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

SLOTS = ("antipd1", "antipdl1", "antictla4", "antilag3")
_TARGET = {"antipd1": "pd1", "antipdl1": "pdl1", "antictla4": "ctla4", "antilag3": "lag3"}

PARAMETERS = (
    "molar_scale",
    "partition_tumor",
    "partition_ln",
    "antibody_avidity",
    "pd1_density",
    "fresh_pd1_fraction",
    "pdl1_basal_density",
    "pdl2_ratio",
    "pd1_pdl1_kd_2d",
    "pd1_half_complex",
    "apc_pdl1_density",
    "cd28_signal_min",
    "cd28_signal_max",
)


def _complex(p: str, l: str) -> str:
    s = f"({p} + {l} + pd1_pdl1_kd_2d)"
    disc = f"(({p} - {l})**2 + pd1_pdl1_kd_2d*(pd1_pdl1_kd_2d + 2*{p} + 2*{l}))"
    return f"2*{p}*{l}/({s} + sqrt{disc})"


def _pk_slot(model: Model, slot: str) -> Model:
    c, per = f"{slot}_central", f"{slot}_peripheral"
    target = _TARGET[slot]
    kd = f"{slot}_kd/antibody_avidity"
    m = with_parameters(model, [f"{slot}_{s}" for s in ("cl", "v1", "q", "v2", "mw", "kd")])
    return m.extend(
        states=[
            state(c, "mg", f"{slot} amount in the central compartment", abs_tol=1e-9),
            state(per, "mg", f"{slot} amount in the peripheral compartment", abs_tol=1e-9),
        ],
        quantities=[
            quantity(f"{slot}_conc", f"{c}/{slot}_v1", "mg/L", f"{slot} plasma concentration"),
            quantity(
                f"{slot}_nm",
                f"molar_scale*{slot}_conc/{slot}_mw",
                "nM",
                f"{slot} plasma concentration (molar)",
            ),
            quantity(
                f"ro_{target}_plasma",
                f"{slot}_nm/({slot}_nm + {kd})",
                "dimensionless",
                f"{target.upper()} occupancy at plasma concentration",
            ),
            quantity(
                f"ro_{target}_tumor",
                f"partition_tumor*{slot}_nm/(partition_tumor*{slot}_nm + {kd})",
                "dimensionless",
                f"{target.upper()} occupancy in the tumour",
            ),
            quantity(
                f"ro_{target}_ln",
                f"partition_ln*{slot}_nm/(partition_ln*{slot}_nm + {kd})",
                "dimensionless",
                f"{target.upper()} occupancy in the lymph node",
            ),
        ],
        processes=[
            process(
                f"{slot}_elimination",
                f"{slot}_cl*{slot}_conc",
                "mg/day",
                {c: -1},
                "linear elimination from plasma",
            ),
            process(
                f"{slot}_distribution",
                f"{slot}_q*{slot}_conc - {slot}_q*{per}/{slot}_v2",
                "mg/day",
                {c: -1, per: 1},
                "central-peripheral exchange",
            ),
        ],
    )


def add_checkpoints(model: Model) -> Model:
    """Add the three PK slots and the occupancy, synapse and co-stimulation quantities."""
    m = with_parameters(model, PARAMETERS)
    for slot in SLOTS:
        m = _pk_slot(m, slot)
    p_t = "pd1_free_tumor"
    l_t = "pd_ligand_tumor"
    return m.extend(
        quantities=[
            quantity(
                p_t,
                "pd1_density*(1 - ro_pd1_tumor)",
                "molecule/um**2",
                "free PD-1 density on tumour T cells",
            ),
            quantity(
                l_t,
                "pdl1_basal_density*pdl1_tumor_relative*(1 - ro_pdl1_tumor + pdl2_ratio)",
                "molecule/um**2",
                "free PD-L1 + PD-L2 density on cancer cells",
            ),
            quantity(
                "pd1_complex_tumor",
                _complex(p_t, l_t),
                "molecule/um**2",
                "PD-1:ligand complex density in the T-cell/cancer-cell synapse (QSS)",
            ),
            quantity(
                "h_pd1",
                "hill(pd1_complex_tumor, pd1_half_complex, 2)",
                "dimensionless",
                "H_PD1: PD-1 inhibition of tumour T cells",
            ),
            quantity(
                "pd1_free_fresh",
                "fresh_pd1_fraction*pd1_density*(1 - ro_pd1_tumor)",
                "molecule/um**2",
                "free PD-1 density on fresh (memory-derived, PD-1-low) tumour effectors",
            ),
            quantity(
                "h_pd1_fresh",
                f"hill({_complex('pd1_free_fresh', l_t)}, pd1_half_complex, 2)",
                "dimensionless",
                "H_PD1,f: PD-1 inhibition of fresh PD-1-low effectors (PD-1 density phi_f*rho_PD1)",
            ),
            quantity(
                "pd1_free_ln",
                "pd1_density*(1 - ro_pd1_ln)",
                "molecule/um**2",
                "free PD-1 density on T cells in the lymph node",
            ),
            quantity(
                "pd_ligand_apc",
                "apc_pdl1_density*(1 - ro_pdl1_ln + pdl2_ratio)",
                "molecule/um**2",
                "free PD-L1 + PD-L2 density on APCs",
            ),
            quantity(
                "h_pd1_apc",
                f"hill({_complex('pd1_free_ln', 'pd_ligand_apc')}, pd1_half_complex, 2)",
                "dimensionless",
                "H_PD1,APC: PD-1 inhibition during priming",
            ),
            quantity(
                "h_cd28",
                "cd28_signal_min + (cd28_signal_max - cd28_signal_min)*ro_ctla4_ln",
                "dimensionless",
                "H_CD28: co-stimulation surrogate of CD80/86 competition",
            ),
        ],
    )
