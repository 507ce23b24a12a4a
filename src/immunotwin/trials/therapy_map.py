"""From an arm's regimen to the model: drug -> mechanism slot, per-patient PK, dose events.

Checkpoint antibodies fill the model's PK slot for their target (anti-PD-1, anti-PD-L1,
anti-CTLA-4) with the drug's population PK from the catalogue: typical values, covariate
effects (weight, albumin, sex ...) and log-normal inter-individual variability. Cytotoxic
chemotherapy fills one of two K-PD exposure slots (dose-normalised). A drug class the model does
not simulate yet is refused with a clear error, before anything runs.
"""

from __future__ import annotations

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
CHEMO_SLOTS = ("chemo_a", "chemo_b")
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


def _normalised_exposure(drug: Drug, item, amount_mg: np.ndarray, arm: Arm) -> np.ndarray:
    """Dose in units of the drug's K-PD reference dose (1.0 = the usual single dose)."""
    ref, ref_unit = drug.pk.dose_ref, drug.pk.dose_ref_unit
    if item.dose.unit == ref_unit:
        return np.full(amount_mg.shape, item.dose.value / ref)
    if ref_unit == "mg":
        return amount_mg / ref
    raise _refuse(drug, arm, f"is dosed in {item.dose.unit} but its K-PD reference is {ref_unit}")


def _refuse(drug: Drug, arm: Arm, why: str) -> SpecError:
    return SpecError(
        f"arm '{arm.name}': {drug.key} ({drug.drug_class}) {why}",
        source="trial spec",
        location=f"arms[{arm.name}].regimen",
        fix="this therapy family is not simulated by this version's model yet; see "
        "`immunotwin catalog drugs` and docs/model.md for what the model covers",
    )


def plan_arm(
    model: Model, arm: Arm, patients: pd.DataFrame, horizon_days: float, rng: np.random.Generator
) -> ArmPlan:
    """Parameter values, events and dose log for one arm (all patients of the arm)."""
    catalog = load_drug_catalog()
    values: dict[str, np.ndarray] = {}
    events: list[tuple[float, EventKind, int, int, np.ndarray]] = []
    dose_rows = []
    chemo_slots = iter(CHEMO_SLOTS)
    classes = set()
    anti_ctla4 = False
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
            if f"{slot}_cl" in values:
                raise _refuse(drug, arm, f"shares the {slot} slot with another drug of the arm")
            anti_ctla4 |= slot == "antictla4"
            for field, series in pk_parameters(drug, patients, rng).items():
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
            events += _time_varying_clearance(model, drug, slot, values, admin.days)
        elif drug.drug_class == "chemotherapy":
            slot = next(chemo_slots, None)
            if slot is None or drug.pk.model != "kpd":
                raise _refuse(drug, arm, "needs a chemotherapy exposure slot (two per arm)")
            name, decay = set_in_model_units(
                model,
                f"{slot}_decay_rate",
                np.full(len(patients), drug.pk.elimination_per_day),
                "1/day",
            )
            values[name] = decay
            target_state = model.state_index(f"{slot}_exposure")
            amounts = _normalised_exposure(drug, item, admin.amount, arm)
        else:
            raise _refuse(drug, arm, "is not simulated by the model yet")
        for day in admin.days:
            events.append((float(day), EventKind.ADD_TO_STATE, target_state, 0, amounts))
        dose_rows.append(
            pd.DataFrame(
                {
                    "patient_id": np.repeat(patients["patient_id"].to_numpy(), admin.days.size),
                    "drug": drug.key,
                    "day": np.tile(admin.days, len(patients)),
                    "amount": np.repeat(admin.amount, admin.days.size),
                    "amount_unit": admin.amount_unit,
                }
            )
        )
    return ArmPlan(
        values, events, pd.concat(dose_rows, ignore_index=True), frozenset(classes), anti_ctla4
    )
