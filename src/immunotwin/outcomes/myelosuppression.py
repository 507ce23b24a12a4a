"""Chemotherapy-induced neutropenia: the semi-mechanistic myelosuppression model of Friberg 2002.

Friberg LE, Henningsson A, Maas H, Nguyen L, Karlsson MO. Model of chemotherapy-induced
myelosuppression with parameter consistency across drugs. J Clin Oncol 2002;20:4713-4721,
doi:10.1200/JCO.2002.02.140. A proliferating pool (Prol), three transit compartments and the
circulating neutrophils (Circ), all with rate constant ktr = 4/MTT::

    dProl/dt = ktr Prol (1 - E(t)) (Circ0/Circ)^gamma - ktr Prol
    dT1/dt   = ktr (Prol - T1),  dT2/dt = ktr (T1 - T2),  dT3/dt = ktr (T2 - T3)
    dCirc/dt = ktr (T3 - Circ),  E(t) = sum over drugs of slope_d * C_d(t)

C_d is the plasma concentration (umol/L) of drug d from a linear mammillary PK model (one to
three compartments, zero-order infusions) evaluated analytically from the dose log. The states
are integrated relative to baseline (all start at 1), so Circ0 is only a scale: the absolute
neutrophil count is ANC = ANC0 * Circ/Circ0 with ANC0 a patient property shared by all drugs.
In a combination the system parameters (MTT, gamma) are those of the first modelled
drug of the regimen and the drug effects add (an assumption; Friberg 2002 found the system
parameters consistent across drugs).

Parameters, units and sources: ``immunotwin/data/myelosuppression.toml`` (schema below).
Grades: CTCAE v5.0 "Neutrophil count decreased": grade 1 < LLN-1.5, 2 < 1.5-1.0, 3 < 1.0-0.5,
4 < 0.5 x 10^9/L.
"""

from __future__ import annotations

import logging
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from immunotwin.errors import CatalogError, InputError

__all__ = [
    "CTCAE_NEUTROPHIL_THRESHOLDS_1E9_PER_L",
    "MyelosuppressionCatalog",
    "NeutropeniaResult",
    "grade_neutrophil_count",
    "load_myelosuppression_catalog",
    "neutropenia_from_dose_log",
    "neutrophil_nadir",
    "plasma_concentration_umol_per_l",
    "simulate_neutrophils",
    "single_dose_summary",
]

log = logging.getLogger(__name__)

