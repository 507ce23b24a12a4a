"""The twin's prior ensemble: the tumour type's virtual population conditioned on the patient.

A member is (covariate row, latent vector z). Covariates the patient file gives are set to the
patient's values on every member; the others are drawn from the tumour catalogue (imputed).
The catalogue gives independent marginals (no copula), so a draw conditional on the known
covariates is a draw from the marginal, with one documented exception: members follow the
patient's known MSI status, so an MSI-high patient draws TMB (where missing) and CD8 entry as
the catalogue's MSI-high patients do (hypermutated and T-cell-inflamed whatever their site;
``virtual_patients.MSI_HIGH_REFERENCE_TYPE``).

The latent vector z holds the model's varying parameters (catalogue distributions lognormal,
loguniform, uniform) and the tumour growth rate, each as a standard normal deviate: lognormal
x = m exp(sigma z); (log)uniform x = low + (high - low) Phi(z) on the (log) scale. The prior of z
is N(0, I), which lets the evidence update move members with a prior-reversible proposal
(:mod:`immunotwin.twin.evidence`). Effective parameters are z -> raw parameters -> biomarker
maps (:func:`immunotwin.population.biomarker_map.apply_biomarkers`) -> calibration
(:func:`immunotwin.population.calibration.apply_calibration`), exactly as in the trial engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr

from immunotwin.model.spec import Model
from immunotwin.population.biomarker_map import apply_biomarkers
from immunotwin.population.calibration import ParameterSet, apply_calibration
from immunotwin.population.catalog import LogNormal, TumorType, load_tumor_catalog
from immunotwin.population.virtual_patients import (
    MIN_ACCEPTANCE,
    MSI_HIGH_REFERENCE_TYPE,
    sample_patients,
)
from immunotwin.twin.patient import Patient

log = logging.getLogger(__name__)

GROWTH = "growth_rate_per_day"

#: patient-file field -> (virtual-patient column, reader)
_SIMPLE_FIELDS = {
    "age_years": "age_years",
    "weight_kg": "weight_kg",
    "ecog": "ecog",
    "albumin_g_per_l": "albumin_g_per_l",
    "nlr": "nlr",
    "baseline_sld_mm": "baseline_sld_mm",
    "biomarkers.pdl1_tps": "pdl1_tps",
    "biomarkers.pdl1_cps": "pdl1_cps",
    "biomarkers.tmb_mut_per_mb": "tmb",
    "biomarkers.msi_high": "msi_high",
    "biomarkers.hla_loh": "hla_loh",
    "biomarkers.b2m_loss": "b2m_loss",
    "biomarkers.fcgr3a": "fcgr3a",
}


def _msi_filter(tumour: TumorType, msi_high: bool | None) -> dict | None:
    """Sample members of the patient's known MSI status, where the catalogue type has such
    patients: their TMB and CD8 entry then follow it (virtual_patients.MSI_HIGH_REFERENCE_TYPE)."""
    p = getattr(tumour.biomarkers.msi_high, "p", None)
    if msi_high is None or p is None:
        return None
    share = p if msi_high else 1.0 - p
    if share < MIN_ACCEPTANCE:
        return None
    return {"msi": "high" if msi_high else "stable"}


def _msi_high_outside_catalogue(
    table: pd.DataFrame, tumour: TumorType, reference: TumorType, seed: int, *, tmb: bool
) -> None:
    """An MSI-high patient of a type the catalogue holds MSI-stable: CD8 entry (and, where
    ``tmb``, TMB) from the MSI-high reference type; CD8 from the type's own MSI-high entry if it
    has one."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x751]))
    n = len(table)
    tmb_draw = reference.biomarkers.tmb_mut_per_mb.sample(rng, n)
    if tmb:
        table["tmb"] = tmb_draw
    cd8 = tumour.immune.cd8_relative_msi_high or reference.immune.cd8_relative
    table["cd8_relative"] = cd8.sample(rng, n)


