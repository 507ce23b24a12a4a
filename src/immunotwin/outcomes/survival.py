"""Time-to-event endpoints (PFS, OS, DOR) and their trial statistics.

Times are in days in, months out (1 month = 30.4375 days, DESIGN.md §5). Kaplan-Meier and Cox
estimates are lifelines' (Davidson-Pilon C. lifelines: survival analysis in Python. JOSS
2019;4:1317, doi:10.21105/joss.01317): KM with Greenwood variance and the log(-log)
("exponential Greenwood") confidence interval; the median CI is Brookmeyer-Crowley style (the
times at which the pointwise CI crosses 0.5); Cox with Efron ties. ORR uses the exact
Clopper-Pearson interval (Clopper & Pearson 1934, Biometrika 26:404).

Endpoint definitions follow the calibration README §2 and the model brief §4.2: PFS = start to
first PD or death; OS = start to death; DOR = first response to PD or death; all censored at
the end of follow-up or dropout.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from immunotwin.errors import InputError
from immunotwin.outcomes.recist import Response

__all__ = [
    "DAYS_PER_MONTH",
    "HazardRatio",
    "KaplanMeierSummary",
    "ResponseSummary",
    "TimeToEvent",
    "arm_table",
    "clopper_pearson",
    "duration_of_response",
    "hazard_ratio",
    "kaplan_meier",
    "overall_survival",
    "progression_free_survival",
    "response_summary",
]

logger = logging.getLogger(__name__)

DAYS_PER_MONTH = 30.4375  # 365.25 / 12 (DESIGN.md §5)


@dataclass(frozen=True)
class TimeToEvent:
    """Per-patient time-to-event data.

    Attributes
    ----------
    time_days : (n,) time from the start of treatment to event or censoring (days); NaN for
        patients the endpoint does not apply to (DOR of non-responders).
    event : (n,) True = event observed, False = censored.
    name : endpoint name ("PFS", "OS", "DOR").
    """

    time_days: np.ndarray
    event: np.ndarray
    name: str = ""

    @property
    def time_months(self) -> np.ndarray:
        """Time in months (days / 30.4375)."""
        return self.time_days / DAYS_PER_MONTH

    @property
    def cnsr(self) -> np.ndarray:
        """ADaM CNSR flag: 1 = censored, 0 = event (NaN rows give 1)."""
        return (~self.event).astype(np.int8)

    @property
    def applies(self) -> np.ndarray:
        """(n,) True where the endpoint applies (time is not NaN)."""
        return ~np.isnan(self.time_days)

    def to_frame(self) -> pd.DataFrame:
        """Columns time_days, time_months, event, cnsr (one row per patient)."""
        return pd.DataFrame(
            {
                "time_days": self.time_days,
                "time_months": self.time_months,
                "event": self.event,
                "cnsr": self.cnsr,
            }
        )


def _days(
    name: str, values: np.ndarray | float, n: int | None = None, allow_nan: bool = False
) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    if n is not None and arr.shape != (n,):
        if arr.shape == (1,):
            arr = np.full(n, arr[0])
        else:
            raise InputError(
                f"{name} must have shape ({n},), got {arr.shape}",
                source="survival",
                location=name,
                fix="pass one value per patient (or one scalar for all)",
            )
    bad = arr < 0
    if not allow_nan:
        bad |= np.isnan(arr)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{name}[{i}] = {arr[i]!r} is not a valid day",
            source="survival",
            location=f"{name}[{i}]",
            fix="days must be >= 0; use inf for 'no event'",
        )
    return arr


def progression_free_survival(
    pd_day: np.ndarray,
    death_day: np.ndarray,
    censor_day: np.ndarray | float,
    *,
    last_assessment_day: np.ndarray | None = None,
) -> TimeToEvent:
    """PFS: first PD or death, censored at the end of follow-up or dropout.

    Parameters
    ----------
    pd_day : (n,) first progression day (inf = none), e.g. ``TumourResponse.pd_day``.
    death_day : (n,) death day (inf = alive at the end of the simulation).
    censor_day : (n,) or scalar end of follow-up or dropout day.
    last_assessment_day : optional (n,) day of the last adequate tumour assessment; censored
        patients are then censored there instead (FDA 2018 guidance convention).
    """
    pd_ = _days("pd_day", pd_day)
    n = pd_.size
    death = _days("death_day", death_day, n)
    censor = _days("censor_day", censor_day, n)
    first = np.fmin(pd_, death)
    event = first <= censor
    cens_time = (
        censor
        if last_assessment_day is None
        else np.fmin(censor, _days("last_assessment_day", last_assessment_day, n))
    )
    return TimeToEvent(np.where(event, first, cens_time), event, "PFS")


def overall_survival(death_day: np.ndarray, censor_day: np.ndarray | float) -> TimeToEvent:
    """OS: death, censored at the end of follow-up or dropout (days in, see ``TimeToEvent``)."""
    death = _days("death_day", death_day)
    censor = _days("censor_day", censor_day, death.size)
    event = death <= censor
    return TimeToEvent(np.where(event, death, censor), event, "OS")


def duration_of_response(
    response_day: np.ndarray,
    pd_day: np.ndarray,
    death_day: np.ndarray,
    censor_day: np.ndarray | float,
    *,
    last_assessment_day: np.ndarray | None = None,
) -> TimeToEvent:
    """DOR: first response (CR/PR) to PD or death; NaN rows for non-responders.

    ``response_day`` is ``TumourResponse.response_day`` (NaN = not a responder).
    """
    resp = _days("response_day", response_day, allow_nan=True)
    pfs = progression_free_survival(
        pd_day, death_day, censor_day, last_assessment_day=last_assessment_day
    )
    responder = ~np.isnan(resp)
    time = np.where(responder, np.maximum(pfs.time_days - resp, 0.0), np.nan)
    return TimeToEvent(time, responder & pfs.event, "DOR")


@dataclass(frozen=True)
class KaplanMeierSummary:
    """Kaplan-Meier estimate for one arm; times in months.

    Attributes
    ----------
    median_months : median survival time (inf = not reached).
    median_ci95 : (lower, upper) of the median (inf = not reached).
    curve : DataFrame time_months, survival, ci_lower, ci_upper (step function knots).
    at_risk : DataFrame time_months, at_risk (time >= t), events and censored (cumulative,
        time <= t) at the requested times: the table printed under a KM plot.
    landmarks : DataFrame time_months, survival, ci_lower, ci_upper (NaN beyond the last
        observed time).
    """

    label: str
    n: int
    events: int
    median_months: float
    median_ci95: tuple[float, float]
    curve: pd.DataFrame
    at_risk: pd.DataFrame
    landmarks: pd.DataFrame


def _valid(tte: TimeToEvent) -> tuple[np.ndarray, np.ndarray]:
    keep = tte.applies
    t = tte.time_months[keep]
    e = np.asarray(tte.event, dtype=bool)[keep]
    if t.size == 0:
        raise InputError(
            f"no patients with a {tte.name or 'time-to-event'} time",
            source="kaplan_meier",
            location=tte.name or "time_days",
            fix="pass at least one patient the endpoint applies to",
        )
    return t, e


def kaplan_meier(
    tte: TimeToEvent,
    *,
    label: str = "",
    at_risk_months: Sequence[float] | None = None,
    landmark_months: Sequence[float] = (12.0, 24.0, 60.0),
    alpha: float = 0.05,
) -> KaplanMeierSummary:
    """Kaplan-Meier curve, median with CI, at-risk table and landmark rates (lifelines).

    Parameters
    ----------
    tte : the endpoint (NaN rows are dropped).
    at_risk_months : times for the at-risk table; default every 6 months to the last time.
    landmark_months : landmark times (months) for S(t) with its CI.
    alpha : 1 - confidence level (0.05 = 95 %).
    """
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    t, e = _valid(tte)
    kmf = KaplanMeierFitter(alpha=alpha).fit(t, e, label=label or tte.name or "KM")
    sf = kmf.survival_function_.iloc[:, 0]
    ci = kmf.confidence_interval_
    curve = pd.DataFrame(
        {
            "time_months": sf.index.to_numpy(float),
            "survival": sf.to_numpy(),
            "ci_lower": ci.iloc[:, 0].to_numpy(),
            "ci_upper": ci.iloc[:, 1].to_numpy(),
        }
    )
    median = float(kmf.median_survival_time_)
    mci = median_survival_times(ci).to_numpy(float).ravel()
    if at_risk_months is None:
        at_risk_months = np.arange(0.0, t.max() + 1e-9, 6.0)
    grid = np.asarray(at_risk_months, dtype=float)
    at_risk = pd.DataFrame(
        {
            "time_months": grid,
            "at_risk": [(t >= g).sum() for g in grid],
            "events": [(e & (t <= g)).sum() for g in grid],
            "censored": [(~e & (t <= g)).sum() for g in grid],
        }
    )
    marks = np.asarray(landmark_months, dtype=float)
    rows = []
    for m in marks:
        if m > t.max():
            rows.append((m, np.nan, np.nan, np.nan))
            continue
        k = int(np.searchsorted(curve["time_months"].to_numpy(), m, side="right") - 1)
        rows.append(
            (m, curve["survival"].iat[k], curve["ci_lower"].iat[k], curve["ci_upper"].iat[k])
        )
    landmarks = pd.DataFrame(rows, columns=["time_months", "survival", "ci_lower", "ci_upper"])
    return KaplanMeierSummary(
        label=label or tte.name,
        n=int(t.size),
        events=int(e.sum()),
        median_months=median,
        median_ci95=(float(mci[0]), float(mci[1])),
        curve=curve,
        at_risk=at_risk,
        landmarks=landmarks,
    )


@dataclass(frozen=True)
class HazardRatio:
    """Cox hazard ratio of an experimental arm versus control (NaN when not estimable)."""

    hr: float
    ci95: tuple[float, float]
    p_value: float
    logrank_p: float
    n_experimental: int
    n_control: int


def hazard_ratio(
    experimental: TimeToEvent, control: TimeToEvent, *, alpha: float = 0.05
) -> HazardRatio:
    """Cox proportional-hazards HR (experimental vs control) with Wald CI; log-rank p.

    Fits lifelines ``CoxPHFitter`` (Efron ties) on one 0/1 arm covariate. Returns NaN when
    either arm has no patients or the pooled data have no events (logged as a warning).
    """
    from lifelines import CoxPHFitter
    from lifelines.statistics import logrank_test

    te, ee = _valid(experimental)
    tc, ec = _valid(control)
    nan = HazardRatio(math.nan, (math.nan, math.nan), math.nan, math.nan, te.size, tc.size)
    if ee.sum() + ec.sum() == 0:
        logger.warning("hazard ratio not estimable: no events in either arm")
        return nan
    df = pd.DataFrame(
        {
            "time": np.concatenate([te, tc]),
            "event": np.concatenate([ee, ec]).astype(int),
            "arm": np.r_[np.ones(te.size), np.zeros(tc.size)],
        }
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter(alpha=alpha).fit(df, "time", "event")
    except Exception as exc:  # lifelines raises ConvergenceError on separation
        logger.warning("hazard ratio not estimable: %s", exc)
        return nan
    row = cph.summary.loc["arm"]
    level = f"{100 * (1 - alpha):g}%"
    lr = logrank_test(te, tc, ee, ec)
    return HazardRatio(
        hr=float(row["exp(coef)"]),
        ci95=(float(row[f"exp(coef) lower {level}"]), float(row[f"exp(coef) upper {level}"])),
        p_value=float(row["p"]),
        logrank_p=float(lr.p_value),
        n_experimental=int(te.size),
        n_control=int(tc.size),
    )


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact binomial CI for k successes in n (Clopper & Pearson 1934).

    >>> [round(x, 4) for x in clopper_pearson(7, 20)]
    [0.1539, 0.5922]
    """
    if n <= 0 or not 0 <= k <= n:
        raise InputError(
            f"need 0 <= k <= n and n > 0, got k={k}, n={n}",
            source="clopper_pearson",
            fix="pass counts from a non-empty arm",
        )
    lo = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True)
