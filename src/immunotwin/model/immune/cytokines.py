"""Cytokine therapies: high-dose IL-2 (aldesleukin) and interferon alfa-2b (brief §2.4, §3).

Plasma IL-2 (t1/2 85 min) and IFN-alpha (t1/2 about 2 h) are far faster than the model's day
scale, so the trial layer sets them as piecewise-constant plug parameters over each dose's
exposure window (per-interval mean concentration, brief §3): ``il2_systemic`` (nM) and
``ifna_activity`` (0-1; with ``ifna_signal`` = a_IFN*H on MHC-I and ``ifn_growth_inhibition``
= I_IFN,max*H on growth). Effects already wired elsewhere: IL-2 -> Treg influx, lymph-node IL-2
(division number), capillary leak E; IFN-alpha -> MHC-I odds, growth. This module adds

- IL-2-driven proliferation of systemic effectors, k_IL2,T H(I2; IL2_50s) Tb;
- NK recruitment boosted by IL-2 and IFN-alpha,
  k_NK,in vol (L/L0) [a_NK,IL2 H(I2; IL2_50NK) + a_NK,IFN H(IFa)];
- IL-6 induced by IL-2, k6,IL2 H(I2; IL2_506) (feeds E and CRS grading).

All three rates are exactly zero when the plugs are zero (arms without cytokines).
"""

from __future__ import annotations

from immunotwin.model.immune._build import process
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "il2_systemic",
    "il2_exposure_window",
    "il2_effector_expansion_rate",
    "il2_half_effector",
    "nk_il2_boost",
    "il2_half_nk",
    "il6_il2_rate",
    "il2_half_il6",
    "ifna_activity",
    "ifna_half_exposure",
    "ifna_effect_window",
    "ifna_mhc_gain",
    "ifna_growth_inhibition_max",
    "nk_ifna_boost",
    "nk_recruitment",
    "lymphocytes_baseline",
)


def add_cytokines(model: Model) -> Model:
    """Add the IL-2/IFN-alpha effector, NK and IL-6 processes (after toxicity)."""
    m = with_parameters(model, PARAMETERS)
    return m.extend(
        processes=[
            process(
                "il2_effector_expansion",
                "il2_effector_expansion_rate*hill(il2_systemic, il2_half_effector)*teff_systemic",
                "cell/day",
                {"teff_systemic": 1},
                "IL-2-driven proliferation of systemic effectors",
                "brief §2.4 (k_IL2,T H(I2; IL2_50s) Tb)",
            ),
            process(
                "nk_cytokine_influx",
                "nk_recruitment*tumor_volume_ml*lymphocytes/lymphocytes_baseline"
                "*(nk_il2_boost*hill(il2_systemic, il2_half_nk) + nk_ifna_boost*ifna_activity)",
                "cell/day",
                {"nk_tumor": 1},
                "extra NK recruitment/expansion under IL-2 and IFN-alpha",
                "brief §2.4 (dNK/dt)",
            ),
            process(
                "il6_il2_production",
                "il6_il2_rate*hill(il2_systemic, il2_half_il6)",
                "pg/(mL*day)",
                {"il6": 1},
                "IL-6 induced by systemic IL-2",
                "brief §2.4 (dI6/dt term k6,IL2 H(I2))",
            ),
        ]
    )
