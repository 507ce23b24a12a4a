"""Healthy-tissue toxicity: autoreactive activity, organ injury, IL-6, endothelium, neuro
(brief §2.4, §2.10; structure after Hanson 2016 BIOMD0000000837 for the cytokine part).

Checkpoint release drive Psi = w_C4*RO_C4 + w_P1*RO_PD1 + w_L1*RO_L1 + w_syn*RO_C4*RO_PD1 at
plasma concentrations; dA/dt = k_A(s_auto*Psi - A) - k_ster*A; organ injury
dD_j/dt = k_inj,j*sigma_j*A*(1 - D_j) - (k_rep,j + k_ster)*D_j for colon, lung, liver,
thyroid, skin. IL-6, endothelial index E and neuro-inflammation Nn carry the CRS/ICANS
structure; their drive from cell therapies plugs in through ``il6_drive`` and ``il2_systemic``.
Management rules act through ``steroid_rate``, ``steroid_il6_effect`` and ``tocilizumab_ro``.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

ORGANS = ("colon", "lung", "liver", "thyroid", "skin")

PARAMETERS = (
    "autoimmune_rate",
    "autoimmune_propensity",
    "checkpoint_weight_ctla4",
    "checkpoint_weight_pd1",
    "checkpoint_weight_pdl1",
    "checkpoint_weight_synergy",
    "steroid_rate",
    "steroid_rate_on",
    "il6_baseline_production",
    "il6_decay_rate",
    "il6_drive",
    "il6_amplification",
    "il6_amplification_half",
    "steroid_il6_effect",
    "tocilizumab_ro",
    "endothelial_il6_rate",
    "endothelial_il6_half",
    "endothelial_il2_rate",
    "il2_half_leak",
    "il2_systemic",
    "endothelial_recovery_rate",
    "neuro_rate",
    "neuro_half",
    "neuro_recovery_rate",
    "tocilizumab_neuro_effect",
)


def add_toxicity(model: Model) -> Model:
    """Add autoreactive activity, five organ-injury indices, IL-6, E and Nn (after checkpoints)."""
    organ_params = [
        f"{k}_{o}" for o in ORGANS for k in ("injury_rate", "repair_rate", "susceptibility")
    ]
    m = with_parameters(model, [*PARAMETERS, *organ_params])
    a = "autoreactive_activity"
    states = [
        state(a, "dimensionless", "systemic autoreactive effector activity (A)", abs_tol=1e-9),
        *(
            state(f"injury_{o}", "dimensionless", f"{o} injury index D_{o} (0-1)", abs_tol=1e-9)
            for o in ORGANS
        ),
        state("il6", "pg/mL", "serum IL-6", initial=3.0, abs_tol=1e-6),
        state(
            "endothelial_index",
            "dimensionless",
            "endothelial activation / capillary leak E",
            abs_tol=1e-9,
        ),
        state(
            "neuroinflammation_index", "dimensionless", "neuro-inflammation index Nn", abs_tol=1e-9
        ),
    ]
    quantities = [
        quantity(
            "checkpoint_release",
            "checkpoint_weight_ctla4*ro_ctla4_plasma + checkpoint_weight_pd1*ro_pd1_plasma"
            " + checkpoint_weight_pdl1*ro_pdl1_plasma"
            " + checkpoint_weight_synergy*ro_ctla4_plasma*ro_pd1_plasma",
            "dimensionless",
            "Psi: systemic checkpoint-release drive",
        ),
        quantity(
            "il6_signal",
            "il6*(1 - tocilizumab_ro)",
            "pg/mL",
            "IL-6 signalling (tocilizumab blocks the receptor, not serum IL-6)",
        ),
    ]
    processes = [
        process(
            "autoreactive_drive",
            "autoimmune_rate*autoimmune_propensity*checkpoint_release",
            "1/day",
            {a: 1},
            "autoreactive activity driven by checkpoint release",
        ),
        process(
            "autoreactive_decay",
            f"(autoimmune_rate + steroid_rate)*{a}",
            "1/day",
            {a: -1},
            "return to tolerance (faster under steroids)",
        ),
    ]
    for o in ORGANS:
        d = f"injury_{o}"
        processes += [
            process(
                f"{d}_onset",
                f"injury_rate_{o}*susceptibility_{o}*{a}*(1 - {d})",
                "1/day",
                {d: 1},
                f"{o} injury by autoreactive activity",
            ),
            process(
                f"{d}_repair",
                f"(repair_rate_{o} + steroid_rate)*{d}",
                "1/day",
                {d: -1},
                f"{o} repair",
            ),
        ]
    processes += [
        process(
            "il6_production",
            "il6_baseline_production + il6_drive*(1 + il6_amplification"
            "*hill(il6, il6_amplification_half))*(1 - steroid_il6_effect)",
            "pg/(mL*day)",
            {"il6": 1},
            "IL-6 production (baseline + cytokine-release plug)",
        ),
        process(
            "il6_elimination", "il6_decay_rate*il6", "pg/(mL*day)", {"il6": -1}, "IL-6 elimination"
        ),
        process(
            "endothelial_activation",
            "(endothelial_il6_rate*hill(il6_signal, endothelial_il6_half)"
            " + endothelial_il2_rate*hill(il2_systemic, il2_half_leak))"
            "*(1 - endothelial_index)",
            "1/day",
            {"endothelial_index": 1},
            "IL-6 and IL-2 activate endothelium",
        ),
        process(
            "endothelial_recovery",
            "endothelial_recovery_rate*endothelial_index",
            "1/day",
            {"endothelial_index": -1},
            "endothelial recovery",
        ),
        process(
            "neuroinflammation_onset",
            "neuro_rate*hill(il6*(1 - tocilizumab_neuro_effect*tocilizumab_ro)"
            "*endothelial_index, neuro_half)*(1 - neuroinflammation_index)",
            "1/day",
            {"neuroinflammation_index": 1},
            "IL-6 x endothelial neuro-inflammation",
        ),
        process(
            "neuroinflammation_recovery",
            "(neuro_recovery_rate + steroid_rate)*neuroinflammation_index",
            "1/day",
            {"neuroinflammation_index": -1},
            "recovery (faster under steroids)",
        ),
    ]
    return m.extend(states=states, quantities=quantities, processes=processes)
