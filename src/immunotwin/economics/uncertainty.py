"""Uncertainty: probabilistic sensitivity analysis (PSA), acceptability curves, tornado.

PSA (Briggs A, Claxton K, Sculpher M, *Decision Modelling for Health Economic Evaluation*, OUP
2006, ch. 4): each draw (1) bootstraps the virtual patients within every arm, which carries the
virtual-trial sampling error, and (2) draws every sourced unit cost from a gamma distribution
and every utility/disutility from a beta distribution, both with the base value as mean and
``PsaSettings.*_se_fraction`` x mean as standard error (method of moments). The
partitioned-survival model is re-evaluated per draw. Seeded with ``numpy.random.default_rng``.

One-way sensitivity (tornado): each parameter in turn at ``(1 -/+ tornado_fraction)`` x base
(utilities clipped to [0, 1]) and both discount rates at ``tornado_discount_rates``; the output
is the incremental NMB (and ICER) of every arm versus the reference, sorted by the NMB swing.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from immunotwin.economics._warnings import CurveCrossingWarning, ExtrapolationWarning
from immunotwin.economics.costs import ResourceUse
from immunotwin.economics.decision import finite_or_none, icer, net_monetary_benefit
from immunotwin.economics.models import (
    ArmOutcomes,
    ArmQuantities,
    UnitValues,
    evaluate,
    partitioned_survival,
    unit_values,
)
from immunotwin.economics.settings import EconomicsSettings

ArmInputs = Mapping[str, tuple[ArmOutcomes, NDArray[np.int64]]]


def gamma_multipliers(
    rng: np.random.Generator, se_fraction: float, size: int | tuple[int, ...]
) -> NDArray[np.float64]:
    """Gamma draws with mean 1 and standard deviation ``se_fraction`` (1 when it is 0)."""
    if se_fraction <= 0:
        return np.ones(size)
    shape = 1.0 / se_fraction**2
    return rng.gamma(shape, se_fraction**2, size)


def beta_draws(
    rng: np.random.Generator, mean: NDArray[np.float64] | float, se_fraction: float
) -> NDArray[np.float64]:
    """Beta draws with the given mean(s) in (0, 1) and SD = ``se_fraction`` x mean.

    The SD is capped just below ``sqrt(mean (1 - mean))`` (the beta maximum); means of exactly
    0 or 1, or a zero SE, are returned unchanged.
    """
    m = np.atleast_1d(np.asarray(mean, float))
    out = m.copy()
    ok = (m > 0) & (m < 1) & (se_fraction > 0)
    if np.any(ok):
        mm = m[ok]
        var = np.minimum((se_fraction * mm) ** 2, 0.99 * mm * (1 - mm))
        common = mm * (1 - mm) / var - 1.0
        out[ok] = rng.beta(mm * common, (1 - mm) * common)
    return out


def _draw_values(rng: np.random.Generator, base: UnitValues, s: EconomicsSettings) -> UnitValues:
    cse, use_ = s.psa.cost_se_fraction, s.psa.utility_se_fraction
    g = lambda: float(gamma_multipliers(rng, cse, 1)[0])  # noqa: E731
    prices = (
        base.drug_prices * gamma_multipliers(rng, cse, base.drug_prices.size)
        if s.psa.vary_drug_prices
        else base.drug_prices
    )
    return UnitValues(
        drug_prices=prices,
        administration=base.administration * g(),
        monitoring_pf_per_week=base.monitoring_pf_per_week * g(),
        monitoring_pd_per_week=base.monitoring_pd_per_week * g(),
        subsequent_therapy_per_progression=base.subsequent_therapy_per_progression * g(),
        end_of_life=base.end_of_life * g(),
        ae_costs=base.ae_costs * gamma_multipliers(rng, cse, base.ae_costs.size),
        utility_pf_stable=float(beta_draws(rng, base.utility_pf_stable, use_)[0]),
        utility_pf_response=float(beta_draws(rng, base.utility_pf_response, use_)[0]),
        utility_pd=float(beta_draws(rng, base.utility_pd, use_)[0]),
        ae_disutilities=beta_draws(rng, base.ae_disutilities, use_),
    )


@dataclass(frozen=True)
class PsaResult:
    """PSA draws: ``costs[arm]`` and ``qalys[arm]`` arrays of length ``n_draws``."""

    arms: tuple[str, ...]
    costs: dict[str, NDArray[np.float64]]
    qalys: dict[str, NDArray[np.float64]]
    n_crossing_draws: int
    n_flat_tail_draws: int


def probabilistic_sensitivity(
    arms: ArmInputs, use: ResourceUse, settings: EconomicsSettings
) -> PsaResult:
    """Run the PSA described in the module docstring (partitioned-survival model per draw).

    The same seed gives the same draws. Warnings about curve crossing or flat tails inside
    draws are counted, not repeated.
    """
    n = settings.psa.n_draws
    names = tuple(arms)
    rng = np.random.default_rng(settings.psa.seed)
    base = {a: unit_values(settings, use, a) for a in names}
    # each draw is a set of cost multipliers (mean 1) and utilities shared by all arms, so a
    # parameter that differs by arm (monitoring, subsequent therapy) moves proportionally
    ref_values = base[names[0]]
    costs = {a: np.empty(n) for a in names}
    qalys = {a: np.empty(n) for a in names}
    crossing = flat = 0
    for d in range(n):
        drawn = _draw_values(rng, _with_unit_means(ref_values), settings)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for a in names:
                out, rows = arms[a]
                if settings.psa.bootstrap_patients:
                    pick = rng.integers(0, rows.size, rows.size)
                    out_d, rows_d = out.take(pick), rows[pick]
                else:
                    out_d, rows_d = out, rows
                q = partitioned_survival(out_d, use, rows_d, settings, label=a)
                v = _scale_draw(base[a], drawn)
                res = evaluate(q, v)
                costs[a][d] = res["total_cost"]
                qalys[a][d] = res["qalys"]
        crossing += any(issubclass(w.category, CurveCrossingWarning) for w in caught)
        flat += any(issubclass(w.category, ExtrapolationWarning) for w in caught)
    return PsaResult(names, costs, qalys, crossing, flat)


def _with_unit_means(v: UnitValues) -> UnitValues:
    """Unit values whose scalar costs are 1 (so a draw is a multiplier) and utilities kept."""
    return replace(
        v,
        drug_prices=np.ones_like(v.drug_prices),
        administration=1.0,
        monitoring_pf_per_week=1.0,
        monitoring_pd_per_week=1.0,
        subsequent_therapy_per_progression=1.0,
        end_of_life=1.0,
        ae_costs=np.ones_like(v.ae_costs),
    )


def _scale_draw(base: UnitValues, drawn: UnitValues) -> UnitValues:
    """An arm's base values times the drawn cost multipliers, with the drawn utilities."""
    return replace(
        drawn,
        drug_prices=base.drug_prices * drawn.drug_prices,
        administration=base.administration * drawn.administration,
        monitoring_pf_per_week=base.monitoring_pf_per_week * drawn.monitoring_pf_per_week,
        monitoring_pd_per_week=base.monitoring_pd_per_week * drawn.monitoring_pd_per_week,
        subsequent_therapy_per_progression=base.subsequent_therapy_per_progression
        * drawn.subsequent_therapy_per_progression,
        end_of_life=base.end_of_life * drawn.end_of_life,
        ae_costs=base.ae_costs * drawn.ae_costs,
    )


