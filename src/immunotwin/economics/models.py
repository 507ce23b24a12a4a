"""Arm-level economic models over the same virtual-trial data (pure numpy).

Three views of one arm, all reduced to the same *value-free* :class:`ArmQuantities`
(discounted time in each state, discounted progression and death counts, mean resource use),
which :func:`evaluate` turns into costs, life-years and QALYs given :class:`UnitValues`:

``within_trial``
    Per-patient: each virtual patient's own PFS/OS times, truncated at the horizon (and, for
    censored patients, at censoring: a restricted, within-follow-up estimate).
``partitioned_survival``
    Area under the arm's Kaplan-Meier PFS and OS curves, each extended to the horizon with an
    exponential tail (:mod:`immunotwin.economics.survival`); PF occupancy ``PFS(t)``, PD
    occupancy ``OS(t) - PFS(t)`` (Woods B et al., NICE DSU TSD 19, 2017).
``state_transition``
    A three-state Markov cohort model (PF -> PD -> dead, PF -> dead) with constant transition
    hazards estimated from the patients (events / time at risk), cycle = ``grid_days``, with
    trapezoidal (half-cycle) correction. Comparing it with the partitioned-survival result
    shows how much the PartSA structural assumption matters (TSD 19).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from immunotwin.economics.costs import ResourceUse, usable_price
from immunotwin.economics.discounting import (
    DAYS_PER_MONTH,
    DAYS_PER_WEEK,
    DAYS_PER_YEAR,
    discount_factor,
    discounted_interval_years,
    discounted_time_years,
)
from immunotwin.economics.settings import AE_COLUMNS, EconomicsSettings
from immunotwin.economics.survival import cap_pfs_at_os, extrapolated_curve

WEEKS_PER_YEAR = DAYS_PER_YEAR / DAYS_PER_WEEK
RESPONSES = ("CR", "PR")
#: tolerance (days) to call a PFS event a death without progression (death at the PFS time)
_SAME_DAY = 0.5


@dataclass(frozen=True)
class ArmOutcomes:
    """Per-patient survival data of one arm, in days."""

    pfs_days: NDArray[np.float64]
    pfs_event: NDArray[np.bool_]
    os_days: NDArray[np.float64]
    os_event: NDArray[np.bool_]
    responder: NDArray[np.bool_]

    @classmethod
    def from_patients(cls, patients: pd.DataFrame) -> ArmOutcomes:
        """From patients.parquet columns (months of 30.4375 days, event 1 = event)."""
        return cls(
            pfs_days=patients["pfs_months"].to_numpy(dtype=float) * DAYS_PER_MONTH,
            pfs_event=patients["pfs_event"].to_numpy().astype(bool),
            os_days=patients["os_months"].to_numpy(dtype=float) * DAYS_PER_MONTH,
            os_event=patients["os_event"].to_numpy().astype(bool),
            responder=patients["best_overall_response"].isin(RESPONSES).to_numpy(),
        )

    def take(self, index: NDArray[np.int64]) -> ArmOutcomes:
        """The patients at ``index`` (used by the bootstrap)."""
        return ArmOutcomes(
            self.pfs_days[index],
            self.pfs_event[index],
            self.os_days[index],
            self.os_event[index],
            self.responder[index],
        )

    @property
    def death_without_progression(self) -> NDArray[np.bool_]:
        """PFS events that are deaths (OS event at the PFS time)."""
        return self.pfs_event & self.os_event & (self.os_days <= self.pfs_days + _SAME_DAY)

    @property
    def progressed(self) -> NDArray[np.bool_]:
        """PFS events that are progressions."""
        return self.pfs_event & ~self.death_without_progression


@dataclass(frozen=True)
class ArmQuantities:
    """Value-free quantities of one arm under one model, per patient on average.

    ``*_years``: discounted at the outcome rate; ``*_years_cost``: discounted at the cost rate;
    ``progressions``/``deaths``: expected number per patient within the horizon, each weighted
    by the cost discount factor at its time. ``responder_pf_share``: share of (discounted) PF
    time lived by responders (weights the two progression-free utilities).
    """

    model: str
    life_years: float
    life_years_undiscounted: float
    pf_years: float
    pd_years: float
    pf_years_cost: float
    pd_years_cost: float
    progressions: float
    deaths: float
    responder_pf_share: float
    drug_units: NDArray[np.float64]
    administrations: float
    ae_events: NDArray[np.float64]
    ae_disutility_years: NDArray[np.float64]


@dataclass(frozen=True)
class UnitValues:
    """Unit costs and utilities for one arm (arrays align with ``ResourceUse`` columns)."""

    drug_prices: NDArray[np.float64]
    administration: float
    monitoring_pf_per_week: float
    monitoring_pd_per_week: float
    subsequent_therapy_per_progression: float
    end_of_life: float
    ae_costs: NDArray[np.float64]
    utility_pf_stable: float
    utility_pf_response: float
    utility_pd: float
    ae_disutilities: NDArray[np.float64]


def _zero_if_none(value: float | None) -> float:
    return 0.0 if value is None else float(value)


def unit_values(settings: EconomicsSettings, use: ResourceUse, arm: str) -> UnitValues:
    """Base-case unit values of ``arm``; missing (unsourced) items are 0."""
    prices = np.array([usable_price(settings.drug_prices[d], settings) for d in use.drugs], float)
    subsequent = settings.subsequent_therapy.get(arm)
    return UnitValues(
        drug_prices=prices,
        administration=_zero_if_none(settings.administration_cost_per_infusion_usd),
        monitoring_pf_per_week=_zero_if_none(
            settings.monitoring_cost_per_week_pf_by_arm.get(
                arm, settings.monitoring_cost_per_week_pf_usd
            )
        ),
        monitoring_pd_per_week=_zero_if_none(settings.monitoring_cost_per_week_pd_usd),
        subsequent_therapy_per_progression=(
            subsequent.cost_per_patient_usd * subsequent.fraction_treated if subsequent else 0.0
        ),
        end_of_life=_zero_if_none(settings.end_of_life_cost_usd),
        ae_costs=np.array([_zero_if_none(settings.ae_costs_usd.get(k)) for k in use.ae_keys]),
        utility_pf_stable=settings.utility_progression_free_stable,
        utility_pf_response=settings.utility_progression_free_response,
        utility_pd=settings.utility_progressed,
        ae_disutilities=np.array([settings.ae_disutilities.get(k, 0.0) for k in AE_COLUMNS]),
    )


def evaluate(q: ArmQuantities, v: UnitValues) -> dict[str, float | dict[str, float]]:
    """Mean cost per patient by category, life-years and QALYs of one arm.

    QALYs = u_PF x PF years + u_PD x PD years - sum_k disutility_k x AE years_k, with
    u_PF the responder-time-weighted mix of the responding and stable utilities.
    """
    costs = {
        "drug": float(q.drug_units @ v.drug_prices) if q.drug_units.size else 0.0,
        "administration": q.administrations * v.administration,
        "adverse_events": float(q.ae_events @ v.ae_costs) if q.ae_events.size else 0.0,
        "monitoring_pf": q.pf_years_cost * WEEKS_PER_YEAR * v.monitoring_pf_per_week,
        "monitoring_pd": q.pd_years_cost * WEEKS_PER_YEAR * v.monitoring_pd_per_week,
        "subsequent_therapy": q.progressions * v.subsequent_therapy_per_progression,
        "end_of_life": q.deaths * v.end_of_life,
    }
    costs = {k: float(x) for k, x in costs.items()}
    costs["total"] = float(sum(costs.values()))
    u_pf = (
        q.responder_pf_share * v.utility_pf_response
        + (1.0 - q.responder_pf_share) * v.utility_pf_stable
    )
    ae_loss = float(q.ae_disutility_years @ v.ae_disutilities)
    qalys = u_pf * q.pf_years + v.utility_pd * q.pd_years - ae_loss
    return {
        "costs": costs,
        "total_cost": costs["total"],
        "qalys": float(qalys),
        "life_years": float(q.life_years),
        "life_years_undiscounted": float(q.life_years_undiscounted),
        "pf_years": float(q.pf_years),
        "pd_years": float(q.pd_years),
    }


def _common(
    use: ResourceUse, rows: NDArray[np.int64], out: ArmOutcomes, settings: EconomicsSettings
) -> dict[str, object]:
    horizon = settings.horizon_years * DAYS_PER_YEAR
    # responder share of *discounted* PF time, so that the within-trial arm mean equals the
    # mean of per-patient QALYs exactly
    pf_time = discounted_time_years(
        np.minimum(np.minimum(out.pfs_days, out.os_days), horizon),
        settings.discount_rate_outcomes_per_year,
        settings.discounting,
    )
    total_pf = pf_time.sum()
    share = float(pf_time[out.responder].sum() / total_pf) if total_pf > 0 else 0.0
    duration = discounted_time_years(
        settings.ae_disutility_duration_days,
        settings.discount_rate_outcomes_per_year,
        settings.discounting,
    )
    return {
        "responder_pf_share": share,
        "drug_units": use.drug_units_discounted[rows].mean(axis=0),
        "administrations": float(use.administrations_discounted[rows].mean()),
        "ae_events": use.ae_events[rows].mean(axis=0),
        "ae_disutility_years": use.ae_grade3plus[rows].mean(axis=0) * float(duration),
    }


def within_trial(
    out: ArmOutcomes, use: ResourceUse, rows: NDArray[np.int64], settings: EconomicsSettings
) -> ArmQuantities:
    """Per-patient view: each patient's own PF/PD/death times, truncated at the horizon."""
    horizon = settings.horizon_years * DAYS_PER_YEAR
    ro, rc, method = (
        settings.discount_rate_outcomes_per_year,
        settings.discount_rate_costs_per_year,
        settings.discounting,
    )
    os_end = np.minimum(out.os_days, horizon)
    pf_end = np.minimum(np.minimum(out.pfs_days, out.os_days), horizon)
    prog = out.progressed & (out.pfs_days <= horizon)
    died = out.os_event & (out.os_days <= horizon)
    ly = discounted_time_years(os_end, ro, method)
    pf = discounted_time_years(pf_end, ro, method)
    ly_c = discounted_time_years(os_end, rc, method)
    pf_c = discounted_time_years(pf_end, rc, method)
    return ArmQuantities(
        model="within_trial",
        life_years=float(ly.mean()),
        life_years_undiscounted=float((os_end / DAYS_PER_YEAR).mean()),
        pf_years=float(pf.mean()),
        pd_years=float((ly - pf).mean()),
        pf_years_cost=float(pf_c.mean()),
        pd_years_cost=float((ly_c - pf_c).mean()),
        progressions=float((prog * discount_factor(out.pfs_days, rc, method)).mean()),
        deaths=float((died * discount_factor(out.os_days, rc, method)).mean()),
        **_common(use, rows, out, settings),
    )