@dataclass(frozen=True)
class LatentSpace:
    """Which parameters the latent vector z holds, and how z maps onto them."""

    columns: tuple[int, ...]
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    a: np.ndarray  # lognormal: log median; (log)uniform: low on its scale
    b: np.ndarray  # lognormal: sigma; (log)uniform: high - low on its scale
    growth: LogNormal | None

    @property
    def size(self) -> int:
        return len(self.columns) + (1 if self.growth is not None else 0)

    @property
    def labels(self) -> tuple[str, ...]:
        return self.names + ((GROWTH,) if self.growth is not None else ())


def latent_space(model: Model, tumour: TumorType) -> LatentSpace:
    """The latent coordinates of ``model`` for ``tumour`` (growth rate last, if lognormal)."""
    cols, names, kinds, a, b = [], [], [], [], []
    overwritten = {"tumor_growth_rate", "n_clones"}  # set by the biomarker maps
    for k, p in enumerate(model.parameters):
        d = p.distribution
        if d.kind == "fixed" or p.name in overwritten:
            continue
        cols.append(k)
        names.append(p.name)
        kinds.append(d.kind)
        if d.kind == "lognormal":
            a.append(np.log(p.value))
            b.append(d.sigma)
        elif d.kind == "loguniform":
            a.append(np.log(d.low))
            b.append(np.log(d.high) - np.log(d.low))
        else:
            a.append(d.low)
            b.append(d.high - d.low)
    growth = (
        tumour.growth_rate_per_day if isinstance(tumour.growth_rate_per_day, LogNormal) else None
    )
    return LatentSpace(tuple(cols), tuple(names), tuple(kinds), np.array(a), np.array(b), growth)


def raw_parameters(model: Model, space: LatentSpace, z: np.ndarray) -> np.ndarray:
    """(n, n_params) raw parameters: catalogue values with the latent columns set from z."""
    n = z.shape[0]
    out = np.tile(np.array([p.value for p in model.parameters], dtype=float), (n, 1))
    for j, (col, kind) in enumerate(zip(space.columns, space.kinds, strict=True)):
        if kind == "lognormal":
            out[:, col] = np.exp(space.a[j] + space.b[j] * z[:, j])
        elif kind == "loguniform":
            out[:, col] = np.exp(space.a[j] + space.b[j] * ndtr(z[:, j]))
        else:
            out[:, col] = space.a[j] + space.b[j] * ndtr(z[:, j])
    return out


def growth_from_z(space: LatentSpace, z: np.ndarray) -> np.ndarray | None:
    if space.growth is None:
        return None
    return space.growth.median * np.exp(space.growth.sigma * z[:, -1])


@dataclass
class Ensemble:
    """Members of a twin: covariate table, latent z and (optional) neoantigen clone counts."""

    tumour: TumorType
    patients: pd.DataFrame
    z: np.ndarray
    space: LatentSpace
    calibration: ParameterSet
    n_clones: float | None = None
    imputed: list[dict] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.patients)

    def table(self) -> pd.DataFrame:
        """Covariates with the growth rate the latent vector sets."""
        out = self.patients.copy()
        growth = growth_from_z(self.space, self.z)
        if growth is not None:
            out[GROWTH] = growth
        out["patient_id"] = np.arange(len(out))
        return out

    def parameters(self, model: Model) -> np.ndarray:
        """Effective (n, n_params) parameters: raw -> biomarker maps -> calibration."""
        table = self.table()
        params = apply_biomarkers(
            model, raw_parameters(model, self.space, self.z), table, self.tumour
        )
        if self.n_clones is not None:
            params[:, model.parameter_index("n_clones")] = self.n_clones
        return apply_calibration(model, params, self.calibration)

    def take(self, index: np.ndarray) -> Ensemble:
        """Members ``index`` (with repeats: resampling)."""
        return Ensemble(
            self.tumour,
            self.patients.iloc[index].reset_index(drop=True),
            self.z[index].copy(),
            self.space,
            self.calibration,
            self.n_clones,
            self.imputed,
        )

    def with_z(self, z: np.ndarray) -> Ensemble:
        return Ensemble(
            self.tumour, self.patients, z, self.space, self.calibration, self.n_clones, self.imputed
        )

    def with_patients(self, patients: pd.DataFrame) -> Ensemble:
        return Ensemble(
            self.tumour, patients, self.z, self.space, self.calibration, self.n_clones, self.imputed
        )


