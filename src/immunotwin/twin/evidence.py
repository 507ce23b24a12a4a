"""Evidence that updates the twin: dated tumour measurements and the response model.

Measurements (sum of diameters, mm) are Gaussian around the member's true simulated size with
the trial engine's reader-noise model (:class:`immunotwin.outcomes.MeasurementNoise`):
y_k ~ N(s_k, (cv s_k)^2 + sd^2), cv = 0.10, sd = 1.5 mm, independent across visits. The first
measurement fixes the baseline size, so visits 2.. carry the information.

The update is a sequential Monte Carlo sampler with likelihood tempering (Del Moral, Doucet &
Jasra, JRSS-B 2006;68:411; adaptive temperatures as in Jasra et al. 2011): temperatures rise
from 0 to 1 with steps chosen so the effective sample size stays at half the ensemble; after
each step the members are resampled (systematic) and moved by preconditioned Crank-Nicolson
Metropolis-Hastings steps in the latent space (Cotter et al., Stat Sci 2013;28:424), which leave
the N(0, I) prior invariant, so the acceptance ratio is the tempered likelihood ratio.

The response model enters as a weight on each member's simulated response (:func:`
response_model_weights`), applied to the forecast (not to the measurement update).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from immunotwin.outcomes import MeasurementNoise
from immunotwin.twin.ensemble import Ensemble

log = logging.getLogger(__name__)

TARGET_ESS_FRACTION = 0.5
MAX_STAGES = 12
MOVES_PER_STAGE = 2
PCN_STEP_START = 0.5


def measurement_loglik(
    predicted_mm: np.ndarray, observed_mm: np.ndarray, noise: MeasurementNoise | None = None
) -> np.ndarray:
    """Log-likelihood per member of the observed sums (visits 2..) given true sizes.

    ``predicted_mm`` (n, m) true sizes, ``observed_mm`` (m,). NaN predictions give -inf.
    """
    noise = noise or MeasurementNoise()
    pred = predicted_mm[:, 1:]
    obs = np.asarray(observed_mm, dtype=float)[1:]
    var = (noise.cv * pred) ** 2 + noise.sd_mm**2
    ll = -0.5 * (np.log(2 * np.pi * var) + (obs - pred) ** 2 / var)
    total = ll.sum(axis=1)
    return np.where(np.isfinite(total), total, -np.inf)


def ess(log_weights: np.ndarray) -> float:
    """Kish effective sample size of (unnormalised) log-weights."""
    w = np.exp(log_weights - np.max(log_weights))
    return float(w.sum() ** 2 / np.sum(w**2))


def systematic_resample(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices of a systematic resample of normalised ``weights`` (Kitagawa 1996)."""
    n = weights.size
    positions = (rng.random() + np.arange(n)) / n
    cumulative = np.cumsum(weights)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, positions)


def _next_temperature(ll: np.ndarray, phi: float, target: float) -> float:
    finite = np.isfinite(ll)
    if not finite.any():
        return 1.0
    if ess(np.where(finite, (1.0 - phi) * ll, -np.inf)) >= target:
        return 1.0
    lo, hi = phi, 1.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if ess(np.where(finite, (mid - phi) * ll, -np.inf)) >= target:
            lo = mid
        else:
            hi = mid
    return max(lo, phi + 1e-6)


@dataclass(frozen=True)
class UpdateReport:
    """Diagnostics of the measurement update."""

    temperatures: tuple[float, ...]
    acceptance: tuple[float, ...]
    log_evidence: float
    final_ess: float
    unique_members: int

    def as_dict(self) -> dict:
        return {
            "method": "SMC, likelihood tempering + pCN Metropolis moves",
            "temperatures": [round(t, 4) for t in self.temperatures],
            "acceptance": [round(a, 3) for a in self.acceptance],
            "log_evidence": self.log_evidence,
            "final_ess": self.final_ess,
            "unique_members": self.unique_members,
        }


def smc_update(
    ensemble: Ensemble,
    loglik: Callable[[Ensemble], np.ndarray],
    rng: np.random.Generator,
    *,
    moves_per_stage: int = MOVES_PER_STAGE,
    max_stages: int = MAX_STAGES,
) -> tuple[Ensemble, UpdateReport]:
    """Posterior ensemble (equal weights) given ``loglik`` (members -> log-likelihoods)."""
    n = ensemble.size
    ll = loglik(ensemble)
    if not np.isfinite(ll).any():
        raise ValueError("no ensemble member reproduces the measurements (all likelihoods 0)")
    phi, step, log_z = 0.0, PCN_STEP_START, 0.0
    temps, accepts = [], []
    for _ in range(max_stages):
        new_phi = _next_temperature(ll, phi, TARGET_ESS_FRACTION * n)
        if len(temps) == max_stages - 1:
            new_phi = 1.0
        lw = np.where(np.isfinite(ll), (new_phi - phi) * ll, -np.inf)
        top = lw.max()
        log_z += top + np.log(np.mean(np.exp(lw - top)))
        w = np.exp(lw - top)
        index = systematic_resample(w / w.sum(), rng)
        ensemble, ll, phi = ensemble.take(index), ll[index], new_phi
        temps.append(phi)
        for _ in range(moves_per_stage):
            z = ensemble.z
            proposal = np.sqrt(1 - step**2) * z + step * rng.standard_normal(z.shape)
            candidate = ensemble.with_z(proposal)
            ll_new = loglik(candidate)
            log_ratio = phi * (ll_new - ll)
            accept = np.log(rng.random(n)) < np.where(np.isfinite(ll_new), log_ratio, -np.inf)
            z = np.where(accept[:, None], proposal, z)
            ll = np.where(accept, ll_new, ll)
            ensemble = ensemble.with_z(z)
            rate = float(accept.mean())
            accepts.append(rate)
            step = float(
                np.clip(step * (1.5 if rate > 0.4 else 0.6 if rate < 0.15 else 1.0), 0.02, 0.95)
            )
        if phi >= 1.0:
            break
    unique = len(np.unique(ensemble.z.round(12), axis=0))
    report = UpdateReport(tuple(temps), tuple(accepts), float(log_z), float(n), unique)
    log.info("measurement update: %d stages, %d unique members", len(temps), unique)
    return ensemble, report


def response_model_weights(
    responder: np.ndarray, p_model: float, base_rate: float
) -> tuple[np.ndarray, dict]:
    """Member weights that add the response model's probability as independent evidence.

    The response model's output is read as a likelihood ratio for the member's response to
    checkpoint blockade: odds_post = odds_twin x (p / (1 - p)) / (pi / (1 - pi)), where pi is the
    response rate of the model's training cohort (the model's prior); this is the product of
    independent experts' odds with the shared base rate counted once. Per member:
    w = p / pi if the member responds (CR/PR) on the reference regimen, else (1 - p) / (1 - pi).
    Returns normalised weights and a summary (twin, model and combined probabilities).
    """
    r = np.asarray(responder, dtype=bool)
    p = float(np.clip(p_model, 1e-4, 1 - 1e-4))
    pi = float(np.clip(base_rate, 1e-4, 1 - 1e-4))
    w = np.where(r, p / pi, (1 - p) / (1 - pi))
    w = w / w.sum()
    info = {
        "response_model_probability": p,
        "training_response_rate": pi,
        "twin_probability_without": float(r.mean()),
        "twin_probability_with": float(np.sum(w * r)),
        "ess": float(1.0 / np.sum(w**2)),
    }
    return w, info
