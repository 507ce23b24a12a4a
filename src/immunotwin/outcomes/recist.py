"""Tumour response criteria: RECIST 1.1, iRECIST and a Lugano-style CT variant.

Each criteria object is a frozen, versioned configuration with one pure method,
``evaluate(size, baseline, visit_days, ...)``, over arrays of shape (n_patients, n_visits).
It returns a :class:`TumourResponse` of arrays: the overall response at each visit, the best
overall response (BOR), response, progression and duration-of-response days.

Sources
-------
- RECIST 1.1: Eisenhauer EA et al. New response evaluation criteria in solid tumours: revised
  RECIST guideline (version 1.1). Eur J Cancer 2009;45:228-247, doi:10.1016/j.ejca.2008.10.026.
- iRECIST: Seymour L et al. iRECIST: guidelines for response criteria for use in trials testing
  immunotherapeutics. Lancet Oncol 2017;18:e143-e152, doi:10.1016/S1470-2045(17)30074-8.
- Lugano 2014: Cheson BD et al. Recommendations for initial evaluation, staging, and response
  assessment of Hodgkin and non-Hodgkin lymphoma: the Lugano classification. J Clin Oncol
  2014;32:3059-3068, doi:10.1200/JCO.2013.54.8800.

The model is a single lumped tumour, so target, non-target and new-lesion categories reduce to
the summed size plus a new-lesion process; see docs/endpoints.md for every simplification.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

import numpy as np
import pandas as pd

from immunotwin.errors import InputError

__all__ = [
    "IRecist",
    "Lugano2014Ct",
    "Recist11",
    "Response",
    "TumourResponse",
]

_TOL = 1e-9  # absolute tolerance on sizes and fractions, so exact boundaries count as met


class Response(IntEnum):
    """Overall response codes (per visit and best overall).

    ``NOT_ASSESSED`` marks a scheduled visit that did not happen (after progression, death,
    dropout or end of follow-up). Under iRECIST, CR/PR/SD mean iCR/iPR/iSD.
    """

    NOT_ASSESSED = 0
    CR = 1
    PR = 2
    SD = 3
    PD = 4
    NE = 5
    IUPD = 6
    ICPD = 7


_EVALUABLE = (Response.CR, Response.PR, Response.SD, Response.PD, Response.IUPD, Response.ICPD)


@dataclass(frozen=True)
class TumourResponse:
    """Result of a response evaluation; all arrays have n_patients rows.

    Attributes
    ----------
    criteria : criteria name and rules version, e.g. ``"RECIST 1.1 (immunotwin rules v1)"``.
    visit_days : (n_visits,) assessment days.
    ovr : (n_patients, n_visits) int8 :class:`Response` codes per visit.
    bor : (n_patients,) int8 best overall response code.
    response_day : (n_patients,) day of the first visit of the response that made BOR CR/PR
        (NaN for non-responders).
    pd_day : (n_patients,) first progression day (inf if none observed); under iRECIST the
        iUPD day of the progression episode that was never reset.
    dor_days : (n_patients,) response_day to pd_day, or to the last evaluable visit when no
        progression (censored); NaN for non-responders. Deaths are added in survival.py.
    dor_event : (n_patients,) True where the DOR ends with progression.
    pct_change : (n_patients, n_visits) percent change of size from baseline (NaN if none).
    best_pct_change : (n_patients,) smallest percent change over assessed visits (waterfall).
    iupd_day, icpd_day, pseudoprogression : iRECIST only (None otherwise): first iUPD day
        (inf if none), day iCPD was confirmed (inf if never), and whether an iUPD was later
        reset by regression.
    """

    criteria: str
    visit_days: np.ndarray
    ovr: np.ndarray
    bor: np.ndarray
    response_day: np.ndarray
    pd_day: np.ndarray
    dor_days: np.ndarray
    dor_event: np.ndarray
    pct_change: np.ndarray
    best_pct_change: np.ndarray
    iupd_day: np.ndarray | None = None
    icpd_day: np.ndarray | None = None
    pseudoprogression: np.ndarray | None = None

    @property
    def responder(self) -> np.ndarray:
        """(n_patients,) True where BOR is CR or PR."""
        return np.isin(self.bor, (Response.CR, Response.PR))

    def bor_labels(self) -> np.ndarray:
        """BOR as strings ("CR", "PR", ...)."""
        return np.array([Response(int(c)).name for c in self.bor], dtype=object)

    def to_frame(self) -> pd.DataFrame:
        """Long visit-level table: patient, visit_day, ovr, pct_change (assessed visits only)."""
        n, v = self.ovr.shape
        patient = np.repeat(np.arange(n), v)
        day = np.tile(self.visit_days, n)
        code = self.ovr.ravel()
        keep = code != Response.NOT_ASSESSED
        return pd.DataFrame(
            {
                "patient": patient[keep],
                "visit_day": day[keep],
                "ovr": [Response(int(c)).name for c in code[keep]],
                "pct_change": self.pct_change.ravel()[keep],
            }
        )


def _check_inputs(
    size: np.ndarray,
    baseline: np.ndarray,
    visit_days: np.ndarray,
    new_lesion_days: np.ndarray | None,
    assessed: np.ndarray | None,
    min_baseline: float,
    source: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    size = np.asarray(size, dtype=float)
    if size.ndim != 2:
        raise InputError(
            f"size must be a 2-D array (n_patients, n_visits), got shape {size.shape}",
            source=source,
            location="size",
            fix="pass one row per patient and one column per visit",
        )
    n, v = size.shape
    days = np.asarray(visit_days, dtype=float)
    if days.shape != (v,) or np.any(np.diff(days) <= 0) or (v and days[0] <= 0):
        raise InputError(
            f"visit_days must be {v} strictly increasing days > 0, got {days.tolist()}",
            source=source,
            location="visit_days",
            fix="pass the post-baseline assessment days, e.g. outcomes.visit_days(follow_up)",
        )
    base = np.asarray(baseline, dtype=float)
    if base.shape != (n,):
        raise InputError(
            f"baseline must have shape ({n},), got {base.shape}",
            source=source,
            location="baseline",
            fix="pass one baseline size per patient",
        )
    bad = ~np.isfinite(base) | (base <= 0) | (base < min_baseline - _TOL)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"patient {i} has baseline {base[i]!r}, below the measurable minimum {min_baseline}",
            source=source,
            location=f"baseline[{i}]",
            fix="enrol only patients with measurable disease (RECIST 1.1: baseline SLD >= 10 mm)",
        )
    if np.any(size[~np.isnan(size)] < 0):
        raise InputError(
            "sizes must be >= 0 (NaN = not evaluable)",
            source=source,
            location="size",
            fix="pass measured sums (mm or mm^2)",
        )
    if new_lesion_days is None:
        counts = np.zeros((n, v), dtype=int)
    else:
        nl = np.asarray(new_lesion_days, dtype=float)
        nl = nl[:, None] if nl.ndim == 1 else nl
        if nl.ndim != 2 or nl.shape[0] != n:
            raise InputError(
                f"new_lesion_days must be (n_patients,) or (n_patients, k), got {nl.shape}",
                source=source,
                location="new_lesion_days",
                fix="pass the output of outcomes.measurement.new_lesion_days (inf = none)",
            )
        counts = np.sum(nl[:, None, :] <= days[None, :, None] + _TOL, axis=2)
    if assessed is None:
        mask = np.ones((n, v), dtype=bool)
    else:
        mask = np.asarray(assessed, dtype=bool)
        if mask.shape != (n, v):
            raise InputError(
                f"assessed must have shape {(n, v)}, got {mask.shape}",
                source=source,
                location="assessed",
                fix="pass False for visits after death, dropout or end of follow-up",
            )
    return size, base, days, counts, mask


def _best_overall(
    ovr: np.ndarray,
    days: np.ndarray,
    *,
    confirm: bool,
    confirm_min_days: float,
    sd_min_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """BOR and the first day of the counted response (RECIST 1.1 §4.4, Table 3)."""
    n, v = ovr.shape
    is_cr = ovr == Response.CR
    is_resp = is_cr | (ovr == Response.PR)
    if confirm:
        evaluable = np.isin(ovr, _EVALUABLE)
        cr_ok = np.zeros_like(is_cr)
        resp_ok = np.zeros_like(is_cr)
        for i in range(v):
            later = days >= days[i] + confirm_min_days - _TOL
            cand = evaluable & later[None, :]
            has = cand.any(axis=1)
            k = np.argmax(cand, axis=1)
            confirm_code = np.where(has, ovr[np.arange(n), k], Response.NOT_ASSESSED)
            cr_ok[:, i] = is_cr[:, i] & (confirm_code == Response.CR)
            resp_ok[:, i] = is_resp[:, i] & np.isin(confirm_code, (Response.CR, Response.PR))
    else:
        cr_ok, resp_ok = is_cr, is_resp
    sd_ok = np.isin(ovr, (Response.CR, Response.PR, Response.SD)) & (
        days[None, :] >= sd_min_days - _TOL
    )
    bor = np.full(n, Response.NE, dtype=np.int8)
    for code in (Response.IUPD, Response.PD, Response.ICPD):
        bor[(ovr == code).any(axis=1)] = code
    bor[sd_ok.any(axis=1)] = Response.SD
    bor[resp_ok.any(axis=1)] = Response.PR
    bor[cr_ok.any(axis=1)] = Response.CR
    has_resp = resp_ok.any(axis=1)
    response_day = np.where(has_resp, days[np.argmax(resp_ok, axis=1)] if v else np.nan, np.nan)
    return bor, response_day


def _finish(
    criteria: str,
    ovr: np.ndarray,
    size: np.ndarray,
    base: np.ndarray,
    days: np.ndarray,
    pd_day: np.ndarray,
    *,
    confirm: bool,
    confirm_min_days: float,
    sd_min_days: float,
    **extra: np.ndarray,
) -> TumourResponse:
    bor, response_day = _best_overall(
        ovr, days, confirm=confirm, confirm_min_days=confirm_min_days, sd_min_days=sd_min_days
    )
    evaluable = np.isin(ovr, _EVALUABLE)
    last_eval = np.where(
        evaluable.any(axis=1),
        days[::-1][np.argmax(evaluable[:, ::-1], axis=1)] if days.size else np.nan,
        np.nan,
    )
    responder = ~np.isnan(response_day)
    dor_event = responder & np.isfinite(pd_day)
    dor_days = np.where(
        dor_event, pd_day - response_day, np.where(responder, last_eval - response_day, np.nan)
    )
    assessed_size = np.where(np.isin(ovr, (Response.NOT_ASSESSED,)), np.nan, size)
    pct = 100.0 * (assessed_size - base[:, None]) / base[:, None]
    with np.errstate(all="ignore"):
        has_pct = ~np.isnan(pct).all(axis=1)
        best = np.full(pct.shape[0], np.nan)
        best[has_pct] = np.nanmin(pct[has_pct], axis=1)
    return TumourResponse(
        criteria=criteria,
        visit_days=days,
        ovr=ovr,
        bor=bor,
        response_day=response_day,
        pd_day=pd_day,
        dor_days=dor_days,
        dor_event=dor_event,
        pct_change=pct,
        best_pct_change=best,
        **extra,
    )


@dataclass(frozen=True)
class Recist11:
    """RECIST 1.1 overall and best overall response from a measured sum of diameters.

    Per visit (Eisenhauer 2009 §4.3): PD if a new lesion has appeared or SLD rose by
    >= ``pd_increase_frac`` (20 %) **and** >= ``pd_min_increase`` (5 mm) above the nadir
    (smallest sum on study, baseline included); else CR if SLD == 0 (all target lesions gone);
    else PR if SLD fell by >= ``pr_decrease_frac`` (30 %) from baseline; else SD. A NaN size
    without a new lesion is NE. Assessment stops after the first PD.

    Best overall response (§4.4): with ``confirm=True``, CR/PR count only when the first
    evaluable assessment >= ``confirm_min_days`` (28) later shows CR (for CR) or CR/PR (for
    PR); an unconfirmed response counts as SD. SD (or better) counts only when seen at a visit
    >= ``sd_min_days`` (42, protocol-defined) after the start; otherwise BOR is PD if
    progression was seen, else NE.

    Parameters
    ----------
    confirm : require confirmation of CR/PR (single-arm trials; randomized trials need none).
    confirm_min_days : minimum days between a response and its confirming assessment.
    sd_min_days : minimum days from the start for SD to count toward BOR.
    pr_decrease_frac, pd_increase_frac, pd_min_increase, cr_at_or_below, min_baseline :
        RECIST 1.1 thresholds (fractions, mm); change them only for sensitivity analyses.

    Examples
    --------
    PR at day 42 (-50 %), then +24 % / +12 mm over the 50 mm nadir: PD at day 84.

    >>> import numpy as np
    >>> r = Recist11().evaluate(np.array([[50.0, 62.0]]), np.array([100.0]), [42.0, 84.0])
    >>> [Response(c).name for c in r.ovr[0]], Response(r.bor[0]).name, r.pd_day[0]
    (['PR', 'PD'], 'PR', np.float64(84.0))
    """

    confirm: bool = False
    confirm_min_days: float = 28.0
    sd_min_days: float = 42.0
    pr_decrease_frac: float = 0.30
    pd_increase_frac: float = 0.20
    pd_min_increase: float = 5.0
    cr_at_or_below: float = 0.0
    min_baseline: float = 10.0

    name: ClassVar[str] = "RECIST 1.1"
    rules_version: ClassVar[str] = "1"

    @property
    def criteria(self) -> str:
        """Name and rules version recorded in every result."""
        confirmed = ", CR/PR confirmed" if self.confirm else ""
        return f"{self.name}{confirmed} (immunotwin rules v{self.rules_version})"

    def _visit_codes(
        self, s: np.ndarray, base: np.ndarray, nadir: np.ndarray, n_new: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-visit RECIST code ignoring assessment state; also whether target PD is met."""
        evaluable = ~np.isnan(s)
        incr = np.where(evaluable, s - nadir, 0.0)
        target_pd = (
            evaluable
            & (incr > _TOL)
            & (incr >= self.pd_increase_frac * nadir - _TOL)
            & (incr >= self.pd_min_increase - _TOL)
        )
        cr = evaluable & (s <= self.cr_at_or_below + _TOL)
        pr = evaluable & (s - base <= -self.pr_decrease_frac * base + _TOL)
        code = np.where(cr, Response.CR, np.where(pr, Response.PR, Response.SD))
        code = np.where(evaluable, code, Response.NE)
        code = np.where(target_pd | (n_new > 0), Response.PD, code)
        return code.astype(np.int8), target_pd

    def evaluate(
        self,
        size: np.ndarray,
        baseline: np.ndarray,
        visit_days: np.ndarray,
        *,
        new_lesion_days: np.ndarray | None = None,
        assessed: np.ndarray | None = None,
    ) -> TumourResponse:
        """Overall response per visit and best overall response.

        Parameters
        ----------
        size : (n_patients, n_visits) measured SLD (mm) at ``visit_days``; NaN = not evaluable.
        baseline : (n_patients,) measured baseline SLD (mm), >= ``min_baseline``.
        visit_days : (n_visits,) post-baseline assessment days (> 0, increasing).
        new_lesion_days : (n_patients,) or (n_patients, k) days new lesions appear (inf =
            none); a lesion is seen at the first visit on or after its day.
        assessed : (n_patients, n_visits) False where a visit did not happen (after death,
            dropout or end of follow-up); default all True.
        """
        size, base, days, counts, mask = _check_inputs(
            size,
            baseline,
            visit_days,
            new_lesion_days,
            assessed,
            self.min_baseline,
            self.name,
        )
        n, v = size.shape
        ovr = np.zeros((n, v), dtype=np.int8)
        nadir = base.copy()
        progressed = np.zeros(n, dtype=bool)
        pd_day = np.full(n, np.inf)
        for j in range(v):
            active = mask[:, j] & ~progressed
            code, _ = self._visit_codes(size[:, j], base, nadir, counts[:, j])
            code = np.where(active, code, Response.NOT_ASSESSED).astype(np.int8)
            ovr[:, j] = code
            new_pd = active & (code == Response.PD)
            pd_day[new_pd] = days[j]
            progressed |= new_pd
            upd = active & ~np.isnan(size[:, j])
            nadir = np.where(upd, np.fmin(nadir, size[:, j]), nadir)
        return _finish(
            self.criteria,
            ovr,
            size,
            base,
            days,
            pd_day,
            confirm=self.confirm,
            confirm_min_days=self.confirm_min_days,
            sd_min_days=self.sd_min_days,
        )