def _value(patient: Patient, dotted: str):
    obj = patient
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _describe(values: pd.Series) -> dict:
    if values.dtype == bool or values.dtype == object:
        counts = values.astype(str).value_counts(normalize=True)
        return {"distribution": {k: round(float(v), 3) for k, v in counts.items()}}
    v = values.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return {"distribution": None}
    q = np.quantile(v, [0.1, 0.5, 0.9])
    return {"median": float(q[1]), "interval80": [float(q[0]), float(q[2])]}


def prior_ensemble(
    patient: Patient,
    model: Model,
    n: int,
    *,
    seed: int,
    calibration: ParameterSet,
    n_clones: float | None = None,
) -> Ensemble:
    """``n`` prior members for ``patient``: known covariates fixed, the rest imputed.

    ``n_clones``: tumour-reactive clone count from the patient's neoantigen list (overrides
    the TMB map). The ensemble's ``imputed`` lists every patient-file field that was missing
    and drawn, with the distribution of the draws.
    """
    catalog = load_tumor_catalog()
    tumour = catalog.get(patient.tumor_type)
    line = patient.line or tumour.line_of_therapy_default
    filters = _msi_filter(tumour, patient.biomarkers.msi_high)
    table = sample_patients(tumour, n, seed=seed, line=line, filters=filters)
    table = table.drop(columns="patient_id")
    imputed: list[dict] = []
    for dotted, column in _SIMPLE_FIELDS.items():
        value = _value(patient, dotted)
        if value is not None:
            table[column] = value
        elif column in table and not table[column].isna().all():
            if dotted == "biomarkers.pdl1_cps" and patient.biomarkers.pdl1_tps is not None:
                continue  # TPS given: CPS is not used by the maps
            if dotted == "biomarkers.pdl1_tps" and patient.biomarkers.pdl1_cps is not None:
                table[column] = np.nan  # CPS given: the PD-L1 map uses it
                continue
            if dotted == "baseline_sld_mm" and patient.measurements:
                table[column] = patient.measurements[0].sld_mm
                continue
            imputed.append({"field": dotted, **_describe(table[column])})
    b = patient.biomarkers
    if b.msi_high and filters is None and tumour.key != MSI_HIGH_REFERENCE_TYPE:
        reference = catalog.get(MSI_HIGH_REFERENCE_TYPE)
        _msi_high_outside_catalogue(table, tumour, reference, seed, tmb=b.tmb_mut_per_mb is None)
        if b.tmb_mut_per_mb is None:
            for row in imputed:
                if row["field"] == "biomarkers.tmb_mut_per_mb":
                    row.update(_describe(table["tmb"]), note="drawn from the MSI-H colorectal TMB")
    if patient.sex is not None:
        table["sex_female"] = patient.sex == "female"
    elif not table["sex_female"].all():
        imputed.append({"field": "sex", **_describe(table["sex_female"])})
    if patient.weight_kg is not None:
        from immunotwin.therapies.schedule import bsa_m2_from_weight

        table["bsa_m2"] = (
            np.sqrt(patient.height_cm * patient.weight_kg / 3600.0)  # Mosteller 1987
            if patient.height_cm is not None
            else bsa_m2_from_weight(np.full(n, patient.weight_kg))
        )
    if b.hla_genotype:
        table["hla_a0201"] = any(
            a.replace("HLA-", "").startswith("A*02:01") for a in b.hla_genotype
        )
    elif "hla_a0201" in table:
        imputed.append({"field": "biomarkers.hla_genotype", **_describe(table["hla_a0201"])})
    for name in tumour.biomarkers.target_antigens:
        if name in b.target_antigens:
            table[name] = b.target_antigens[name]
        else:
            imputed.append(
                {"field": f"biomarkers.target_antigens.{name}", **_describe(table[name])}
            )
    table["prior_anti_pd1"] = bool(patient.prior_anti_pd1)
    space = latent_space(model, tumour)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x7217]))
    z = rng.standard_normal((n, space.size))
    if space.growth is None:
        log.info("growth rate of '%s' is not lognormal: it is not updated", tumour.key)
    return Ensemble(tumour, table.reset_index(drop=True), z, space, calibration, n_clones, imputed)