def acceptability_curve(psa: PsaResult, wtp_grid: NDArray[np.float64]) -> dict[str, list[float]]:
    """Probability that each arm has the highest NMB at each willingness-to-pay (multi-arm CEAC).

    Fenwick E et al., Health Econ 2001;10:779. Probabilities sum to 1 at every WTP.
    """
    costs = np.stack([psa.costs[a] for a in psa.arms])  # arms x draws
    qalys = np.stack([psa.qalys[a] for a in psa.arms])
    result: dict[str, list[float]] = {a: [] for a in psa.arms}
    for wtp in wtp_grid:
        best = np.argmax(net_monetary_benefit(costs, qalys, wtp), axis=0)
        counts = np.bincount(best, minlength=len(psa.arms)) / max(best.size, 1)
        for i, a in enumerate(psa.arms):
            result[a].append(float(counts[i]))
    return result


def psa_summary(psa: PsaResult, reference: str, settings: EconomicsSettings) -> dict[str, object]:
    """CE-plane points versus ``reference``, CEAC, and summary statistics (JSON-ready)."""
    top = settings.psa.ceac_max_wtp_per_qaly or 2 * settings.wtp_per_qaly or 100_000.0
    grid = np.linspace(0.0, top, settings.psa.ceac_points)
    ceac = acceptability_curve(psa, grid)
    comparisons = []
    for a in psa.arms:
        if a == reference:
            continue
        dc = psa.costs[a] - psa.costs[reference]
        dq = psa.qalys[a] - psa.qalys[reference]
        inmb = settings.wtp_per_qaly * dq - dc
        mean_ratio = icer(float(dc.mean()), float(dq.mean()))
        comparisons.append(
            {
                "arm": a,
                "versus": reference,
                "delta_cost": [float(x) for x in dc],
                "delta_qaly": [float(x) for x in dq],
                "mean_delta_cost": float(dc.mean()),
                "mean_delta_qaly": float(dq.mean()),
                "delta_cost_ci95": [float(x) for x in np.percentile(dc, [2.5, 97.5])],
                "delta_qaly_ci95": [float(x) for x in np.percentile(dq, [2.5, 97.5])],
                "icer_of_means": finite_or_none(mean_ratio["icer"]),  # type: ignore[arg-type]
                "icer_of_means_status": mean_ratio["status"],
                "probability_cost_effective_vs_reference": float(np.mean(inmb > 0)),
            }
        )
    at_wtp = acceptability_curve(psa, np.array([settings.wtp_per_qaly]))
    return {
        "n_draws": int(settings.psa.n_draws),
        "seed": int(settings.psa.seed),
        "reference": reference,
        "comparisons": comparisons,
        "ceac": {"wtp_per_qaly": [float(x) for x in grid], "probability_optimal": ceac},
        "probability_optimal_at_wtp": {a: p[0] for a, p in at_wtp.items()},
        "n_draws_with_crossing_curves": psa.n_crossing_draws,
        "n_draws_with_flat_tail": psa.n_flat_tail_draws,
    }