class ResponseSummary:
    """Arm-level response metrics; rates are fractions of all patients in the arm (ITT)."""

    n: int
    orr: float
    orr_ci95: tuple[float, float]
    cr_rate: float
    dcr: float
    median_dor_months: float
    median_dor_ci95: tuple[float, float]


def response_summary(
    bor: np.ndarray, dor: TimeToEvent | None = None, *, alpha: float = 0.05
) -> ResponseSummary:
    """ORR with exact CI, CR rate, DCR and median DOR from best overall responses.

    ORR = (CR + PR)/n; DCR = (CR + PR + SD)/n, SD having met its minimum duration inside the
    BOR rule; NE and not-evaluable patients stay in the denominator. Median DOR is the KM
    median over responders (NaN if ``dor`` is None or there are no responders; inf if not
    reached).
    """
    codes = np.asarray(bor)
    n = int(codes.size)
    if n == 0:
        raise InputError(
            "no patients in the arm",
            source="response_summary",
            location="bor",
            fix="pass the best overall response of every patient in the arm",
        )
    n_cr = int(np.sum(codes == Response.CR))
    n_resp = n_cr + int(np.sum(codes == Response.PR))
    n_dc = n_resp + int(np.sum(codes == Response.SD))
    med, mci = math.nan, (math.nan, math.nan)
    if dor is not None and np.any(dor.applies):
        km = kaplan_meier(dor, label="DOR", landmark_months=(), alpha=alpha)
        med, mci = km.median_months, km.median_ci95
    return ResponseSummary(
        n=n,
        orr=n_resp / n,
        orr_ci95=clopper_pearson(n_resp, n, alpha),
        cr_rate=n_cr / n,
        dcr=n_dc / n,
        median_dor_months=med,
        median_dor_ci95=mci,
    )