def time_grid_days(settings: EconomicsSettings) -> NDArray[np.float64]:
    """Evaluation grid from day 0 to the horizon in steps of ``grid_days`` (horizon included)."""
    horizon = settings.horizon_years * DAYS_PER_YEAR
    grid = np.arange(0.0, horizon, settings.grid_days)
    return np.append(grid, horizon)


def _area(
    grid: NDArray[np.float64], occupancy: NDArray[np.float64], rate: float, method: str
) -> float:
    """Discounted area (years) under an occupancy curve, trapezoidal on the grid."""
    widths = discounted_interval_years(grid[:-1], grid[1:], rate, method)  # type: ignore[arg-type]
    return float(np.sum(0.5 * (occupancy[:-1] + occupancy[1:]) * widths))


def _flow(grid: NDArray[np.float64], flow: NDArray[np.float64], rate: float, method: str) -> float:
    """Discounted sum of per-interval flows, discounted at each interval's midpoint."""
    mid = 0.5 * (grid[:-1] + grid[1:])
    return float(np.sum(flow * discount_factor(mid, rate, method)))  # type: ignore[arg-type]


def partitioned_survival(
    out: ArmOutcomes,
    use: ResourceUse,
    rows: NDArray[np.int64],
    settings: EconomicsSettings,
    *,
    label: str = "",
) -> ArmQuantities:
    """Partitioned-survival view from the arm's extrapolated KM curves (see module docstring).

    Progressions are the fall of the PFS curve times the share of PFS events that are
    progressions (not deaths) among the patients; deaths are the fall of the OS curve.
    Emits :class:`CurveCrossingWarning` if the PFS curve rises above OS.
    """
    grid = time_grid_days(settings)
    frac = settings.tail_fit_fraction
    pfs = extrapolated_curve(
        out.pfs_days, out.pfs_event, tail_fit_fraction=frac, label=f"{label} PFS"
    )
    os_ = extrapolated_curve(out.os_days, out.os_event, tail_fit_fraction=frac, label=f"{label} OS")
    s_os = os_(grid)
    s_pf = cap_pfs_at_os(grid, pfs(grid), s_os, label=label)
    ro, rc, method = (
        settings.discount_rate_outcomes_per_year,
        settings.discount_rate_costs_per_year,
        settings.discounting,
    )
    n_events = int(out.pfs_event.sum())
    share_prog = float(out.progressed.sum() / n_events) if n_events else 1.0
    ly = _area(grid, s_os, ro, method)
    pf = _area(grid, s_pf, ro, method)
    ly_c = _area(grid, s_os, rc, method)
    pf_c = _area(grid, s_pf, rc, method)
    return ArmQuantities(
        model="partitioned_survival",
        life_years=ly,
        life_years_undiscounted=_area(grid, s_os, 0.0, method),
        pf_years=pf,
        pd_years=ly - pf,
        pf_years_cost=pf_c,
        pd_years_cost=ly_c - pf_c,
        progressions=share_prog * _flow(grid, -np.diff(s_pf), rc, method),
        deaths=_flow(grid, -np.diff(s_os), rc, method),
        **_common(use, rows, out, settings),
    )