def _parameter_variants(
    settings: EconomicsSettings, use: ResourceUse
) -> list[tuple[str, float, Callable[[float], EconomicsSettings], float, float]]:
    """(name, base value, setter, low, high) for every parameter the tornado varies."""
    f = settings.tornado_fraction
    s = settings
    out: list[tuple[str, float, Callable[[float], EconomicsSettings], float, float]] = []

    def cost(name: str, base: float | None, setter: Callable[[float], EconomicsSettings]) -> None:
        if base is not None and base > 0:
            out.append((name, base, setter, base * (1 - f), base * (1 + f)))

    def util(name: str, base: float, setter: Callable[[float], EconomicsSettings]) -> None:
        out.append((name, base, setter, max(base * (1 - f), 0.0), min(base * (1 + f), 1.0)))

    for drug in use.drugs:
        price = s.drug_prices[drug]
        cost(
            f"price {drug} ({price.price_unit})",
            price.price_usd,
            lambda x, d=drug: s.with_updates(
                drug_prices={
                    **s.model_dump()["drug_prices"],
                    d: {**s.drug_prices[d].model_dump(), "price_usd": x},
                }
            ),
        )
    cost(
        "administration cost per infusion",
        s.administration_cost_per_infusion_usd,
        lambda x: s.with_updates(administration_cost_per_infusion_usd=x),
    )
    base_pf = s.monitoring_cost_per_week_pf_usd
    if base_pf:
        cost(
            "monitoring cost per week, progression-free",
            base_pf,
            lambda x: s.with_updates(
                monitoring_cost_per_week_pf_usd=x,
                monitoring_cost_per_week_pf_by_arm={
                    a: v * x / base_pf for a, v in s.monitoring_cost_per_week_pf_by_arm.items()
                },
            ),
        )
    cost(
        "monitoring cost per week, progressed",
        s.monitoring_cost_per_week_pd_usd,
        lambda x: s.with_updates(monitoring_cost_per_week_pd_usd=x),
    )
    cost(
        "end-of-life cost",
        s.end_of_life_cost_usd,
        lambda x: s.with_updates(end_of_life_cost_usd=x),
    )
    for key, value in s.ae_costs_usd.items():
        cost(
            f"AE cost {key}",
            value,
            lambda x, k=key: s.with_updates(ae_costs_usd={**s.ae_costs_usd, k: x}),
        )
    for arm, therapy in s.subsequent_therapy.items():
        cost(
            f"subsequent therapy cost, {arm}",
            therapy.cost_per_patient_usd,
            lambda x, a=arm: s.with_updates(
                subsequent_therapy={
                    **{k: v.model_dump() for k, v in s.subsequent_therapy.items()},
                    a: {**s.subsequent_therapy[a].model_dump(), "cost_per_patient_usd": x},
                }
            ),
        )
    util(
        "utility progression-free (stable)",
        s.utility_progression_free_stable,
        lambda x: s.with_updates(utility_progression_free_stable=x),
    )
    util(
        "utility progression-free (response)",
        s.utility_progression_free_response,
        lambda x: s.with_updates(utility_progression_free_response=x),
    )
    util("utility progressed", s.utility_progressed, lambda x: s.with_updates(utility_progressed=x))
    for key, value in s.ae_disutilities.items():
        util(
            f"disutility {key}",
            value,
            lambda x, k=key: s.with_updates(ae_disutilities={**s.ae_disutilities, k: x}),
        )
    lo, hi = s.tornado_discount_rates
    out.append(
        (
            "discount rate (costs and outcomes)",
            s.discount_rate_costs_per_year,
            lambda x: s.with_updates(
                discount_rate_costs_per_year=x, discount_rate_outcomes_per_year=x
            ),
            lo,
            hi,
        )
    )
    return out