_DATA = Path(__file__).resolve().parent.parent / "data" / "myelosuppression.toml"
CTCAE_NEUTROPHIL_THRESHOLDS_1E9_PER_L = (1.5, 1.0, 0.5)
"""CTCAE v5.0 neutrophil count decreased: below these, grade 2, 3, 4 (below the LLN: grade 1)."""
RECOVERY_WINDOW_DAYS = 42.0
"""Simulated time after a patient's last dose: long enough for nadir (day 7-14) and recovery."""
Confidence = Literal["curated", "literature", "recall", "assumption"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Sourced(_Frozen):
    """A block of values that share one source and one confidence level."""

    source: str
    confidence: Confidence
    basis: str | None = None


class MammillaryPK(_Sourced):
    """Linear PK with up to two peripheral compartments (rate constants per hour)."""

    v1_l: float = Field(gt=0)
    k10_per_h: float = Field(gt=0)
    k12_per_h: float = Field(default=0.0, ge=0)
    k21_per_h: float = Field(default=0.0, ge=0)
    k13_per_h: float = Field(default=0.0, ge=0)
    k31_per_h: float = Field(default=0.0, ge=0)


class DrugMyelosuppression(_Sourced):
    """Drug-specific Friberg parameters, their variability and the PK that drives them."""

    slope_l_per_umol: float = Field(gt=0)
    omega2_slope: float = Field(ge=0)
    mtt_h: float = Field(gt=0)
    omega2_mtt: float = Field(ge=0)
    gamma: float = Field(gt=0)
    molecular_weight_g_per_mol: float = Field(gt=0)
    infusion_hours: float = Field(gt=0)
    pk: MammillaryPK


class Baseline(_Sourced):
    """Patients' baseline neutrophil count, its variability and the CTCAE lower limit."""

    anc_1e9_per_l: float = Field(gt=0)
    omega2_anc: float = Field(ge=0)
    lln_1e9_per_l: float = Field(gt=0)


class MyelosuppressionCatalog(_Frozen):
    """The data file: patient baseline, modelled drugs, and chemotherapies left unmodelled."""

    baseline: Baseline
    drugs: dict[str, DrugMyelosuppression]
    not_modelled: dict[str, str] = {}

    def variability_columns(self) -> list[str]:
        """Fixed order of the per-patient normal draws (ANC0, then MTT and slope per drug)."""
        cols = ["anc"]
        for key in sorted(self.drugs):
            cols += [f"{key}_mtt", f"{key}_slope"]
        return cols


@cache
def load_myelosuppression_catalog(path: Path | None = None) -> MyelosuppressionCatalog:
    """Read and validate ``immunotwin/data/myelosuppression.toml`` (cached)."""
    path = path or _DATA
    try:
        return MyelosuppressionCatalog.model_validate(tomllib.loads(path.read_text("utf-8")))
    except (ValidationError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(
            f"invalid myelosuppression data: {exc}",
            source=str(path),
            fix="correct the entry so it matches immunotwin.outcomes.myelosuppression's schema",
        ) from exc


def _exponentials(pk: MammillaryPK) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients A_i (1/L) and rates lambda_i (1/h) of the central concentration after a
    unit bolus: C(t) = sum_i A_i exp(-lambda_i t)."""
    k = np.array(
        [
            [-(pk.k10_per_h + pk.k12_per_h + pk.k13_per_h), pk.k21_per_h, pk.k31_per_h],
            [pk.k12_per_h, -pk.k21_per_h, 0.0],
            [pk.k13_per_h, 0.0, -pk.k31_per_h],
        ]
    )
    keep = [0] + [i for i, r in ((1, pk.k12_per_h), (2, pk.k13_per_h)) if r > 0]
    k = k[np.ix_(keep, keep)]
    values, vectors = np.linalg.eig(k)
    weights = np.linalg.solve(vectors, np.eye(len(keep))[:, 0])
    coefficients = np.real(vectors[0, :] * weights) / pk.v1_l
    return coefficients, -np.real(values)


def plasma_concentration_umol_per_l(
    t_h: float | np.ndarray,
    dose_start_h: np.ndarray,
    dose_umol: np.ndarray,
    pk: MammillaryPK,
    infusion_hours: float,
) -> np.ndarray:
    """Central concentration (umol/L) of every patient at time(s) ``t_h``.

    ``dose_start_h``, ``dose_umol``: (n_patients, n_doses), padded with ``nan`` / 0. Each dose
    is a zero-order infusion of ``infusion_hours``; superposition of the analytic solution.
    Returns (n_patients,) for a scalar ``t_h``, else (n_patients, len(t_h)).
    """
    a, lam = _exponentials(pk)
    t = np.atleast_1d(np.asarray(t_h, dtype=float))
    since = t[None, None, :] - np.nan_to_num(dose_start_h, nan=np.inf)[:, :, None]
    inside = np.clip(since, 0.0, infusion_hours)  # time infused so far
    after = np.clip(since - infusion_hours, 0.0, None)  # time since the infusion ended
    rate = (dose_umol / infusion_hours)[:, :, None]
    conc = np.zeros(since.shape)
    for ai, li in zip(a, lam, strict=True):
        conc += ai / li * (1.0 - np.exp(-li * inside)) * np.exp(-li * after)
    out = np.where(since > 0, rate * conc, 0.0).sum(axis=1)
    return out[:, 0] if np.ndim(t_h) == 0 else out


# Dormand-Prince 5(4) tableau (Hairer, Norsett & Wanner, Solving ODEs I, 1993, Table 5.2)
_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0)
_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
)
_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84)
_E = (  # b5 - b4 (the seventh stage is the FSAL stage at the new point)
    71 / 57600,
    0.0,
    -71 / 16695,
    71 / 1920,
    -17253 / 339200,
    22 / 525,
    -1 / 40,
)
DOSE_MEMORY_H = 24.0 * 28
"""A dose's plasma concentration is counted for 28 days after its start (the slowest phase of
the catalogued PK is below 1e-6 of the peak by then)."""
MAX_STEP_H = 48.0
"""Largest integration step (h)."""
_THETAS = (0.25, 0.5, 0.75, 1.0)
"""Points inside each accepted step at which the nadir is looked for (1.0: the end point)."""


class _Drive:
    """E(t) = sum over drugs of slope * C(t), per patient at per-patient times, summed slot by
    slot in a fixed order (so a patient's value never depends on which patients share a batch)."""

    def __init__(self, drugs) -> None:
        self.parts = []
        for drug, slope, start, dose in drugs:
            a, lam = _exponentials(drug.pk)
            start = np.asarray(start, dtype=float)
            rate = np.asarray(dose, dtype=float) / drug.infusion_hours
            with np.errstate(all="ignore"):
                lo = np.where(np.isnan(start).all(axis=0), np.inf, np.nanmin(start, axis=0))
                hi = np.where(np.isnan(start).all(axis=0), -np.inf, np.nanmax(start, axis=0))
            window = list(zip(lo.tolist(), (hi + DOSE_MEMORY_H).tolist(), strict=True))
            part = (a, lam, drug.infusion_hours, np.asarray(slope, float), start, rate, window)
            self.parts.append(part)

    def breakpoints(self) -> np.ndarray:
        """Every infusion start and end (h) of each patient, (n, 2 x total doses), nan-padded:
        the drive's kinks, which the integrator lands on."""
        return np.concatenate([np.hstack([p[4], p[4] + p[2]]) for p in self.parts], axis=1)

    def __call__(self, t: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """E at times ``t`` of the patients ``rows``."""
        e = np.zeros(t.shape)
        t_lo, t_hi = float(t.min()), float(t.max())
        for a, lam, inf, slope, start, rate, window in self.parts:
            a_over_lam, lam = (a / lam)[None, :], lam[None, :]
            conc = np.zeros(t.shape)
            for j, (lo, hi) in enumerate(window):
                if t_hi <= lo or t_lo >= hi:  # no patient of the batch has this dose live
                    continue
                since = t - start[rows, j]
                live = (since > 0) & (since < DOSE_MEMORY_H)  # nan start: never live
                inside = np.clip(since, 0.0, inf)[:, None]
                after = np.clip(since - inf, 0.0, None)[:, None]
                c = (a_over_lam * -np.expm1(-lam * inside) * np.exp(-lam * after)).sum(axis=1)
                conc = conc + np.where(live, rate[rows, j] * c, 0.0)
            e = e + slope[rows] * conc
        return e


def _integrate(drive, ktr, gam, t_end, out_times=None, rtol=1e-4, atol=1e-7):
    """Per-patient adaptive Dormand-Prince integration of the Friberg chain (states relative to
    baseline). Every patient has its own time and step size and only its own numbers enter its
    arithmetic, so its trajectory does not depend on the other rows (chunking-invariant).
    Returns (values at ``out_times`` (n, k), nadir (n,), nadir time (n,))."""
    n = ktr.size
    y = np.ones((n, 5))
    y[:, 0] = 0.0  # log(Prol/Prol0): smooth even while the drug empties the pool
    t = np.zeros(n)
    h = np.full(n, 0.1)
    out_times = np.empty(0) if out_times is None else np.asarray(out_times, dtype=float)
    out = np.ones((n, out_times.size))
    ext = np.append(out_times, np.inf)
    nxt = np.full(n, int(np.searchsorted(out_times, 0.0, side="right")))
    starts = np.nan_to_num(drive.breakpoints(), nan=np.inf)
    nadir, nadir_t = np.ones(n), np.zeros(n)

    for _ in range(10_000_000):
        rows = np.flatnonzero(t < t_end)
        if rows.size == 0:
            break
        tr, yr, hr, kr, gr = t[rows], y[rows], h[rows], ktr[rows][:, None], gam[rows]

        def rhs(tt, yy, rows=rows, kr=kr, gr=gr):
            log_prol, t1, t2, t3, circ = yy.T
            fb = np.power(1.0 / np.maximum(circ, 1e-12), gr)
            drug = drive(tt, rows)
            prol = np.exp(log_prol)
            return kr * np.stack(
                [(1.0 - drug) * fb - 1.0, prol - t1, t1 - t2, t2 - t3, t3 - circ], axis=1
            )

        upcoming = np.where(starts[rows] > tr[:, None], starts[rows], np.inf).min(axis=1)
        target = np.minimum(np.minimum(ext[nxt[rows]], t_end[rows]), upcoming)
        step = np.minimum(np.minimum(hr, MAX_STEP_H), target - tr)
        k = [rhs(tr, yr)]
        for c, coefficients in zip(_C[1:], _A[1:], strict=True):
            incr = sum(aij * kj for aij, kj in zip(coefficients, k, strict=False))
            k.append(rhs(tr + c * step, yr + step[:, None] * incr))
        y_new = yr + step[:, None] * sum(b * kj for b, kj in zip(_B5, k, strict=False))
        k.append(rhs(tr + step, y_new))
        err_vec = step[:, None] * sum(e * kj for e, kj in zip(_E, k, strict=True))
        scale = atol + rtol * np.maximum(np.abs(yr), np.abs(y_new))
        err = np.sqrt(np.mean((err_vec / scale) ** 2, axis=1))
        ok = err <= 1.0
        landed = ok & (step == target - tr)
        t_old, yr_old = tr, yr
        tr = np.where(ok, np.where(landed, target, tr + step), tr)
        yr = np.where(ok[:, None], y_new, yr)
        # nadir: step end points and a cubic Hermite interpolant inside the step (y, f at both
        # ends; third order, no extra right-hand-side evaluations)
        c0, c1, f0, f1 = yr_old[:, 4], yr[:, 4], k[0][:, 4], k[-1][:, 4]
        for theta in _THETAS:
            h00 = (1 + 2 * theta) * (1 - theta) ** 2
            h10 = theta * (1 - theta) ** 2
            h01 = theta**2 * (3 - 2 * theta)
            h11 = theta**2 * (theta - 1)
            inner = h00 * c0 + h10 * step * f0 + h01 * c1 + h11 * step * f1
            lower = ok & (inner < nadir[rows])
            nadir[rows] = np.where(lower, inner, nadir[rows])
            nadir_t[rows] = np.where(lower, t_old + theta * step, nadir_t[rows])
        hit = landed & (tr == ext[nxt[rows]])
        if hit.any():
            out[rows[hit], nxt[rows[hit]]] = yr[hit, 4]
            nxt[rows[hit]] += 1
        factor = np.clip(0.9 * np.power(np.maximum(err, 1e-10), -0.2), 0.2, 5.0)
        hr = step * factor
        hr = np.where(landed & (tr == upcoming), np.minimum(hr, 0.05), hr)  # at a kink
        t[rows], y[rows], h[rows] = tr, yr, hr
    return out, nadir, nadir_t


def simulate_neutrophils(
    times_h: np.ndarray,
    drugs: list[tuple[DrugMyelosuppression, np.ndarray, np.ndarray, np.ndarray]],
    mtt_h: np.ndarray,
    gamma: np.ndarray,
    anc0_1e9_per_l: np.ndarray,
) -> np.ndarray:
    """ANC (10^9/L) of every patient at ``times_h`` (hours from the first dose, start 0).

    ``drugs``: (parameters, slope_l_per_umol (n,), dose_start_h (n, m), dose_umol (n, m)) per
    drug; ``mtt_h``, ``gamma``, ``anc0_1e9_per_l``: (n,) system parameters. With no drug every
    patient stays at ANC0 (the model's steady state).
    """
    times_h = np.asarray(times_h, dtype=float)
    anc0 = np.asarray(anc0_1e9_per_l, dtype=float)
    if not drugs:
        return np.repeat(anc0[:, None], times_h.size, axis=1)
    ktr = 4.0 / np.asarray(mtt_h, dtype=float)
    gam = np.asarray(gamma, dtype=float)
    end = np.full(anc0.size, float(times_h.max(initial=0.0)))
    out, _, _ = _integrate(_Drive(drugs), ktr, gam, end, times_h)
    out[:, times_h <= 0] = 1.0
    return anc0[:, None] * out


def neutrophil_nadir(
    drugs: list[tuple[DrugMyelosuppression, np.ndarray, np.ndarray, np.ndarray]],
    mtt_h: np.ndarray,
    gamma: np.ndarray,
    anc0_1e9_per_l: np.ndarray,
    end_h: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Lowest ANC (10^9/L) of each patient up to ``end_h`` (n,) and its time (h), read from
    the integration's step points (steps of at most :data:`MAX_STEP_H`)."""
    anc0 = np.asarray(anc0_1e9_per_l, dtype=float)
    _, nadir, when = _integrate(
        _Drive(drugs),
        4.0 / np.asarray(mtt_h, dtype=float),
        np.asarray(gamma, dtype=float),
        np.asarray(end_h, dtype=float),
    )
    return anc0 * nadir, when


def grade_neutrophil_count(anc_1e9_per_l: np.ndarray, lln_1e9_per_l: float = 2.0) -> np.ndarray:
    """CTCAE v5.0 grade (0-4) of "Neutrophil count decreased" for ANC in 10^9/L.

    Grade 1: < LLN - 1.5; grade 2: < 1.5 - 1.0; grade 3: < 1.0 - 0.5; grade 4: < 0.5 x 10^9/L.
    """
    anc = np.asarray(anc_1e9_per_l, dtype=float)
    if np.any(anc < 0):
        raise InputError("neutrophil counts must be >= 0", fix="pass counts in 10^9 cells/L")
    thresholds = np.array([lln_1e9_per_l, *CTCAE_NEUTROPHIL_THRESHOLDS_1E9_PER_L])
    return (anc[..., None] < thresholds).sum(axis=-1).astype(int)


class NeutropeniaResult(BaseModel):
    """Per-patient worst neutropenia of an arm (arrays aligned with the patient table)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    worst_grade: np.ndarray
    nadir_anc_1e9_per_l: np.ndarray
    nadir_day: np.ndarray
    drugs: tuple[str, ...]


def _dose_matrix(doses: pd.DataFrame, patient_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, m) start hours and mg of one drug's doses per patient, padded with nan / 0."""
    n = patient_ids.size
    row = pd.Index(patient_ids).get_indexer(doses["patient_id"].to_numpy())
    keep = row >= 0
    row = row[keep]
    day = doses["day"].to_numpy(dtype=float)[keep]
    mg = doses["amount"].to_numpy(dtype=float)[keep]
    counts = np.bincount(row, minlength=n)
    m = max(int(counts.max()) if counts.size else 0, 1)
    order = np.lexsort((day, row))
    slot = np.arange(row.size) - np.repeat(np.cumsum(counts) - counts, counts)
    start = np.full((n, m), np.nan)
    amount = np.zeros((n, m))
    start[row[order], slot] = 24.0 * day[order]
    amount[row[order], slot] = mg[order]
    return start, amount


def neutropenia_from_dose_log(
    doses: pd.DataFrame,
    patient_ids: np.ndarray,
    normal_draws: np.ndarray | None = None,
    catalog: MyelosuppressionCatalog | None = None,
    horizon_days: float | None = None,
    drug_order: list[str] | None = None,
) -> NeutropeniaResult | None:
    """Worst CTCAE neutropenia grade of each patient from the arm's dose log.

    ``doses``: columns patient_id, drug, day, amount (mg), amount_unit (the trial engine's dose
    log, doses actually given). ``normal_draws``: (n, len(catalog.variability_columns()))
    standard normals from the patient's seeded stream (``None``: typical patients).
    ``drug_order``: the arm's modelled drugs in regimen order (the first sets MTT and gamma;
    default: order of first appearance in ``doses``). Returns ``None`` when no drug is
    modelled (the arm has no myelosuppression).
    """
    catalog = catalog or load_myelosuppression_catalog()
    patient_ids = np.asarray(patient_ids)
    n = patient_ids.size
    given = doses[doses["drug"].isin(list(catalog.drugs))]
    if drug_order is None:
        drug_order = list(dict.fromkeys(given["drug"]))
    order = [d for d in drug_order if d in catalog.drugs]
    if not order or n == 0:
        return None
    if (given["amount_unit"] != "mg").any():
        bad = given.loc[given["amount_unit"] != "mg", ["drug", "amount_unit"]].iloc[0]
        raise InputError(
            f"{bad['drug']} is logged in {bad['amount_unit']}; the neutropenia model needs mg",
            source="dose log",
            fix="dose myelosuppressive chemotherapy in mg, mg/m2 or mg/kg",
        )
    cols = catalog.variability_columns()
    z = np.zeros((n, len(cols))) if normal_draws is None else np.asarray(normal_draws, float)
    if z.shape != (n, len(cols)):
        raise InputError(
            f"normal_draws has shape {z.shape}, expected {(n, len(cols))}",
            fix="draw one standard normal per patient and variability column",
        )
    col = {c: z[:, i] for i, c in enumerate(cols)}
    first = catalog.drugs[order[0]]
    mtt = first.mtt_h * np.exp(np.sqrt(first.omega2_mtt) * col[f"{order[0]}_mtt"])
    gamma = np.full(n, first.gamma)
    base = catalog.baseline
    anc0 = base.anc_1e9_per_l * np.exp(np.sqrt(base.omega2_anc) * col["anc"])
    inputs = []
    last_h = np.zeros(n)
    for key in order:
        drug = catalog.drugs[key]
        start, mg = _dose_matrix(given[given["drug"] == key], patient_ids)
        slope = drug.slope_l_per_umol * np.exp(np.sqrt(drug.omega2_slope) * col[f"{key}_slope"])
        inputs.append((drug, slope, start, mg * 1000.0 / drug.molecular_weight_g_per_mol))
        last_h = np.fmax(last_h, np.nanmax(np.fmax(start, 0.0), axis=1, initial=0.0))
    end_h = last_h + 24.0 * RECOVERY_WINDOW_DAYS
    if horizon_days is not None:
        end_h = np.minimum(end_h, 24.0 * horizon_days)
    nadir, when = neutrophil_nadir(inputs, mtt, gamma, anc0, end_h)
    worst = grade_neutrophil_count(nadir, base.lln_1e9_per_l)
    emergent = np.where(worst > grade_neutrophil_count(anc0, base.lln_1e9_per_l), worst, 0)
    return NeutropeniaResult(
        worst_grade=emergent,
        nadir_anc_1e9_per_l=nadir,
        nadir_day=when / 24.0,
        drugs=tuple(order),
    )


def _solve_pemetrexed_slope(target_nadir: float = 2.74, bsa_m2: float = 1.8) -> float:
    """The pemetrexed slope that gives the typical patient ``target_nadir`` after 500 mg/m2
    (Latz 2006's model-predicted typical nadir; see the data file)."""
    from scipy.optimize import brentq

    catalog = load_myelosuppression_catalog()
    drug = catalog.drugs["pemetrexed"]
    start = np.array([[0.0]])
    umol = np.array([[500.0 * bsa_m2 * 1000.0 / drug.molecular_weight_g_per_mol]])
    times = np.arange(0.0, 24.0 * 30, 2.0)
    anc0 = np.array([catalog.baseline.anc_1e9_per_l])

    def nadir(slope: float) -> float:
        anc = simulate_neutrophils(
            times, [(drug, np.array([slope]), start, umol)], [drug.mtt_h], [drug.gamma], anc0
        )
        return float(anc.min()) - target_nadir

    return brentq(nadir, 1e-3, 10.0, xtol=1e-5)


def single_dose_summary(
    regimens: tuple[tuple[str, float], ...] = (
        ("docetaxel", 75.0),
        ("docetaxel", 100.0),
        ("paclitaxel", 175.0),
        ("paclitaxel", 200.0),
        ("pemetrexed", 500.0),
    ),
    n_patients: int = 1000,
    bsa_m2: float = 1.8,
    seed: int = 2002,
) -> pd.DataFrame:
    """One cycle of single-agent chemotherapy (mg/m2, BSA ``bsa_m2``): the typical patient's
    nadir, nadir day and day-21 ANC, and the share of ``n_patients`` virtual patients (IIV from
    ``seed``) with grade >= 3 and grade 4 neutropenia. Used for docs/endpoints.md."""
    catalog = load_myelosuppression_catalog()
    cols = catalog.variability_columns()
    draws = np.random.default_rng(seed).standard_normal((n_patients, len(cols)))
    rows = []
    for key, dose in regimens:
        drug = catalog.drugs[key]
        umol = np.array([[dose * bsa_m2 * 1000.0 / drug.molecular_weight_g_per_mol]])
        typical = (drug, np.array([drug.slope_l_per_umol]), np.array([[0.0]]), umol)
        anc0 = np.array([catalog.baseline.anc_1e9_per_l])
        nadir, when = neutrophil_nadir([typical], [drug.mtt_h], [drug.gamma], anc0, [24.0 * 42])
        day21 = simulate_neutrophils(
            np.array([24.0 * 21]), [typical], [drug.mtt_h], [drug.gamma], anc0
        )[0, 0]
        log = pd.DataFrame(
            {
                "patient_id": np.arange(n_patients),
                "drug": key,
                "day": 0.0,
                "amount": dose * bsa_m2,
                "amount_unit": "mg",
            }
        )
        grades = neutropenia_from_dose_log(log, np.arange(n_patients), draws, catalog).worst_grade
        rows.append(
            {
                "drug": key,
                "dose_mg_per_m2": dose,
                "typical_nadir_1e9_per_l": round(float(nadir[0]), 2),
                "typical_nadir_day": round(float(when[0]) / 24.0, 1),
                "typical_anc_day21_1e9_per_l": round(float(day21), 2),
                "grade3plus_share": round(float(np.mean(grades >= 3)), 3),
                "grade4_share": round(float(np.mean(grades >= 4)), 3),
            }
        )
    return pd.DataFrame(rows)


if __name__ == "__main__":  # pragma: no cover - prints the numbers quoted in docs/endpoints.md
    print(f"pemetrexed slope solved to Latz 2006's nadir: {_solve_pemetrexed_slope():.4f} L/umol")
    print(single_dose_summary().to_string(index=False))
