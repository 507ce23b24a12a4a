"""Chemotherapy exposure slots (K-PD, de Pillis 2009 saturating form; brief §2.4, §2.6).

Four agent slots ``chemo_a`` ... ``chemo_d`` (doublets use a and b; multi-agent regimens
such as CHOP fill all four); a standard dose adds 1 to ``chemo_<k>_exposure``
(dose-normalised, decays at ``chemo_<k>_decay_rate``). Effect E_k = 1 - exp(-delta_k*M_k).
Cancer cells are moved to the doomed pool at sum_k K_T,k*E_k*K_pen/(K_pen + Ctot) per day
(a smooth version of the brief's min(Ctot, K_pen)/Ctot penetration cap); lymphocytes, T cells, NK
cells and MDSC are depleted with their own weights; cells killed count as immunogenic death with
the agent's weight at commitment. Acquired resistance: the tumour kill decays as
exp(-lambda_R A) with the cumulative effect A = integral of sum_k E_k dt (Claret 2009 J Clin Oncol
27:4103 resistance term, with time on treatment replaced by drug effect received, so a break
does not count), which is why chemotherapy responses come in the first cycles.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

AGENTS = ("a", "b", "c", "d")
_SUFFIXES = (
    "decay_rate",
    "potency",
    "kill_tumor",
    "kill_tcells",
    "kill_nk",
    "kill_lymphocytes",
    "kill_mdsc",
    "immunogenicity",
)


def _weighted(weight: str) -> str:
    return " + ".join(f"chemo_{k}_{weight}*chemo_{k}_effect" for k in AGENTS)


def add_chemotherapy(model: Model) -> Model:
    """Add the two exposure states and their kill/depletion processes (after the cell modules)."""
    names = ["chemo_penetration", "chemo_resistance_rate"] + [
        f"chemo_{k}_{s}" for k in AGENTS for s in _SUFFIXES
    ]
    m = with_parameters(model, names)
    states = [
        state(
            f"chemo_{k}_exposure",
            "dimensionless",
            f"chemotherapy agent {k.upper()} exposure (dose-normalised effect compartment)",
            abs_tol=1e-9,
        )
        for k in AGENTS
    ] + [
        state(
            "chemo_cumulative_effect",
            "day",
            "A: cumulative chemotherapy effect received (drives acquired resistance)",
            abs_tol=1e-9,
        )
    ]
    quantities = [
        quantity(
            f"chemo_{k}_effect",
            f"1 - exp(-chemo_{k}_potency*chemo_{k}_exposure)",
            "dimensionless",
            f"saturating effect of agent {k.upper()}",
        )
        for k in AGENTS
    ]
    imm = " + ".join(
        f"chemo_{k}_immunogenicity*chemo_{k}_kill_tumor*chemo_{k}_effect" for k in AGENTS
    )
    quantities += [
        quantity(
            "chemo_penetration_factor",
            "chemo_penetration/(chemo_penetration + tumor_cells_total)",
            "dimensionless",
            "fraction of the tumour reached by the drug",
        ),
        quantity(
            "chemo_sensitivity",
            "exp(-chemo_resistance_rate*chemo_cumulative_effect)",
            "dimensionless",
            "fraction of the tumour kill left after acquired resistance",
        ),
        quantity(
            "chemo_tumor_kill_rate",
            f"({_weighted('kill_tumor')})*chemo_penetration_factor*chemo_sensitivity",
            "1/day",
            "per-cell rate at which living cancer cells become doomed",
        ),
        quantity(
            "chemo_immunogenic_kill",
            f"({imm})*chemo_penetration_factor*chemo_sensitivity*(tumor_presenting + tumor_escape)",
            "cell/day",
            "immunogenicity-weighted chemotherapy kill",
        ),
        quantity(
            "chemo_tcell_depletion",
            _weighted("kill_tcells"),
            "1/day",
            "LD_T: effector T-cell depletion rate",
        ),
        quantity(
            "chemo_lymphocyte_depletion",
            _weighted("kill_lymphocytes"),
            "1/day",
            "LD: circulating lymphocyte depletion rate",
        ),
        quantity("chemo_nk_depletion", _weighted("kill_nk"), "1/day", "NK depletion rate"),
        quantity("chemo_mdsc_depletion", _weighted("kill_mdsc"), "1/day", "MDSC depletion rate"),
    ]
    processes = [
        process(
            f"chemo_{k}_decay",
            f"chemo_{k}_decay_rate*chemo_{k}_exposure",
            "1/day",
            {f"chemo_{k}_exposure": -1},
            "exposure decay",
        )
        for k in AGENTS
    ]
    processes += [
        process(
            "chemo_effect_accumulation",
            " + ".join(f"chemo_{k}_effect" for k in AGENTS),
            "dimensionless",
            {"chemo_cumulative_effect": 1},
            "cumulative chemotherapy effect",
        ),
        process(
            "chemo_kill_presenting",
            "chemo_tumor_kill_rate*tumor_presenting",
            "cell/day",
            {"tumor_presenting": -1, "tumor_doomed": 1},
            "chemotherapy kill (to doomed)",
        ),
        process(
            "chemo_kill_escape",
            "chemo_tumor_kill_rate*tumor_escape",
            "cell/day",
            {"tumor_escape": -1, "tumor_doomed": 1},
            "chemotherapy kill (to doomed)",
        ),
        process(
            "chemo_lymphodepletion",
            "chemo_lymphocyte_depletion*lymphocytes",
            "cell/(uL*day)",
            {"lymphocytes": -1},
            "lymphocyte depletion",
        ),
    ]
    for st in (
        "teff_systemic",
        "teff_tumor",
        "tcell_activated",
        "tcell_activated_new",
        "teff_recall_systemic",
        "teff_fresh_tumor",
    ):
        processes.append(
            process(
                f"chemo_depletion_{st}",
                f"chemo_tcell_depletion*{st}",
                "cell/day",
                {st: -1},
                "T-cell depletion",
            )
        )
    processes += [
        process(
            "chemo_depletion_nk",
            "chemo_nk_depletion*nk_tumor",
            "cell/day",
            {"nk_tumor": -1},
            "NK depletion",
        ),
        process(
            "chemo_depletion_mdsc",
            "chemo_mdsc_depletion*mdsc_tumor",
            "cell/day",
            {"mdsc_tumor": -1},
            "MDSC depletion",
        ),
    ]
    return m.extend(states=states, quantities=quantities, processes=processes)
