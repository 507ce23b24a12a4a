"""From an arm's regimen to the model: drug -> mechanism slot, per-patient PK, dose events.

Checkpoint antibodies fill the model's PK slot for their target (anti-PD-1, anti-PD-L1,
anti-CTLA-4) with the drug's population PK from the catalogue: typical values, covariate
effects (weight, albumin, sex ...) and log-normal inter-individual variability. Cytotoxic
chemotherapy fills one of four K-PD exposure slots (dose-normalised; CHOP uses all four), a
VEGFR-TKI the ``tki_exposure`` slot, bevacizumab the ``antivegf`` PK slot, peptide and mRNA vaccines
the vaccine depot, sipuleucel-T a bolus of homing DCs and talimogene laherparepvec the oncolytic
virus state (:mod:`immunotwin.model.immune.vaccines`, :mod:`immunotwin.model.immune.targeted`).
Radiotherapy fractions become linear-quadratic TRANSFER/SCALE_STATE events
(:mod:`immunotwin.model.immune.radiotherapy`).
Cell products (CAR-T, TCR-T, TIL) are added to their effector state on the infusion day; the
patient's target-antigen status (``cd19_positive``, ``bcma_positive``, ``mage_a4_positive``) and
HLA type decide what they can see. A CD3 engager (blinatumomab) is a piecewise-constant plasma
concentration over each continuous infusion. Lymphodepleting agents (fludarabine,
cyclophosphamide) set their slot's lymphocyte-depletion weight from the catalogue.
A drug class the model does not simulate yet is refused with a clear error, before anything runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunotwin.engine.events import EventKind
from immunotwin.errors import SpecError
from immunotwin.model.spec import Model
from immunotwin.model.units import convert
from immunotwin.therapies.catalog import Drug, load_drug_catalog
from immunotwin.therapies.schedule import administrations
from immunotwin.trials.spec import Arm

CHECKPOINT_SLOTS = {
    "PD-1": "antipd1",
    "PD-L1": "antipdl1",
    "CTLA-4": "antictla4",
    "LAG-3": "antilag3",
}
log = logging.getLogger(__name__)

CHEMO_SLOTS = ("chemo_a", "chemo_b", "chemo_c", "chemo_d")
# sunitinib-like VEGFR tyrosine-kinase inhibitors (``tki_exposure``, K-PD)
TKI_DRUGS = {"sunitinib", "sorafenib"}
TKI_INHIBITION_CAP = 0.95
"""Upper bound of a calibrated TKI's maximal growth inhibition (the catalogue prior range of
``tki_growth_inhibition_max``): some proliferation always escapes a cytostatic drug."""
ANTIBODY_EFFECTOR_MAXIMA = ("adcc_max", "adcp_max", "antitarget_cdc_rate")
CELL_PRODUCT_POTENCY = ("cart_kill_rate", "cart_expansion_rate")
"""What an engineered cell product's fitted potency multiplies: kill per cell and expansion."""
ENGINEERED_CELLS = {"car_t", "tcr_t"}
"""Cell products whose potency acts on the per-cell kill rate they share (``cart_kill_rate``)."""
ANTIVEGF_TARGETS = {"VEGF-A"}
# vaccine products -> prefix of their product parameters in parameters/vaccines.toml
VACCINE_PRODUCTS = {
    "gp100_peptide_vaccine": "gp100_vaccine",
    "neoantigen_mrna_vaccine": "neoantigen_vaccine",
    "sipuleucel_t": "sipuleucel",
}
CELL_PRODUCT_CLASSES = frozenset({"car_t", "til", "tcr_t"})
# target antigen of a CAR/engager -> the virtual patient's antigen-status column
ANTIGEN_COLUMNS = {"CD19": "cd19_positive", "BCMA": "bcma_positive", "CD20": "cd20_positive"}
NORMAL_B_CELL_TARGETS = {"CD19", "CD20"}
TOCILIZUMAB_BLOCKADE_DAYS = 14.0
"""IL-6 receptor blockade after one 8 mg/kg tocilizumab dose, RO ≈ 1 for ≈2-3 weeks
(brief §2.6 [L]); the lower end is used."""
CYTOKINES = ("aldesleukin", "interferon_alfa_2b")
# tumour-cell targets of the antitarget slot; signalling blockade and complement per target
ANTITARGET_TARGETS = {"CD20", "HER2", "EGFR"}
SIGNALING_TARGETS = {"HER2", "EGFR"}
COMPLEMENT_TARGETS = {"CD20"}
# catalogue PK field -> (model parameter suffix, catalogue unit)
PK_FIELDS = {
    "cl_l_per_day": ("cl", "L/day"),
    "v1_l": ("v1", "L"),
    "q_l_per_day": ("q", "L/day"),
    "v2_l": ("v2", "L"),
}
PK_SHORT = {"cl_l_per_day": "cl", "v1_l": "v1", "q_l_per_day": "q", "v2_l": "v2"}
COVARIATE_COLUMNS = {
    "weight_kg": "weight_kg",
    "albumin_g_per_l": "albumin_g_per_l",
    "sex_female": "sex_female",
    "sex_male": "sex_male",
    "ecog": "ecog",
    "ecog_ge1": "ecog_ge1",
    "bsa_m2": "bsa_m2",
    "tumor_sld_mm": "baseline_sld_mm",
    "crcl_ml_per_min": "gfr_ml_per_min",
}