def arm_table(
    endpoint_by_arm: Mapping[str, TimeToEvent],
    *,
    control: str | None = None,
    landmark_months: Sequence[float] = (12.0, 24.0, 60.0),
) -> pd.DataFrame:
    """One row per arm: n, events, median (CI), landmark rates and HR vs ``control``.

    Columns: arm, n, events, median_months, median_ci_lower, median_ci_upper,
    ``rate_<m>m`` / ``rate_<m>m_ci_lower`` / ``rate_<m>m_ci_upper`` per landmark, hr_vs_control,
    hr_ci_lower, hr_ci_upper, hr_p (NaN for the control arm or when no control is named).
    """
    if control is not None and control not in endpoint_by_arm:
        raise InputError(
            f"control arm {control!r} is not among {list(endpoint_by_arm)}",
            source="arm_table",
            location="control",
            fix="name one of the arms as control, or pass control=None",
        )
    rows = []
    for arm, tte in endpoint_by_arm.items():
        km = kaplan_meier(tte, label=arm, landmark_months=landmark_months)
        row: dict[str, float | str | int] = {
            "arm": arm,
            "n": km.n,
            "events": km.events,
            "median_months": km.median_months,
            "median_ci_lower": km.median_ci95[0],
            "median_ci_upper": km.median_ci95[1],
        }
        for _, lm in km.landmarks.iterrows():
            key = f"rate_{lm['time_months']:g}m"
            row[key] = lm["survival"]
            row[f"{key}_ci_lower"] = lm["ci_lower"]
            row[f"{key}_ci_upper"] = lm["ci_upper"]
        if control is not None and arm != control:
            hr = hazard_ratio(tte, endpoint_by_arm[control])
            row.update(
                hr_vs_control=hr.hr, hr_ci_lower=hr.ci95[0], hr_ci_upper=hr.ci95[1], hr_p=hr.p_value
            )
        else:
            row.update(
                hr_vs_control=math.nan, hr_ci_lower=math.nan, hr_ci_upper=math.nan, hr_p=math.nan
            )
        rows.append(row)
    return pd.DataFrame(rows)
