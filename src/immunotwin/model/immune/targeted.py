"""Targeted drugs: VEGFR-TKI exposure and the anti-VEGF antibody slot (brief §2.4, §2.6, §3).

- ``tki_exposure`` (K, dose-normalised K-PD: a reference dose adds 1, decays at the drug's
  day-scale rate from the catalogue). Daily oral dosing enters as a zero-order input
  ``tki_input_rate`` (reference doses per day) switched on over each run of consecutive dosing
  days and off after it (two events per run instead of one per dose; same mean exposure).
  Effect E_TKI = H(K; K50). Growth inhibition I_TKI = I_max,TKI E_TKI (in the tumour growth factor)
  and kill R_TKI = k_TKI E_TKI C of both clones (brief §2.4: anti-angiogenic cell death; the
  escape clone is an immune-escape variant here, not a TKI-resistant one);
  sunitinib-like MDSC depletion k_TKI,MD E_TKI Md (Ko 2009 Clin Cancer Res) and Treg reduction
  k_TKI,R E_TKI Rt (Finke 2008 Clin Cancer Res).
- ``antivegf_central``/``antivegf_peripheral`` (mg): two-compartment PK of bevacizumab (Han 2016;
  per-patient values from the catalogue). Effect E_VEGF = c/(c + EC50). Vascular normalisation
  raises T-cell entry by (1 + a_VEGF E_VEGF) (the factor multiplies k_in in the effector module)
  and inhibits growth by I_max,VEGF E_VEGF.

Without a TKI or bevacizumab both exposures stay 0 and every term is exactly zero.
"""

from __future__ import annotations

from immunotwin.model.immune._build import process, quantity, state
from immunotwin.model.immune.catalog import with_parameters
from immunotwin.model.spec import Model

PARAMETERS = (
    "tki_input_rate",
    "tki_decay_rate",
    "tki_half_exposure",
    "tki_growth_inhibition_max",
    "tki_kill_max",
    "tki_mdsc_kill_max",
    "tki_treg_kill_max",
    "antivegf_cl",
    "antivegf_v1",
    "antivegf_q",
    "antivegf_v2",
    "antivegf_ec50",
    "antivegf_entry_gain",
    "antivegf_growth_inhibition_max",
)


def add_targeted(model: Model) -> Model:
    """Add the TKI exposure and the anti-VEGF PK slot with their effects."""
    m = with_parameters(model, PARAMETERS)
    k, c, per = "tki_exposure", "antivegf_central", "antivegf_peripheral"
    return m.extend(
        states=[
            state(k, "dimensionless", "K: TKI exposure (1 = reference dose)", abs_tol=1e-9),
            state(c, "mg", "anti-VEGF mAb in the central compartment", abs_tol=1e-9),
            state(per, "mg", "anti-VEGF mAb in the peripheral compartment", abs_tol=1e-9),
        ],
        quantities=[
            quantity("tki_effect", f"hill({k}, tki_half_exposure)", "dimensionless", "E_TKI"),
            quantity(
                "tki_growth_inhibition",
                "tki_growth_inhibition_max*tki_effect",
                "dimensionless",
                "I_TKI: fractional growth inhibition by the TKI",
            ),
            quantity("antivegf_conc", f"{c}/antivegf_v1", "mg/L", "anti-VEGF plasma concentration"),
            quantity(
                "antivegf_effect",
                "antivegf_conc/(antivegf_conc + antivegf_ec50)",
                "dimensionless",
                "E_VEGF: VEGF neutralisation",
            ),
            quantity(
                "vascular_normalisation",
                "1 + antivegf_entry_gain*antivegf_effect",
                "dimensionless",
                "multiplier of T-cell entry into the tumour",
            ),
            quantity(
                "antiangiogenic_growth_inhibition",
                "antivegf_growth_inhibition_max*antivegf_effect",
                "dimensionless",
                "I_VEGF: growth inhibition by VEGF blockade",
            ),
        ],
        processes=[
            process(
                "tki_input",
                "tki_input_rate",
                "1/day",
                {k: 1},
                "daily oral dosing as a zero-order input over each on-treatment run",
            ),
            process("tki_decay", f"tki_decay_rate*{k}", "1/day", {k: -1}, "TKI exposure decay"),
            *(
                process(
                    f"tki_kill_{clone}",
                    f"tki_kill_max*tki_effect*tumor_{clone}",
                    "cell/day",
                    {f"tumor_{clone}": -1, "tumor_dead": 1},
                    "cancer-cell death under VEGFR inhibition (R_TKI)",
                    "brief §2.4 (R_TKI = k_TKI H(c_TKI; IC50) C)",
                )
                for clone in ("presenting", "escape")
            ),
            process(
                "tki_mdsc_depletion",
                "tki_mdsc_kill_max*tki_effect*mdsc_tumor",
                "cell/day",
                {"mdsc_tumor": -1},
                "MDSC reduction by VEGFR/KIT inhibition (sunitinib)",
                "Ko 2009 Clin Cancer Res 15:2148",
            ),
            process(
                "tki_treg_depletion",
                "tki_treg_kill_max*tki_effect*treg_tumor",
                "cell/day",
                {"treg_tumor": -1},
                "Treg reduction by sunitinib",
                "Finke 2008 Clin Cancer Res 14:6674",
            ),
            process(
                "antivegf_elimination",
                "antivegf_cl*antivegf_conc",
                "mg/day",
                {c: -1},
                "linear elimination",
                "Han 2016 (bevacizumab popPK)",
            ),
            process(
                "antivegf_distribution",
                f"antivegf_q*antivegf_conc - antivegf_q*{per}/antivegf_v2",
                "mg/day",
                {c: -1, per: 1},
                "central-peripheral exchange",
            ),
        ],
    )
