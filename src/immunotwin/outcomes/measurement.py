"""From simulated tumour volume to what a radiologist records, and the new-lesion process.

The model carries one lumped tumour volume per patient. RECIST 1.1 reads a sum of longest
diameters (SLD) of up to five target lesions; with all target lesions scaling together,
SLD(t) = SLD0 * (vol(t)/vol0)^(1/3) (model brief §4.1; QSP-IO does the same on one sphere).
Lymphoma (Lugano) reads the sum of products of perpendicular diameters (SPD), which scales as
(vol/vol0)^(2/3).

Measurement adds reader noise (proportional plus additive) and applies RECIST 1.1's rules for
small lesions (Eisenhauer et al. 2009, Eur J Cancer 45:228, doi:10.1016/j.ejca.2008.10.026,
§3.3 and Appendix I: a lesion believed present but too small to measure is recorded as 5 mm;
one that has disappeared as 0 mm).

New lesions are not produced by a single-compartment model; the brief (§4.1) adds a
burden-dependent hazard h_new(t) = lambda_new * (burden(t)/burden0)^kappa, integrated here
between the time points the engine supplies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from immunotwin.errors import InputError

__all__ = [
    "MeasurementNoise",
    "measure_sld_mm",
    "new_lesion_days",
    "true_sld_mm",
    "true_spd_mm2",
]


def _as_ratio(volume_ratio: np.ndarray) -> np.ndarray:
    ratio = np.asarray(volume_ratio, dtype=float)
    bad = ~np.isnan(ratio) & ((ratio < 0) | ~np.isfinite(ratio))
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"tumour volume ratio must be finite and >= 0, got {ratio[idx]!r}",
            source="volume_ratio",
            location=f"index {idx}",
            fix="pass vol(t)/vol(0) from the simulation (0 = eradicated, NaN = not assessed)",
        )
    return ratio


def _as_baseline(size0: np.ndarray | float, name: str) -> np.ndarray:
    size0 = np.asarray(size0, dtype=float)
    if np.any(~np.isfinite(size0) | (size0 <= 0)):
        raise InputError(
            f"baseline {name} must be finite and > 0",
            source=name,
            fix="pass the per-patient baseline size (mm for SLD, mm^2 for SPD)",
        )
    return size0


def true_sld_mm(volume_ratio: np.ndarray, sld0_mm: np.ndarray | float) -> np.ndarray:
    """True sum of longest diameters (mm) from the volume ratio vol(t)/vol0.

    Parameters
    ----------
    volume_ratio : (n_patients, n_visits) vol(t)/vol(0); 0 = eradicated, NaN = not assessed.
    sld0_mm : (n_patients,) or scalar baseline SLD (mm).

    Returns
    -------
    (n_patients, n_visits) SLD in mm; SLD = SLD0 * ratio^(1/3) (model brief §4.1).
    """
    ratio = _as_ratio(volume_ratio)
    sld0 = _as_baseline(sld0_mm, "sld0_mm")
    if ratio.ndim == 2 and sld0.ndim == 1:
        sld0 = sld0[:, None]
    return sld0 * np.cbrt(ratio)


def true_spd_mm2(volume_ratio: np.ndarray, spd0_mm2: np.ndarray | float) -> np.ndarray:
    """True sum of products of diameters (mm^2, Lugano) from vol(t)/vol0.

    SPD = SPD0 * ratio^(2/3): a product of two diameters scales with volume to the 2/3
    (all lesions assumed to scale together, as for SLD).
    """
    ratio = _as_ratio(volume_ratio)
    spd0 = _as_baseline(spd0_mm2, "spd0_mm2")
    if ratio.ndim == 2 and spd0.ndim == 1:
        spd0 = spd0[:, None]
    return spd0 * np.cbrt(ratio) ** 2


@dataclass(frozen=True)
class MeasurementNoise:
    """Reader-noise and small-lesion rules for a measured sum of diameters.

    Parameters
    ----------
    cv : proportional noise, coefficient of variation on the sum (model brief §4.1: 10-15 %;
        assumption [L], inter-reader variability studies report similar ranges).
    sd_mm : additive noise standard deviation (mm; brief §4.1: 1-2 mm) [L].
    too_small_mm : value recorded when the lesion is present but measures below this
        (RECIST 1.1 Appendix I default 5 mm). Applied to the lumped sum: a simplification,
        since RECIST applies it per lesion.
    detection_limit_mm : a true sum below this is read as disappeared (0 mm). Assumption:
        2 mm, the summed-diameter cut QSP-mets uses for CR; eradicated tumours (ratio 0) are
        always 0 mm.
    """

    cv: float = 0.10
    sd_mm: float = 1.5
    too_small_mm: float = 5.0
    detection_limit_mm: float = 2.0

    def __post_init__(self) -> None:
        for name in ("cv", "sd_mm", "too_small_mm", "detection_limit_mm"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InputError(
                    f"{name} must be finite and >= 0, got {value!r}",
                    source="MeasurementNoise",
                    location=name,
                    fix="use the defaults (cv=0.10, sd_mm=1.5, too_small_mm=5, "
                    "detection_limit_mm=2) or other non-negative values",
                )


def measure_sld_mm(
    true_size: np.ndarray,
    rng: np.random.Generator,
    noise: MeasurementNoise = MeasurementNoise(),
) -> np.ndarray:
    """Measured size from the true size: reader noise plus RECIST small-lesion rules.

    measured = true * (1 + cv * z1) + sd_mm * z2 with z1, z2 ~ N(0, 1) independent; then
    a true size of 0 or below ``detection_limit_mm`` is recorded as 0 (disappeared), and a
    present lesion whose measured value is below ``too_small_mm`` is recorded as
    ``too_small_mm`` (RECIST 1.1 Appendix I; Eisenhauer 2009). NaN (not assessed) stays NaN.

    Works on any shape (baseline vector or patients x visits). Units follow the input (mm for
    SLD; for SPD pass a noise config in mm^2).
    """
    size = np.asarray(true_size, dtype=float)
    z1 = rng.standard_normal(size.shape)
    z2 = rng.standard_normal(size.shape)
    measured = size * (1.0 + noise.cv * z1) + noise.sd_mm * z2
    gone = size < noise.detection_limit_mm
    gone |= size <= 0
    measured = np.where(measured < noise.too_small_mm, noise.too_small_mm, measured)
    measured = np.where(gone, 0.0, measured)
    return np.where(np.isnan(size), np.nan, measured)


def new_lesion_days(
    days: np.ndarray,
    burden_ratio: np.ndarray,
    lambda_new_per_day: np.ndarray | float,
    kappa: np.ndarray | float,
    rng: np.random.Generator,
    *,
    max_lesions: int = 1,
) -> np.ndarray:
    """Days at which new lesions appear under a burden-dependent hazard.

    h_new(t) = lambda_new * (burden(t)/burden0)^kappa (model brief §4.1). The cumulative
    hazard is integrated with the trapezoidal rule on the given time grid (exact for
    piecewise-linear hazard); event k occurs when it crosses the k-th arrival of a unit-rate
    Poisson process (sum of k Exp(1) draws), with linear interpolation inside the interval.

    Parameters
    ----------
    days : (n_times,) increasing days, normally starting at 0 (treatment start).
    burden_ratio : (n_patients, n_times) burden(t)/burden(0) (>= 0).
    lambda_new_per_day : hazard at baseline burden (1/day), scalar or (n_patients,).
    kappa : burden exponent (-), scalar or (n_patients,).
    rng : random generator (one stream per trial arm or per patient block).
    max_lesions : how many successive new-lesion days to return.

    Returns
    -------
    (n_patients,) days of the first new lesion if ``max_lesions == 1``, else
    (n_patients, max_lesions); ``inf`` where no lesion appears within ``days``.
    """
    t = np.asarray(days, dtype=float)
    ratio = _as_ratio(burden_ratio)
    if ratio.ndim != 2 or ratio.shape[1] != t.size:
        raise InputError(
            f"burden_ratio must be (n_patients, {t.size}), got shape {ratio.shape}",
            source="new_lesion_days",
            location="burden_ratio",
            fix="pass one row per patient evaluated at the given days",
        )
    if t.size < 2 or np.any(np.diff(t) <= 0):
        raise InputError(
            "days must be at least two strictly increasing time points",
            source="new_lesion_days",
            location="days",
            fix="pass the simulation output grid, e.g. numpy.arange(0, follow_up + 1, 7)",
        )
    if max_lesions < 1:
        raise InputError(
            "max_lesions must be >= 1",
            source="new_lesion_days",
            location="max_lesions",
            fix="pass 1 or more",
        )
    lam = np.asarray(lambda_new_per_day, dtype=float)
    kap = np.asarray(kappa, dtype=float)
    if np.any(lam < 0):
        raise InputError(
            "lambda_new_per_day must be >= 0",
            source="new_lesion_days",
            location="lambda_new_per_day",
            fix="pass a non-negative hazard (1/day)",
        )
    lam = lam[:, None] if lam.ndim == 1 else lam
    kap = kap[:, None] if kap.ndim == 1 else kap
    safe = np.nan_to_num(ratio, nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = lam * safe**kap
    # An eradicated (or unassessed) tumour seeds no new lesions, whatever kappa is.
    hazard = np.where(safe > 0, hazard, 0.0)
    increments = 0.5 * (hazard[:, 1:] + hazard[:, :-1]) * np.diff(t)
    cumulative = np.concatenate(
        [np.zeros((ratio.shape[0], 1)), np.cumsum(increments, axis=1)], axis=1
    )
    targets = np.cumsum(rng.exponential(1.0, size=(ratio.shape[0], max_lesions)), axis=1)
    out = np.full(targets.shape, np.inf)
    rows = np.arange(ratio.shape[0])
    for k in range(max_lesions):
        j = np.sum(cumulative < targets[:, k, None], axis=1)
        hit = j < t.size
        jj = j[hit]
        lo = cumulative[rows[hit], jj - 1]
        hi = cumulative[rows[hit], jj]
        frac = (targets[hit, k] - lo) / (hi - lo)
        out[hit, k] = t[jj - 1] + frac * (t[jj] - t[jj - 1])
    return out[:, 0] if max_lesions == 1 else out