def transition_hazards_per_day(out: ArmOutcomes) -> dict[str, float]:
    """Constant hazards PF->PD, PF->dead and PD->dead (events / days at risk)."""
    pf_time = np.minimum(out.pfs_days, out.os_days)
    prog = out.progressed
    pd_time = np.where(prog, np.maximum(out.os_days - out.pfs_days, 0.0), 0.0)
    pf_exposure = float(pf_time.sum())
    pd_exposure = float(pd_time.sum())
    return {
        "pf_to_pd": float(prog.sum() / pf_exposure) if pf_exposure > 0 else 0.0,
        "pf_to_dead": (
            float(out.death_without_progression.sum() / pf_exposure) if pf_exposure > 0 else 0.0
        ),
        "pd_to_dead": (
            float((prog & out.os_event).sum() / pd_exposure) if pd_exposure > 0 else 0.0
        ),
    }


def state_transition(
    out: ArmOutcomes, use: ResourceUse, rows: NDArray[np.int64], settings: EconomicsSettings
) -> ArmQuantities:
    """Markov cohort (PF/PD/dead) view with constant hazards from the same patients."""
    grid = time_grid_days(settings)
    steps = np.diff(grid)
    h = transition_hazards_per_day(out)
    h_pf = h["pf_to_pd"] + h["pf_to_dead"]
    pf = np.empty(grid.size)
    pd_ = np.empty(grid.size)
    pf[0], pd_[0] = 1.0, 0.0
    leave_pf = 1.0 - np.exp(-h_pf * steps)
    leave_pd = 1.0 - np.exp(-h["pd_to_dead"] * steps)
    to_pd = np.empty(steps.size)
    to_dead = np.empty(steps.size)
    split = h["pf_to_pd"] / h_pf if h_pf > 0 else 0.0
    for i in range(steps.size):
        out_pf = pf[i] * leave_pf[i]
        out_pd = pd_[i] * leave_pd[i]
        to_pd[i] = out_pf * split
        to_dead[i] = out_pf * (1.0 - split) + out_pd
        pf[i + 1] = pf[i] - out_pf
        pd_[i + 1] = pd_[i] - out_pd + to_pd[i]
    alive = pf + pd_
    ro, rc, method = (
        settings.discount_rate_outcomes_per_year,
        settings.discount_rate_costs_per_year,
        settings.discounting,
    )
    ly = _area(grid, alive, ro, method)
    pfy = _area(grid, pf, ro, method)
    ly_c = _area(grid, alive, rc, method)
    pf_c = _area(grid, pf, rc, method)
    return ArmQuantities(
        model="state_transition",
        life_years=ly,
        life_years_undiscounted=_area(grid, alive, 0.0, method),
        pf_years=pfy,
        pd_years=ly - pfy,
        pf_years_cost=pf_c,
        pd_years_cost=ly_c - pf_c,
        progressions=_flow(grid, to_pd, rc, method),
        deaths=_flow(grid, to_dead, rc, method),
        **_common(use, rows, out, settings),
    )