@dataclass(frozen=True)
class ArmPlan:
    """What an arm does to the model: parameter values, events and the dose log."""

    parameter_values: dict[str, np.ndarray]  # model parameter name -> per-patient value
    events: list[tuple[float, EventKind, int, int, np.ndarray]]
    doses: pd.DataFrame  # patient_id, drug, day, amount, amount_unit
    classes: frozenset[str]
    anti_ctla4: bool
    # SET_PARAMETER events that are schedules, not doses (time-varying clearance): they keep
    # their value after a patient stops treatment
    persistent_parameters: frozenset[int] = frozenset()

    def events_until(
        self, stop_day: np.ndarray | None, params: np.ndarray
    ) -> list[tuple[float, EventKind, int, int, np.ndarray]]:
        """The events with every administration after each patient's ``stop_day`` neutralised.

        A removed bolus or transfer moves nothing (0), a removed scaling keeps the state (1), a
        removed parameter switch leaves the parameter at the value it has without treatment
        (``params``: the arm's per-patient parameters); schedule parameters
        (``persistent_parameters``) keep their value.
        """
        if stop_day is None:
            return list(self.events)
        out = []
        for day, kind, idx, idx2, value in self.events:
            if kind == EventKind.SET_PARAMETER and idx in self.persistent_parameters:
                out.append((day, kind, idx, idx2, value))
                continue
            neutral = {
                EventKind.ADD_TO_STATE: 0.0,
                EventKind.TRANSFER: 0.0,
                EventKind.SCALE_STATE: 1.0,
            }.get(kind)
            if neutral is None:  # SET_PARAMETER: back to the untreated value
                neutral = params[:, idx]
            out.append((day, kind, idx, idx2, np.where(day <= stop_day, value, neutral)))
        return out


def set_in_model_units(
    model: Model, name: str, values: np.ndarray, unit: str
) -> tuple[str, np.ndarray]:
    """Values given in ``unit`` converted to the unit the model's parameter uses in formulas."""
    par = model.parameters[model.parameter_index(name)]
    factor = convert(1.0, unit, par.formula_unit, what=f"parameter '{name}'")
    return name, np.asarray(values, dtype=float) * factor


def _covariate_values(patients: pd.DataFrame, name: str) -> np.ndarray | None:
    if name == "ecog_ge1":
        return (patients["ecog"].to_numpy() >= 1).astype(float)
    if name == "sex_male":
        return (~patients["sex_female"].to_numpy().astype(bool)).astype(float)
    column = COVARIATE_COLUMNS.get(name)
    if column is None or column not in patients:
        return None
    return patients[column].to_numpy().astype(float)


