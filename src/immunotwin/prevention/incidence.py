"""Cases of HPV-driven lesions with and without vaccination in a cohort (pure functions).

Per outcome, the unvaccinated hazard h(a) (cases per person-year, piecewise constant over age
bands) is reduced in the vaccinated cohort by the prevented fraction

    PF(t) = coverage x naive_fraction x sum_types share_type x efficacy_type x exp(-w t),

t years after vaccination (each case counted under one causal type; w = waning). Cumulative
cases per 100,000 over the horizon are 1e5 (1 - exp(-integral h (1 - PF) dt)); cases prevented
are the difference with PF = 0. Competing mortality and herd protection are not modelled (both
are conservative for a one-cohort estimate). Sources: FUTURE II Study Group, N Engl J Med
2007;356:1915 (efficacy against HPV16/18 CIN2+ in HPV16/18-naive women); the incidence and type
shares are inputs of the spec, each with its own source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from immunotwin.prevention.spec import Outcome, PreventionSpec

PER_100K = 100_000.0
STEP_YEARS = 0.05


def prevented_fraction(
    shares: dict[str, float], efficacy: dict[str, float], coverage: float, naive_fraction: float
) -> float:
    """Fraction of the outcome's cases prevented at full (unwaned) protection, 0-1."""
    covered = sum(share * efficacy.get(t, 0.0) for t, share in shares.items())
    return float(coverage * naive_fraction * covered)


def hazard_per_year(outcome: Outcome, ages: np.ndarray) -> np.ndarray:
    """Unvaccinated hazard (per person-year) at ``ages``; 0 outside every band."""
    h = np.zeros_like(np.asarray(ages, dtype=float))
    for band in outcome.incidence:
        inside = (ages >= band.age_from) & (ages < band.age_to)
        h = np.where(inside, band.per_100k_per_year / PER_100K, h)
    return h


def cases_per_100k(
    hazard: np.ndarray, prevented: np.ndarray, step_years: float
) -> tuple[float, float]:
    """Cumulative cases per 100,000 over a grid of ``hazard`` values (per year, one per step)
    without and with the prevented fraction ``prevented`` (same grid)."""
    h = np.asarray(hazard, dtype=float)
    pf = np.clip(np.asarray(prevented, dtype=float), 0.0, 1.0)
    unvaccinated = PER_100K * (1.0 - np.exp(-np.sum(h) * step_years))
    vaccinated = PER_100K * (1.0 - np.exp(-np.sum(h * (1.0 - pf)) * step_years))
    return float(unvaccinated), float(vaccinated)


def run_prevention(spec: PreventionSpec) -> pd.DataFrame:
    """One row per outcome: cases per 100,000 without and with the programme, cases prevented
    per 100,000 and the prevented fraction, over the spec's horizon."""
    steps = max(1, int(round(spec.horizon_years / STEP_YEARS)))
    step = spec.horizon_years / steps
    t = (np.arange(steps) + 0.5) * step
    ages = spec.age_at_vaccination_years + t
    efficacy = {name: e.efficacy for name, e in spec.types.items()}
    rows = []
    for outcome in spec.outcomes:
        pf0 = prevented_fraction(
            outcome.type_attribution, efficacy, spec.coverage, spec.naive_fraction
        )
        pf = pf0 * np.exp(-spec.efficacy_waning_per_year * t)
        unvaccinated, vaccinated = cases_per_100k(hazard_per_year(outcome, ages), pf, step)
        rows.append(
            {
                "outcome": outcome.name,
                "horizon_years": spec.horizon_years,
                "coverage": spec.coverage,
                "cases_unvaccinated_per_100k": unvaccinated,
                "cases_with_programme_per_100k": vaccinated,
                "cases_prevented_per_100k": unvaccinated - vaccinated,
                "prevented_fraction_full_protection": pf0,
                "incidence_source": outcome.incidence_source,
                "attribution_source": outcome.attribution_source,
            }
        )
    return pd.DataFrame(rows)