def one_way_sensitivity(
    arms: ArmInputs,
    use: ResourceUse,
    settings: EconomicsSettings,
    reference: str,
    base_quantities: Mapping[str, ArmQuantities],
) -> list[dict[str, object]]:
    """Tornado data: incremental NMB and ICER of each arm vs ``reference`` at low/high values.

    Rows are sorted, per comparison, by the absolute swing in incremental NMB (largest first).
    Quantities are recomputed only when a discount rate changes.
    """
    rows: list[dict[str, object]] = []

    def results(s: EconomicsSettings, recompute: bool) -> dict[str, dict]:
        out = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for a, (outcomes, idx) in arms.items():
                q = (
                    partitioned_survival(outcomes, use, idx, s, label=a)
                    if recompute
                    else base_quantities[a]
                )
                out[a] = evaluate(q, unit_values(s, use, a))
        return out

    variants = []
    for name, base, setter, low, high in _parameter_variants(settings, use):
        recompute = name.startswith("discount rate")
        variants.append(
            (
                name,
                base,
                low,
                high,
                results(setter(low), recompute),
                results(setter(high), recompute),
            )
        )
    for arm in arms:
        if arm == reference:
            continue
        table = []
        for name, base, low, high, res_lo, res_hi in variants:
            entry: dict[str, object] = {
                "parameter": name,
                "base_value": base,
                "low_value": low,
                "high_value": high,
            }
            for tag, res in (("low", res_lo), ("high", res_hi)):
                dc = res[arm]["total_cost"] - res[reference]["total_cost"]
                dq = res[arm]["qalys"] - res[reference]["qalys"]
                ratio = icer(dc, dq)
                entry[f"incremental_nmb_{tag}"] = float(settings.wtp_per_qaly * dq - dc)
                entry[f"icer_{tag}"] = finite_or_none(ratio["icer"])  # type: ignore[arg-type]
                entry[f"icer_status_{tag}"] = ratio["status"]
            table.append(entry)
        table.sort(
            key=lambda e: -abs(float(e["incremental_nmb_high"]) - float(e["incremental_nmb_low"]))
        )
        rows.append({"arm": arm, "versus": reference, "parameters": table})
    return rows