def pk_parameters(
    drug: Drug, patients: pd.DataFrame, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Per-patient two-compartment PK (catalogue units) with covariates and IIV."""
    pk = drug.pk
    out = {}
    for field, short in PK_SHORT.items():
        value = np.full(len(patients), float(getattr(pk, field)))
        for cov in drug.covariates:
            if cov.parameter != short:
                continue
            x = _covariate_values(patients, cov.covariate)
            if x is not None:
                value *= np.array([cov.factor(v) for v in x])
        owner = drug.iiv_shared_with.get(short, short)
        omega2 = drug.iiv.get(owner)
        if omega2:
            value *= np.exp(np.sqrt(omega2) * rng.standard_normal(len(patients)))
        out[field] = value
    return out


def _time_varying_clearance(
    model: Model, drug: Drug, slot: str, values: dict, days: np.ndarray
) -> list:
    """Clearance that changes with time on treatment (e.g. nivolumab): updated at every dose,
    piecewise constant in between (parameter events)."""
    tv = drug.pk.time_varying_cl
    if tv is None or days.size == 0:
        return []
    name = f"{slot}_cl"
    index = model.parameter_index(name)
    cl0 = values[name]
    first = days[0]
    return [
        (float(d), EventKind.SET_PARAMETER, index, 0, cl0 * tv.factor(d - first)) for d in days[1:]
    ]


def _normalised_exposure(
    drug: Drug, item, amount_mg: np.ndarray, arm: Arm, bsa_m2: np.ndarray | None = None
) -> np.ndarray:
    """Dose in units of the drug's K-PD reference dose (1.0 = the usual single dose); a dose in
    mg (e.g. cyclophosphamide 60 mg/kg) against a mg/m2 reference is divided by the BSA."""
    kpd = drug.kpd()
    if kpd is None:
        raise _refuse(drug, arm, "needs a K-PD exposure in the catalogue")
    ref, ref_unit = kpd.dose_ref, kpd.dose_ref_unit
    if item.dose.unit == ref_unit:
        return np.full(amount_mg.shape, item.dose.value / ref)
    if ref_unit == "mg":
        return amount_mg / ref
    if ref_unit == "mg/m2" and bsa_m2 is not None:
        return amount_mg / np.asarray(bsa_m2, dtype=float) / ref
    raise _refuse(drug, arm, f"is dosed in {item.dose.unit} but its K-PD reference is {ref_unit}")


def patient_values(
    model: Model, params: np.ndarray | None, name: str, n_patients: int
) -> np.ndarray:
    """Per-patient values of model parameter ``name`` (model units): from ``params`` (the arm's
    sampled and calibrated parameters) when given, else the typical value."""
    index = model.parameter_index(name)
    if params is not None:
        return np.asarray(params[:, index], dtype=float)
    return np.full(n_patients, model.parameters[index].model_value)


def potency_scaled(
    model: Model, params: np.ndarray | None, names: tuple[str, ...], potency: float, n: int
) -> dict[str, np.ndarray]:
    """Per-patient values of ``names`` multiplied by a drug's fitted potency."""
    return {name: patient_values(model, params, name, n) * potency for name in names}


def lq_surviving_fraction(
    dose_gy: np.ndarray, alpha_per_gy: np.ndarray, alpha_beta_gy: np.ndarray
) -> np.ndarray:
    """Linear-quadratic surviving fraction of one fraction, exp(-alpha d - beta d^2),
    beta = alpha/(alpha/beta) (brief §2.6-§2.7)."""
    d = np.asarray(dose_gy, dtype=float)
    alpha = np.asarray(alpha_per_gy, dtype=float)
    return np.exp(-alpha * d - alpha / np.asarray(alpha_beta_gy, dtype=float) * d**2)


def radiotherapy_events(
    model: Model, days: np.ndarray, dose_per_fraction_gy: np.ndarray, params: np.ndarray | None
) -> list[tuple[float, EventKind, int, int, np.ndarray]]:
    """Engine events of radiotherapy fractions (brief §2.7), per patient.

    At each fraction of d Gy: f_field*(1 - SF) of the presenting and escape clones moves to the
    doomed pool (TRANSFER); in-field tumour-resident lymphoid cells are scaled by
    1 - f_field*(1 - SF_L(d)); circulating lymphocytes and systemic effectors by
    SF_L(f_blood*d), with SF_L(x) = exp(-alpha_L x).
    """
    from immunotwin.model.immune.radiotherapy import CIRCULATING, IN_FIELD_LYMPHOID

    n = np.asarray(dose_per_fraction_gy).shape[0]

    def par(name):
        return patient_values(model, params, name, n)

    d = np.asarray(dose_per_fraction_gy, dtype=float)
    field = np.clip(par("rt_field_fraction"), 0.0, 1.0)
    killed = field * (1.0 - lq_surviving_fraction(d, par("rt_alpha"), par("rt_alpha_beta")))
    alpha_l = par("rt_lymphocyte_alpha")
    in_field = 1.0 - field * (1.0 - np.exp(-alpha_l * d))
    blood = np.exp(-alpha_l * par("rt_blood_dose_fraction") * d)
    doomed = model.state_index("tumor_doomed")
    events = []
    for day in np.asarray(days, dtype=float):
        for clone in ("tumor_presenting", "tumor_escape"):
            events.append(
                (float(day), EventKind.TRANSFER, model.state_index(clone), doomed, killed)
            )
        for st in IN_FIELD_LYMPHOID:
            events.append((float(day), EventKind.SCALE_STATE, model.state_index(st), 0, in_field))
        for st in CIRCULATING:
            events.append((float(day), EventKind.SCALE_STATE, model.state_index(st), 0, blood))
    return events


def _days_of(model: Model, params: np.ndarray | None, name: str, n: int) -> np.ndarray:
    par = model.parameters[model.parameter_index(name)]
    return patient_values(model, params, name, n) * convert(
        1.0, par.formula_unit, "day", what=f"parameter '{name}'"
    )


def window_events(
    days: np.ndarray, window_days: float, settings: dict[int, np.ndarray]
) -> list[tuple[float, EventKind, int, int, np.ndarray]]:
    """Piecewise-constant parameter signals (brief §3, QSS of fast drugs): at each
    administration day the parameters (index -> per-patient value) are set, and reset to 0 when
    the window ends before the next administration (otherwise the next dose sets them again)."""
    days = np.sort(np.asarray(days, dtype=float))
    out = []
    for k, day in enumerate(days):
        for index, value in settings.items():
            out.append((float(day), EventKind.SET_PARAMETER, index, 0, value))
        gap = days[k + 1] - day if k + 1 < days.size else np.inf
        if window_days < gap - 1e-9:
            # a hair before the window's end, so a dose given at that instant sets it again
            end = float(day + window_days) - 1e-7
            for index, value in settings.items():
                out.append((end, EventKind.SET_PARAMETER, index, 0, 0.0 * value))
    return out


def cytokine_events(
    model: Model, drug: Drug, admin, exposure: np.ndarray, params: np.ndarray | None
) -> list[tuple[float, EventKind, int, int, np.ndarray]]:
    """Window events of aldesleukin (``il2_systemic``, nM) or interferon alfa
    (``ifna_activity``, ``ifna_signal``, ``ifn_growth_inhibition``).

    IL-2: mean plasma concentration over the window, dose/(CL*window), with the dose in nmol
    from IU (``iu_per_mg``, molecular weight) and the catalogue's one-compartment CL.
    IFN-alpha: H = x/(x + x50) with ``exposure`` x = dose relative to the catalogue reference
    dose (20 MIU/m2).
    """
    n = exposure.shape[0]
    index = model.parameter_index
    if drug.key == "aldesleukin":
        window = float(np.median(_days_of(model, params, "il2_exposure_window", n)))
        nmol = exposure / drug.iu_per_mg / drug.molecular_weight_g_per_mol * 1e6
        conc_nm = nmol / (drug.pk.cl_l_per_day * window)
        return window_events(admin.days, window, {index("il2_systemic"): conc_nm})
    window = float(np.median(_days_of(model, params, "ifna_effect_window", n)))
    h = exposure / (exposure + patient_values(model, params, "ifna_half_exposure", n))
    return window_events(
        admin.days,
        window,
        {
            index("ifna_activity"): h,
            index("ifna_signal"): h * patient_values(model, params, "ifna_mhc_gain", n),
            index("ifn_growth_inhibition"): h
            * patient_values(model, params, "ifna_growth_inhibition_max", n),
        },
    )


def fcgr3a_factor(genotypes: np.ndarray, ff_factor: np.ndarray) -> np.ndarray:
    """Fc-effector factor f_FcgR per patient from the FCGR3A V158F genotype (brief §2.8):
    V/V 1, F/F ``ff_factor``, V/F midway; unknown genotypes count as V/F."""
    g = np.asarray(genotypes).astype(str)
    ff = np.asarray(ff_factor, dtype=float)
    return np.where(g == "VV", 1.0, np.where(g == "FF", ff, 0.5 * (1.0 + ff)))


def antitarget_values(
    model: Model, drug: Drug, patients: pd.DataFrame, rng: np.random.Generator, params
) -> dict[str, np.ndarray]:
    """Per-patient values of the ``antitarget`` slot for a tumour-targeting mAb (PK with
    covariates and IIV, Michaelis-Menten, affinity, switches, FCGR3A factor)."""
    n = len(patients)
    values: dict[str, np.ndarray] = {}
    for field, series in pk_parameters(drug, patients, rng).items():
        suffix, unit = PK_FIELDS[field]
        name, converted = set_in_model_units(model, f"antitarget_{suffix}", series, unit)
        values[name] = converted
    pk = drug.pk
    vmax = pk.vmax_mg_per_day or 0.0
    name, v = set_in_model_units(model, "antitarget_vmax", np.full(n, vmax), "mg/day")
    values[name] = v
    if pk.km_mg_per_l:
        name, v = set_in_model_units(model, "antitarget_km", np.full(n, pk.km_mg_per_l), "mg/L")
        values[name] = v
    if drug.molecular_weight_g_per_mol:
        name, v = set_in_model_units(
            model, "antitarget_mw", np.full(n, drug.molecular_weight_g_per_mol), "g/mol"
        )
        values[name] = v
    if drug.binding is not None:
        name, v = set_in_model_units(model, "antitarget_kd", np.full(n, drug.binding.kd_nm), "nM")
        values[name] = v
    targets = set(drug.targets)
    values["antitarget_signaling_on"] = np.full(n, float(bool(targets & SIGNALING_TARGETS)))
    values["antitarget_cdc_on"] = np.full(n, float(bool(targets & COMPLEMENT_TARGETS)))
    if "fcgr3a" in patients:
        values["antitarget_fcgr_factor"] = fcgr3a_factor(
            patients["fcgr3a"].to_numpy(), patient_values(model, params, "fcgr3a_ff_factor", n)
        )
    tm = pk.target_mediated_cl
    values["antitarget_tm_cl"] = set_in_model_units(
        model, "antitarget_tm_cl", np.full(n, tm.cl_l_per_day if tm else 0.0), "L/day"
    )[1]
    return values


def target_mediated_events(
    model: Model, drug: Drug, cl_tm: np.ndarray, days: np.ndarray, first_day: float | None = None
) -> list[tuple[float, EventKind, int, int, np.ndarray]]:
    """Rozman 2017 decaying target-mediated clearance CL_TM*exp(-k_des*t), t from the first
    dose (``first_day``, default the first of ``days``), updated at every later dose
    (piecewise constant in between)."""
    tm = drug.pk.target_mediated_cl
    if tm is None or days.size == 0:
        return []
    index = model.parameter_index("antitarget_tm_cl")
    first = days[0] if first_day is None else first_day
    return [
        (
            float(d),
            EventKind.SET_PARAMETER,
            index,
            0,
            cl_tm * np.exp(-tm.decay_per_day * (d - first)),
        )
        for d in days
        if d > first
    ]


def vaccine_slot_values(
    model: Model, drug: Drug, params: np.ndarray | None, n: int
) -> dict[str, np.ndarray]:
    """Per-patient plugs of the vaccine slot (q_vac, n_cl,vac, f_vAg, a_adj, i_vac) for a
    product.

    gp100 peptides and sipuleucel-T use their product parameters. The personalised neoantigen
    mRNA vaccine encodes min(n_enc, candidates) epitopes, the candidates being the patient's
    tumour-reactive clone number ``n_clones`` (the TMB map of :mod:`immunotwin.population.
    biomarker_map`); n_cl,vac = c_ep x encoded, q_vac = the patient's ``antigen_quality`` and
    f_vAg = ``neoantigen_vaccine_tumor_coverage``. A measured neoantigen list maps to the same
    plugs with :func:`immunotwin.therapies.vaccines.neoantigen_vaccine_parameters`.
    """
    prefix = VACCINE_PRODUCTS[drug.key]

    def par(name: str) -> np.ndarray:
        return patient_values(model, params, name, n)

    if drug.key == "neoantigen_mrna_vaccine":
        encoded = np.minimum(par("neoantigen_vaccine_max_epitopes"), par("n_clones"))
        return {
            "vaccine_antigen_quality": par("antigen_quality"),
            "vaccine_clones": par("neoantigen_vaccine_clones_per_epitope") * encoded,
            "vaccine_tumor_coverage": par("neoantigen_vaccine_tumor_coverage"),
            "vaccine_adjuvant": par("neoantigen_vaccine_adjuvant"),
            "vaccine_growth_delay": np.zeros(n),
        }
    out = {
        "vaccine_antigen_quality": par(f"{prefix}_antigen_quality"),
        "vaccine_clones": par(f"{prefix}_clones"),
        "vaccine_tumor_coverage": par(f"{prefix}_tumor_coverage"),
    }
    out["vaccine_adjuvant"] = (
        par(f"{prefix}_adjuvant") if drug.key == "gp100_peptide_vaccine" else np.zeros(n)
    )
    # Th1 growth arrest (issue 6): only a product with a measured survival-without-shrinkage
    # effect defines it (sipuleucel-T); a fraction of the net growth, so clipped to [0, 1]
    growth_delay = f"{prefix}_growth_delay"
    out["vaccine_growth_delay"] = (
        np.clip(par(growth_delay), 0.0, 1.0)
        if growth_delay in model.parameter_names
        else np.zeros(n)
    )
    return out


def antigen_status(patients: pd.DataFrame, target: str) -> np.ndarray:
    """Per-patient target-antigen density (0/1 status) for a CAR or engager target; a tumour
    type without that antigen in the catalogue counts as antigen-negative."""
    column = ANTIGEN_COLUMNS.get(target)
    if column is None or column not in patients:
        log.warning("no '%s' status for these patients: treated as antigen-negative", target)
        return np.zeros(len(patients))
    return np.nan_to_num(patients[column].to_numpy(dtype=float), nan=0.0)


def tcrt_antigen_match(patients: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """1 where an HLA-A*02-restricted MAGE-A4 TCR can see the tumour: MAGE-A4 positive, HLA-A*02
    carrier and the A*02 haplotype not lost (a patient with HLA LOH lost the A*02-bearing
    haplotype with probability 1/2, heterozygous carriers assumed)."""
    n = len(patients)

    def flag(column: str) -> np.ndarray:
        if column not in patients:
            return np.zeros(n, dtype=bool)
        return np.nan_to_num(patients[column].to_numpy(dtype=float), nan=0.0) > 0

    lost = flag("hla_loh") & (rng.random(n) < 0.5)
    return (flag("mage_a4_positive") & flag("hla_a0201") & ~lost).astype(float)


def engager_concentration_pg_ml(
    drug: Drug, rate_ug_per_day: np.ndarray, patients: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    """Steady-state plasma concentration of a continuously infused engager, C_ss = rate/CL
    (pg/mL), with the catalogue's BSA covariate and log-normal IIV on CL (Clements 2020)."""
    cl = np.full(len(patients), float(drug.pk.cl_l_per_day))
    for cov in drug.covariates:
        if cov.parameter == "cl":
            x = _covariate_values(patients, cov.covariate)
            if x is not None:
                cl *= np.array([cov.factor(v) for v in x])
    omega2 = drug.iiv.get("cl")
    if omega2:
        cl *= np.exp(np.sqrt(omega2) * rng.standard_normal(len(patients)))
    return np.asarray(rate_ug_per_day, dtype=float) / cl * 1000.0  # ug/L -> pg/mL


def _antigen_negative_escape(model: Model, params, n: int) -> dict[str, np.ndarray]:
    """Under a CAR or engager the escape clone Cr means target-antigen loss (CD19-/BCMA-), not
    MHC-I loss (brief §2.2: arm-specific meaning): it keeps the patient's MHC-I level, so NK
    missing-self killing does not remove it and it can cause antigen-negative relapse."""
    return {"escape_mhc_basal": patient_values(model, params, "mhc_basal", n)}


def _kpd_decay(
    model: Model, drug: Drug, arm: Arm, parameter: str, what: str, n: int
) -> dict[str, np.ndarray]:
    """The decay rate (1/day) of a K-PD depot or exposure index, from the catalogue's
    elimination rate; a drug without K-PD kinetics in the catalogue is refused."""
    kpd = drug.kpd()
    if kpd is None:
        raise _refuse(drug, arm, f"needs a K-PD {what} in the catalogue")
    rate = np.full(n, kpd.elimination_per_day)
    name, decay = set_in_model_units(model, parameter, rate, "1/day")
    return {name: decay}


def _refuse(drug: Drug, arm: Arm, why: str) -> SpecError:
    return SpecError(
        f"arm '{arm.name}': {drug.key} ({drug.drug_class}) {why}",
        source="trial spec",
        location=f"arms[{arm.name}].regimen",
        fix="this therapy family is not simulated by this version's model yet; see "
        "`immunotwin catalog drugs` and docs/model.md for what the model covers",
    )


def tki_input_events(
    model: Model, days: np.ndarray, exposure: np.ndarray
) -> list[tuple[float, EventKind, int, int, np.ndarray]]:
    """Daily oral dosing as a zero-order input: for each run of administrations at most one day
    apart, ``tki_input_rate`` = (exposure per administration) x (administrations per day) from
    the run's first day to one dosing interval after its last (then 0)."""
    days = np.sort(np.asarray(days, dtype=float))
    if days.size == 0:
        return []
    index = model.parameter_index("tki_input_rate")
    breaks = np.flatnonzero(np.diff(days) > 1.0 + 1e-9)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [days.size - 1]])
    out = []
    for a, b in zip(starts, ends, strict=True):
        count = b - a + 1
        interval = (days[b] - days[a]) / (count - 1) if count > 1 else 1.0
        per_day = 1.0 / max(interval, 1e-9)
        out.append((float(days[a]), EventKind.SET_PARAMETER, index, 0, exposure * per_day))
        out.append((float(days[b] + interval), EventKind.SET_PARAMETER, index, 0, 0.0 * exposure))
    return out


def _claim(owners: dict[str, str], slot: str, drug: Drug, arm: Arm) -> None:
    """One drug per single-drug slot in an arm (several regimen items of it are fine)."""
    owner = owners.setdefault(slot, drug.key)
    if owner != drug.key:
        raise _refuse(drug, arm, f"shares the {slot} slot with {owner} in this arm")


def plan_arm(
    model: Model,
    arm: Arm,
    patients: pd.DataFrame,
    horizon_days: float,
    rng: np.random.Generator,
    params: np.ndarray | None = None,
    drug_potency: Mapping[str, float] | None = None,
) -> ArmPlan:
    """Parameter values, events and dose log for one arm (all patients of the arm).

    ``params``: the arm's per-patient model parameters (sampled, calibrated), read by mechanisms
    whose events depend on patient parameters (radiosensitivity); ``None`` uses typical values.
    ``drug_potency``: calibrated per-drug factors by drug key
    (:attr:`immunotwin.population.calibration.ParameterSet.drug_potency`): on a chemotherapy's
    cancer-cell kill in the slot it occupies, on a VEGFR-TKI's maximal growth inhibition (capped
    at :data:`TKI_INHIBITION_CAP`), on a tumour-targeting antibody's Fc effector maxima and on a
    CAR-T or TCR-T product's per-cell kill rate.
    """
    catalog = load_drug_catalog()
    values: dict[str, np.ndarray] = {}
    events: list[tuple[float, EventKind, int, int, np.ndarray]] = []
    dose_rows = []
    chemo_slots = iter(CHEMO_SLOTS)
    chemo_slot_of: dict[str, str] = {}  # a drug given in several items keeps one slot
    single_slot_owner: dict[str, str] = {}  # tki / antivegf / vaccine / oncolytic: one drug each
    classes = set()
    anti_ctla4 = False
    persistent: set[int] = set()
    antitarget_owner: dict = {}
    n = len(patients)
    for item in arm.regimen:
        drug = catalog.get(item.drug)
        classes.add(drug.drug_class)
        admin = administrations(
            item,
            horizon_days,
            weight_kg=patients["weight_kg"].to_numpy(),
            bsa_m2=patients["bsa_m2"].to_numpy(),
            gfr_ml_per_min=patients["gfr_ml_per_min"].to_numpy(),
        )
        if drug.drug_class == "checkpoint_inhibitor":
            slot = next((CHECKPOINT_SLOTS[t] for t in drug.targets if t in CHECKPOINT_SLOTS), None)
            if slot is None or drug.pk.model != "two_compartment":
                raise _refuse(drug, arm, f"targets {list(drug.targets)}, which has no PK slot")
            if admin.amount_unit != "mg":
                raise _refuse(drug, arm, f"is dosed in {admin.amount_unit}, slot expects mg")
            repeated = slot in single_slot_owner  # a further regimen item of the same drug
            _claim(single_slot_owner, slot, drug, arm)
            anti_ctla4 |= slot == "antictla4"
            pk = {} if repeated else pk_parameters(drug, patients, rng)  # one PK per patient
            for field, series in pk.items():
                suffix, unit = PK_FIELDS[field]
                name, converted = set_in_model_units(model, f"{slot}_{suffix}", series, unit)
                values[name] = converted
            if drug.molecular_weight_g_per_mol:
                name, mw = set_in_model_units(
                    model,
                    f"{slot}_mw",
                    np.full(len(patients), drug.molecular_weight_g_per_mol),
                    "g/mol",
                )
                values[name] = mw
            if drug.binding is not None:
                name, kd = set_in_model_units(
                    model, f"{slot}_kd", np.full(len(patients), drug.binding.kd_nm), "nM"
                )
                values[name] = kd
            target_state = model.state_index(f"{slot}_central")
            amounts = admin.amount
            tv = _time_varying_clearance(model, drug, slot, values, admin.days)
            persistent.update(e[2] for e in tv)
            events += tv
        elif drug.drug_class == "chemotherapy":
            slot = chemo_slot_of.get(drug.key) or next(chemo_slots, None)
            if slot is None:
                raise _refuse(drug, arm, "needs a chemotherapy exposure slot (four per arm)")
            chemo_slot_of[drug.key] = slot
            if drug_potency and drug.key in drug_potency:
                values.update(
                    potency_scaled(
                        model, params, (f"{slot}_kill_tumor",), drug_potency[drug.key], n
                    )
                )
            values.update(_kpd_decay(model, drug, arm, f"{slot}_decay_rate", "exposure", n))
            depletion = drug.kpd().lymphodepletion_per_day
            if depletion is not None:
                for weight in ("kill_lymphocytes", "kill_tcells"):
                    name, rate = set_in_model_units(
                        model, f"{slot}_{weight}", np.full(n, depletion), "1/day"
                    )
                    values[name] = rate
            target_state = model.state_index(f"{slot}_exposure")
            amounts = _normalised_exposure(
                drug, item, admin.amount, arm, patients["bsa_m2"].to_numpy()
            )
        elif drug.drug_class in CELL_PRODUCT_CLASSES:
            if admin.amount_unit != "cells":
                raise _refuse(drug, arm, f"is dosed in {admin.amount_unit}, expected cells")
            values["adoptive_transfer_on"] = np.ones(n)
            amounts = admin.amount
            if drug_potency and drug.key in drug_potency and drug.drug_class in ENGINEERED_CELLS:
                values.update(
                    potency_scaled(model, params, CELL_PRODUCT_POTENCY, drug_potency[drug.key], n)
                )
            if drug.drug_class == "car_t":
                target = next((t for t in drug.targets if t in ANTIGEN_COLUMNS), None)
                if target is None:
                    raise _refuse(drug, arm, f"targets {list(drug.targets)}, no antigen status")
                values["cart_target_density"] = antigen_status(patients, target)
                values["cart_normal_target"] = np.full(n, float(target in NORMAL_B_CELL_TARGETS))
                values.update(_antigen_negative_escape(model, params, n))
                target_state = model.state_index("cart_effector")
            elif drug.drug_class == "tcr_t":
                values["tcrt_antigen_match"] = tcrt_antigen_match(patients, rng)
                target_state = model.state_index("tcrt_effector")
            else:  # TIL: the tumour-reactive fraction joins the systemic effectors
                amounts = amounts * patient_values(model, params, "til_reactive_fraction", n)
                target_state = model.state_index("teff_systemic")
        elif drug.drug_class == "t_cell_engager":
            if admin.amount_unit != "ug/day" or admin.infusion_days is None:
                raise _refuse(drug, arm, "needs a continuous infusion in ug/day with a duration")
            target = next((t for t in drug.targets if t in ANTIGEN_COLUMNS), None)
            if target is None:
                raise _refuse(drug, arm, f"targets {list(drug.targets)}, no antigen status")
            values["cart_target_density"] = antigen_status(patients, target)
            values["cart_normal_target"] = np.full(n, float(target in NORMAL_B_CELL_TARGETS))
            values.update(_antigen_negative_escape(model, params, n))
            conc = engager_concentration_pg_ml(drug, admin.amount, patients, rng)
            events += window_events(
                admin.days, admin.infusion_days, {model.parameter_index("tce_concentration"): conc}
            )
            target_state = None
        elif drug.key == "tocilizumab":
            events += window_events(
                admin.days,
                TOCILIZUMAB_BLOCKADE_DAYS,
                {model.parameter_index("tocilizumab_ro"): np.ones(n)},
            )
            target_state = None
        elif drug.drug_class == "radiotherapy":
            if admin.amount_unit != "Gy":
                raise _refuse(drug, arm, f"is dosed in {admin.amount_unit}, expected Gy")
            events += radiotherapy_events(model, admin.days, admin.amount, params)
            # radiation-doomed cells release antigen with the radiotherapy weight at death
            values["immunogenicity_doomed"] = patient_values(model, params, "rt_immunogenicity", n)
            target_state = None
        elif drug.drug_class == "targeted_antibody" and set(drug.targets) & ANTITARGET_TARGETS:
            if drug.pk.model != "two_compartment" or admin.amount_unit != "mg":
                raise _refuse(drug, arm, "needs two-compartment PK dosed in mg")
            owner = antitarget_owner.setdefault("drug", drug.key)
            if owner != drug.key:
                raise _refuse(drug, arm, f"shares the antitarget slot with {owner} in this arm")
            if "antitarget_cl" not in values:  # loading and maintenance items share one PK
                values.update(antitarget_values(model, drug, patients, rng, params))
                antitarget_owner["first_day"] = float(admin.days.min(initial=np.inf))
                if drug_potency and drug.key in drug_potency:
                    values.update(
                        potency_scaled(
                            model, params, ANTIBODY_EFFECTOR_MAXIMA, drug_potency[drug.key], n
                        )
                    )
            tm = target_mediated_events(
                model, drug, values["antitarget_tm_cl"], admin.days, antitarget_owner["first_day"]
            )
            persistent.update(e[2] for e in tm)
            events += tm
            target_state = model.state_index("antitarget_central")
            amounts = admin.amount
        elif drug.drug_class == "cytokine" and drug.key in CYTOKINES:
            if drug.key == "aldesleukin":
                if admin.amount_unit != "IU":
                    raise _refuse(drug, arm, f"is dosed in {admin.amount_unit}, expected IU/kg")
                exposure = admin.amount
            else:
                exposure = _normalised_exposure(
                    drug, item, admin.amount, arm, patients["bsa_m2"].to_numpy()
                )
            events += cytokine_events(model, drug, admin, exposure, params)
            target_state = None
        elif drug.key == "placebo" or (drug.drug_class == "supportive" and drug.pk.model == "none"):
            # inactive comparator, or a modulator folded into its partner (leucovorin: into the
            # fluorouracil K-PD): dose log only
            target_state = None
        elif drug.drug_class == "targeted_drug" and drug.key in TKI_DRUGS:
            _claim(single_slot_owner, "tki", drug, arm)
            values.update(_kpd_decay(model, drug, arm, "tki_decay_rate", "exposure index", n))
            if drug_potency and drug.key in drug_potency:
                inhibition = patient_values(model, params, "tki_growth_inhibition_max", n)
                values["tki_growth_inhibition_max"] = np.minimum(
                    inhibition * drug_potency[drug.key], TKI_INHIBITION_CAP
                )
                values.update(
                    potency_scaled(model, params, ("tki_kill_max",), drug_potency[drug.key], n)
                )
            events += tki_input_events(
                model, admin.days, _normalised_exposure(drug, item, admin.amount, arm)
            )
            target_state = None
        elif drug.drug_class == "targeted_antibody" and set(drug.targets) & ANTIVEGF_TARGETS:
            _claim(single_slot_owner, "antivegf", drug, arm)
            if drug.pk.model != "two_compartment" or admin.amount_unit != "mg":
                raise _refuse(drug, arm, "needs two-compartment PK dosed in mg")
            if "antivegf_cl" not in values:
                for field, series in pk_parameters(drug, patients, rng).items():
                    suffix, unit = PK_FIELDS[field]
                    name, converted = set_in_model_units(model, f"antivegf_{suffix}", series, unit)
                    values[name] = converted
            target_state = model.state_index("antivegf_central")
            amounts = admin.amount
        elif drug.drug_class == "cancer_vaccine" and drug.key in VACCINE_PRODUCTS:
            _claim(single_slot_owner, "vaccine", drug, arm)
            if "vaccine_clones" not in values:
                values.update(vaccine_slot_values(model, drug, params, n))
            if drug.key == "sipuleucel_t":
                if admin.amount_unit != "cells":
                    raise _refuse(drug, arm, f"is dosed in {admin.amount_unit}, expected cells")
                target_state = model.state_index("dc_vaccine")
                amounts = admin.amount * patient_values(model, params, "dc_product_homing", n)
            else:
                values.update(_kpd_decay(model, drug, arm, "vaccine_depot_decay_rate", "depot", n))
                target_state = model.state_index("vaccine_depot")
                amounts = _normalised_exposure(drug, item, admin.amount, arm)
        elif drug.drug_class == "oncolytic_virus":
            _claim(single_slot_owner, "oncolytic", drug, arm)
            values.update(
                _kpd_decay(
                    model, drug, arm, "oncolytic_virus_decay_rate", "virus-activity index", n
                )
            )
            target_state = model.state_index("oncolytic_virus")
            amounts = _normalised_exposure(drug, item, admin.amount, arm)
        else:
            raise _refuse(drug, arm, "is not simulated by the model yet")
        for day in admin.days if target_state is not None else ():
            events.append((float(day), EventKind.ADD_TO_STATE, target_state, 0, amounts))
        dose_rows.append(
            pd.DataFrame(
                {
                    "patient_id": np.repeat(patients["patient_id"].to_numpy(), admin.days.size),
                    "drug": drug.key,
                    "day": np.tile(admin.days, len(patients)),
                    "amount": np.repeat(admin.amount, admin.days.size),
                    "amount_unit": admin.amount_unit,
                    "infusion_days": np.nan if admin.infusion_days is None else admin.infusion_days,
                }
            )
        )
    return ArmPlan(
        values,
        events,
        pd.concat(dose_rows, ignore_index=True),
        frozenset(classes),
        anti_ctla4,
        frozenset(persistent),
    )