@dataclass(frozen=True)
class IRecist(Recist11):
    """iRECIST (Seymour 2017): the first RECIST 1.1 progression is unconfirmed (iUPD).

    At the first evaluable assessment >= ``confirm_pd_min_days`` (28) after iUPD (the brief
    asks 4-8 weeks; with a longer visit interval the next assessment is used), iUPD is
    confirmed (iCPD) if the sum rose by >= ``further_increase`` (5 mm) over the iUPD value,
    or another new lesion appeared, or - when iUPD came from a new lesion only - the sum now
    meets RECIST PD. Otherwise it is reset (pseudoprogression: the visit scores iCR/iPR/iSD)
    when the trigger has regressed - the sum no longer meets PD versus the nadir (target
    trigger), or the sum fell below its iUPD value (new-lesion trigger: new lesions are
    assumed to follow the total burden) - and stays iUPD otherwise (checked again at the next
    assessment). After a reset, lesions already seen no longer trigger iUPD; more do.

    ``pd_day`` is the iUPD day of the episode that was never reset (iRECIST: the iUPD date is
    the progression date once confirmed); an iUPD with no later assessment also counts.
    With new lesions present the sum at 0 mm scores iPR, not iCR.
    """

    confirm_pd_min_days: float = 28.0
    further_increase: float = 5.0

    name: ClassVar[str] = "iRECIST"
    rules_version: ClassVar[str] = "1"

    def evaluate(
        self,
        size: np.ndarray,
        baseline: np.ndarray,
        visit_days: np.ndarray,
        *,
        new_lesion_days: np.ndarray | None = None,
        assessed: np.ndarray | None = None,
    ) -> TumourResponse:
        """iRECIST per-visit response and best overall response (see class docstring)."""
        size, base, days, counts, mask = _check_inputs(
            size,
            baseline,
            visit_days,
            new_lesion_days,
            assessed,
            self.min_baseline,
            self.name,
        )
        n, v = size.shape
        ovr = np.zeros((n, v), dtype=np.int8)
        nadir = base.copy()
        pending = np.zeros(n, dtype=bool)
        confirmed = np.zeros(n, dtype=bool)
        by_target = np.zeros(n, dtype=bool)
        iupd_size = np.full(n, np.nan)
        iupd_count = np.zeros(n, dtype=int)
        episode_day = np.full(n, np.inf)
        first_iupd = np.full(n, np.inf)
        icpd_day = np.full(n, np.inf)
        pseudo = np.zeros(n, dtype=bool)
        seen_new = np.zeros(n, dtype=int)  # new lesions already accounted for after a reset
        for j in range(v):
            s = size[:, j]
            count = counts[:, j]
            active = mask[:, j] & ~confirmed
            evaluable = ~np.isnan(s)
            base_code, target_pd = self._visit_codes(s, base, nadir, np.zeros(n, dtype=int))
            # with new lesions still present a 0 mm sum is iPR, not iCR
            base_code = np.where((base_code == Response.CR) & (count > 0), Response.PR, base_code)
            code = np.full(n, Response.NOT_ASSESSED, dtype=np.int8)

            # patients without a pending iUPD: RECIST 1.1 PD starts an iUPD episode
            fresh = active & ~pending
            trigger = fresh & (target_pd | (count > seen_new))
            code[fresh] = base_code[fresh]
            code[trigger] = Response.IUPD
            pending |= trigger
            by_target = np.where(trigger, target_pd, by_target)
            iupd_size = np.where(trigger, s, iupd_size)
            iupd_count = np.where(trigger, count, iupd_count)
            episode_day = np.where(trigger, days[j], episode_day)
            first_iupd = np.where(trigger & np.isinf(first_iupd), days[j], first_iupd)

            # patients with a pending iUPD (from an earlier visit)
            old = active & pending & ~trigger
            due = old & (days[j] >= episode_day + self.confirm_pd_min_days - _TOL)
            code[old] = Response.IUPD
            further = evaluable & np.where(
                np.isnan(iupd_size), target_pd, s - iupd_size >= self.further_increase - _TOL
            )
            conf = due & (further | (count > iupd_count) | (~by_target & target_pd))
            regressed = evaluable & np.where(by_target, ~target_pd, s < iupd_size - _TOL)
            reset = due & ~conf & regressed
            code[due & ~conf & ~evaluable] = Response.NE
            code[conf] = Response.ICPD
            icpd_day[conf] = days[j]
            confirmed |= conf
            code[reset] = base_code[reset]
            pseudo |= reset
            pending &= ~reset
            seen_new = np.where(reset, count, seen_new)
            episode_day = np.where(reset, np.inf, episode_day)

            ovr[:, j] = code
            upd = active & evaluable
            nadir = np.where(upd, np.fmin(nadir, s), nadir)
        pd_day = np.where(pending, episode_day, np.inf)
        return _finish(
            self.criteria,
            ovr,
            size,
            base,
            days,
            pd_day,
            confirm=self.confirm,
            confirm_min_days=self.confirm_min_days,
            sd_min_days=self.sd_min_days,
            iupd_day=first_iupd,
            icpd_day=icpd_day,
            pseudoprogression=pseudo,
        )


@dataclass(frozen=True)
class Lugano2014Ct(Recist11):
    """Lugano-style CT response for lymphoma on the sum of products of diameters (SPD, mm^2).

    Simplified from Cheson 2014 (CT-based criteria) to one lumped SPD: PR = SPD fell >= 50 %
    from baseline; PD = SPD rose >= 50 % from its nadir (Lugano applies this per node, with
    LDi > 15 mm and a minimum absolute increase, which a lumped SPD cannot resolve, hence
    ``pd_min_increase`` 0); CR = SPD <= ``cr_at_or_below`` (0: disappearance; Lugano's
    nodes <= 15 mm LDi and PET Deauville 1-3 are not modelled); new lesion = PD. The same
    BOR machinery as RECIST applies (confirmation off by default).
    """

    pr_decrease_frac: float = 0.50
    pd_increase_frac: float = 0.50
    pd_min_increase: float = 0.0
    cr_at_or_below: float = 0.0
    min_baseline: float = 0.0

    name: ClassVar[str] = "Lugano 2014 CT (SPD, lumped)"
    rules_version: ClassVar[str] = "1"