def per_patient_results(
    patients: pd.DataFrame, use: ResourceUse, settings: EconomicsSettings
) -> pd.DataFrame:
    """Discounted costs by category, LYs and QALYs of every patient (within-trial view).

    One row per patient of ``patients`` (same order as ``use``): ``patient_id, arm,
    cost_<category>`` (drug, administration, adverse_events, monitoring_pf, monitoring_pd,
    subsequent_therapy, end_of_life), ``cost_total, life_years, qalys``. Arm means equal
    :func:`evaluate` of :func:`within_trial` for that arm.
    """
    horizon = settings.horizon_years * DAYS_PER_YEAR
    out = ArmOutcomes.from_patients(patients)
    ro, rc, method = (
        settings.discount_rate_outcomes_per_year,
        settings.discount_rate_costs_per_year,
        settings.discounting,
    )
    os_end = np.minimum(out.os_days, horizon)
    pf_end = np.minimum(np.minimum(out.pfs_days, out.os_days), horizon)
    ly = discounted_time_years(os_end, ro, method)
    pf = discounted_time_years(pf_end, ro, method)
    ly_c = discounted_time_years(os_end, rc, method)
    pf_c = discounted_time_years(pf_end, rc, method)
    prog = (out.progressed & (out.pfs_days <= horizon)) * discount_factor(out.pfs_days, rc, method)
    died = (out.os_event & (out.os_days <= horizon)) * discount_factor(out.os_days, rc, method)
    duration = float(discounted_time_years(settings.ae_disutility_duration_days, ro, method))
    arms = patients["arm"].astype(str).to_numpy()
    frame: dict[str, object] = {"patient_id": use.patient_id, "arm": arms}
    columns = {
        k: np.zeros(len(arms))
        for k in (
            "drug",
            "administration",
            "adverse_events",
            "monitoring_pf",
            "monitoring_pd",
            "subsequent_therapy",
            "end_of_life",
        )
    }
    qalys = np.zeros(len(arms))
    for arm in dict.fromkeys(arms):
        m = arms == arm
        v = unit_values(settings, use, arm)
        columns["drug"][m] = use.drug_units_discounted[m] @ v.drug_prices if use.drugs else 0.0
        columns["administration"][m] = use.administrations_discounted[m] * v.administration
        columns["adverse_events"][m] = use.ae_events[m] @ v.ae_costs
        columns["monitoring_pf"][m] = pf_c[m] * WEEKS_PER_YEAR * v.monitoring_pf_per_week
        columns["monitoring_pd"][m] = (
            (ly_c[m] - pf_c[m]) * WEEKS_PER_YEAR * v.monitoring_pd_per_week
        )
        columns["subsequent_therapy"][m] = prog[m] * v.subsequent_therapy_per_progression
        columns["end_of_life"][m] = died[m] * v.end_of_life
        # the arm-level u_PF weights responders by PF time; per patient it is their own state
        u_pf = np.where(out.responder[m], v.utility_pf_response, v.utility_pf_stable)
        qalys[m] = (
            u_pf * pf[m]
            + v.utility_pd * (ly[m] - pf[m])
            - use.ae_grade3plus[m] @ v.ae_disutilities * duration
        )
    for k, x in columns.items():
        frame[f"cost_{k}"] = x
    frame["cost_total"] = np.sum(list(columns.values()), axis=0)
    frame["life_years"] = ly
    frame["qalys"] = qalys
    return pd.DataFrame(frame)
