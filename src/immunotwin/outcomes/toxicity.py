"""Toxicity grading of the model's injury indices, and the management rules that respond to it.

The model (brief §2.4) carries organ injury indices D_j in [0, 1] (colon, lung, liver, thyroid,
skin), serum IL-6, an endothelial-activation index E and a neuro-inflammation index Nn. Here
they become the grades a clinician records:

- CTCAE v5.0 (NCI, Common Terminology Criteria for Adverse Events v5.0, 27 Nov 2017) for the
  organ irAEs and capillary leak. Liver injury is read as ALT fold over the upper limit of
  normal (ULN) with CTCAE's own cut-offs (> ULN-3, > 3-5, > 5-20, > 20 x ULN); the other organs
  use index thresholds (brief §2.10: 0.1/0.25/0.5/0.8), which are **model-calibration
  assumptions**, not CTCAE text.
- ASTCT consensus grading for CRS and ICANS: Lee DW et al. Biol Blood Marrow Transplant
  2019;25:625-638, doi:10.1016/j.bbmt.2018.12.758.

Every threshold is a parameter with its default and source; see docs/endpoints.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from immunotwin.errors import InputError

__all__ = [
    "IRAE_ORGANS",
    "AstctCrs2019",
    "AstctIcans2019",
    "CtcaeV5",
    "ManagementRules",
    "onset_day",
    "worst_grade",
    "worst_grade_per_patient",
    "worst_grades_table",
]

IRAE_ORGANS: tuple[str, ...] = ("colitis", "pneumonitis", "hepatitis", "hypothyroidism", "rash")
"""Organ irAEs graded from D_col, D_lung, D_liv, D_thy, D_skin (brief §2.2 states 23-27)."""

CTCAE_TERMS: dict[str, str] = {
    "colitis": "Colitis / Diarrhea",
    "pneumonitis": "Pneumonitis",
    "hepatitis": "Alanine aminotransferase increased",
    "hypothyroidism": "Hypothyroidism",
    "rash": "Rash maculo-papular",
    "capillary_leak": "Capillary leak syndrome",
}


def _index(name: str, values: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    bad = np.isnan(arr) | (arr < lo) | (arr > hi)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"{name} must lie in [{lo}, {hi}], got {arr[idx]!r}",
            source="toxicity grading",
            location=f"{name}{list(idx)}",
            fix=f"pass the model's {name} trajectory (a fraction between {lo} and {hi})",
        )
    return arr


def _count_above(values: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    grade = np.zeros(values.shape, dtype=np.int8)
    for t in thresholds:
        grade += values > t
    return grade


@dataclass(frozen=True)
class CtcaeV5:
    """CTCAE v5.0 grades (0-4) of organ irAEs from injury indices D_j in [0, 1].

    Parameters
    ----------
    injury_thresholds : D above which grade 1, 2, 3, 4 are reached for colitis, pneumonitis,
        hypothyroidism and rash (assumption, brief §2.10; calibrate to irAE incidence).
    alt_scale : ``a`` in ALT/ULN = baseline + a * D/(1 - D) (assumption; 6 puts grades 1-4
        at D > 0.077/0.294/0.429/0.765 with the default baseline).
    alt_baseline_fold_uln : ALT/ULN with no injury (assumption: 0.5, a typical normal ALT is
        about half the ULN; the brief's form ULN*(1 + a*D/(1 - D)) is baseline 1.0, which makes
        any D > 0 grade 1).
    alt_fold_thresholds : CTCAE v5 ALT increased, normal baseline: > ULN, > 3, > 5, > 20 x ULN.
    capillary_leak_thresholds : E above which capillary leak is grade 2, 3, 4 (CTCAE v5 has
        no grade 1 for capillary leak syndrome; thresholds are assumptions).

    Notes
    -----
    Rash maculo-papular has grades 1-3 only in CTCAE v5, so rash is capped at 3. Grade 5
    (death) is never assigned from an index; the engine records it from fatal events.
    """

    injury_thresholds: tuple[float, float, float, float] = (0.1, 0.25, 0.5, 0.8)
    alt_scale: float = 6.0
    alt_baseline_fold_uln: float = 0.5
    alt_fold_thresholds: tuple[float, float, float, float] = (1.0, 3.0, 5.0, 20.0)
    capillary_leak_thresholds: tuple[float, float, float] = (0.25, 0.5, 0.8)

    name: ClassVar[str] = "CTCAE v5.0"
    max_grade: ClassVar[dict[str, int]] = {"rash": 3}

    def __post_init__(self) -> None:
        for field in ("injury_thresholds", "alt_fold_thresholds", "capillary_leak_thresholds"):
            values = np.asarray(getattr(self, field), dtype=float)
            if np.any(np.diff(values) <= 0):
                raise InputError(
                    f"{field} must be strictly increasing, got {values.tolist()}",
                    source="CtcaeV5",
                    location=field,
                    fix="list thresholds from grade 1 (or 2) upwards",
                )

    def alt_fold_uln(self, d_liver: np.ndarray) -> np.ndarray:
        """ALT as a multiple of ULN from the liver injury index (brief §2.10, generalised)."""
        d = _index("D_liver", d_liver)
        with np.errstate(divide="ignore"):
            return self.alt_baseline_fold_uln + self.alt_scale * d / (1.0 - d)

    def grade(self, organ: str, index: np.ndarray) -> np.ndarray:
        """CTCAE grade (int8, same shape) of one organ from its injury index D_j."""
        if organ == "hepatitis":
            return _count_above(self.alt_fold_uln(index), self.alt_fold_thresholds)
        if organ not in IRAE_ORGANS:
            raise InputError(
                f"unknown organ {organ!r}",
                source="CtcaeV5.grade",
                location="organ",
                fix=f"use one of {list(IRAE_ORGANS)}",
            )
        grade = _count_above(_index(f"D_{organ}", index), self.injury_thresholds)
        return np.minimum(grade, self.max_grade.get(organ, 4)).astype(np.int8)

    def grade_organs(self, indices: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Grades for every organ given as ``{organ: D_j array}`` (keys from IRAE_ORGANS)."""
        return {organ: self.grade(organ, d) for organ, d in indices.items()}

    def grade_capillary_leak(self, endothelial_index: np.ndarray) -> np.ndarray:
        """Capillary leak syndrome grade (0, 2, 3, 4) from E (IL-2 vascular leak)."""
        e = _index("E", endothelial_index)
        grade = _count_above(e, self.capillary_leak_thresholds)
        return np.where(grade > 0, grade + 1, 0).astype(np.int8)


@dataclass(frozen=True)
class AstctCrs2019:
    """ASTCT 2019 cytokine release syndrome grade (Lee 2019, Table 3) from model signals.

    Fever (>= 38 C) is read as the IL-6 signal I6*(1 - RO_toci) above ``fever_il6_pg_ml``;
    hypotension/hypoxia tiers from the endothelial index E: E > thresholds[0] = grade 2
    (no vasopressor / low-flow O2), > [1] = grade 3 (one vasopressor / high-flow O2),
    > [2] = grade 4 (several vasopressors / positive pressure). CRS needs fever to start; once
    started, hypotension/hypoxia grade it even if fever is masked by antipyretics or
    tocilizumab (Lee 2019 note). All thresholds are model-calibration assumptions.
    """

    fever_il6_pg_ml: float = 30.0
    endothelial_thresholds: tuple[float, float, float] = (0.25, 0.5, 0.8)

    name: ClassVar[str] = "ASTCT 2019 CRS"

    def grade(self, il6_signal_pg_ml: np.ndarray, endothelial_index: np.ndarray) -> np.ndarray:
        """(..., n_times) CRS grade 0-4; time is the last axis."""
        il6 = np.asarray(il6_signal_pg_ml, dtype=float)
        e = _index("E", endothelial_index)
        if il6.shape != e.shape or np.any(np.isnan(il6)) or np.any(il6 < 0):
            raise InputError(
                "IL-6 signal must be >= 0 and have the same shape as E",
                source="AstctCrs2019.grade",
                location="il6_signal_pg_ml",
                fix="pass I6*(1 - RO_toci) in pg/mL on the same time grid as E",
            )
        fever = il6 > self.fever_il6_pg_ml
        started = np.maximum.accumulate(fever, axis=-1)
        organ = _count_above(e, self.endothelial_thresholds)
        organ = np.where(organ > 0, organ + 1, 0)
        grade = np.maximum(fever.astype(np.int8), organ)
        return np.where(started, grade, 0).astype(np.int8)


@dataclass(frozen=True)
class AstctIcans2019:
    """ASTCT 2019 ICANS grade for adults (Lee 2019, Table 5) from the neuro index Nn.

    ICE = round(10*(1 - Nn)) (brief §2.10; halves round up). ICE 10 = grade 0, 7-9 = 1,
    3-6 = 2, 0-2 = 3; Nn >= ``unarousable_nn`` = grade 4 (unarousable; assumption, since an
    ICE of 0 is grade 3 when the patient is awake and grade 4 when unarousable).
    """

    unarousable_nn: float = 0.98

    name: ClassVar[str] = "ASTCT 2019 ICANS"

    def ice_score(self, nn: np.ndarray) -> np.ndarray:
        """Immune effector cell encephalopathy score 0-10 (int8)."""
        n = _index("Nn", nn)
        return np.clip(np.floor(10.0 * (1.0 - n) + 0.5 + 1e-9), 0, 10).astype(np.int8)

    def grade(self, nn: np.ndarray) -> np.ndarray:
        """ICANS grade 0-4 (int8, same shape)."""
        ice = self.ice_score(nn)
        grade = np.select([ice >= 10, ice >= 7, ice >= 3], [0, 1, 2], default=3)
        grade = np.where(np.asarray(nn, dtype=float) >= self.unarousable_nn, 4, grade)
        return grade.astype(np.int8)


def worst_grade(grades: np.ndarray) -> np.ndarray:
    """Worst grade over time (last axis)."""
    return np.max(np.asarray(grades), axis=-1)


def worst_grade_per_patient(grades_by_organ: Mapping[str, np.ndarray]) -> np.ndarray:
    """(n_patients,) worst grade over all organs and times; each value is (n, n_times)."""
    if not grades_by_organ:
        raise InputError(
            "no organ grades given",
            source="worst_grade_per_patient",
            fix="pass {organ: grades array}",
        )
    return np.max(np.stack([worst_grade(g) for g in grades_by_organ.values()]), axis=0)


def onset_day(grades: np.ndarray, days: np.ndarray, min_grade: int = 1) -> np.ndarray:
    """First day (last axis) at which the grade reaches ``min_grade`` (inf if never)."""
    g = np.asarray(grades) >= min_grade
    t = np.asarray(days, dtype=float)
    if g.shape[-1] != t.size:
        raise InputError(
            f"grades have {g.shape[-1]} times but days has {t.size}",
            source="onset_day",
            location="days",
            fix="pass the time grid the grades were computed on",
        )
    first = np.argmax(g, axis=-1)
    return np.where(g.any(axis=-1), t[first], np.inf)


def worst_grades_table(
    grades_by_organ: Mapping[str, np.ndarray],
    days: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per-patient table: ``<organ>_worst_grade`` per organ, ``worst_grade``, ``grade3plus``
    and, when ``days`` is given, ``<organ>_onset_day`` (first grade >= 1; inf if never)."""
    cols: dict[str, np.ndarray] = {}
    for organ, g in grades_by_organ.items():
        cols[f"{organ}_worst_grade"] = worst_grade(g)
        if days is not None:
            cols[f"{organ}_onset_day"] = onset_day(g, days)
    worst = worst_grade_per_patient(grades_by_organ)
    cols["worst_grade"] = worst
    cols["grade3plus"] = worst >= 3
    return pd.DataFrame(cols)


@dataclass(frozen=True)
class ManagementRules:
    """Protocol-layer responses to toxicity grades (brief §2.7; ASCO/ESMO irAE practice).

    irAE organs: hold the checkpoint inhibitor at grade >= ``hold_at_grade`` (2), give
    steroids at >= ``steroids_at_grade`` (2), discontinue at >= ``discontinue_at_grade`` (4)
    and, on anti-CTLA-4, at grade >= 3 colitis or pneumonitis. CRS grade >= 2: tocilizumab;
    ICANS grade >= 2: steroids; capillary leak grade >= 3: skip IL-2 doses.
    """

    hold_at_grade: int = 2
    steroids_at_grade: int = 2
    discontinue_at_grade: int = 4
    ctla4_discontinue_organs: tuple[str, ...] = ("colitis", "pneumonitis")
    ctla4_discontinue_at_grade: int = 3
    tocilizumab_crs_at_grade: int = 2
    steroids_icans_at_grade: int = 2
    skip_il2_capillary_leak_at_grade: int = 3

    ACTIONS: ClassVar[tuple[str, ...]] = (
        "hold_ici",
        "discontinue_ici",
        "steroids",
        "tocilizumab",
        "skip_il2",
    )

    def _flags(self, organ: str, g: np.ndarray, ctla4: np.ndarray) -> dict[str, np.ndarray]:
        if organ in IRAE_ORGANS:
            disc = g >= self.discontinue_at_grade
            if organ in self.ctla4_discontinue_organs:
                disc |= ctla4[:, None] & (g >= self.ctla4_discontinue_at_grade)
            return {
                "discontinue_ici": disc,
                "hold_ici": (g >= self.hold_at_grade) & ~disc,
                "steroids": g >= self.steroids_at_grade,
            }
        if organ == "crs":
            return {"tocilizumab": g >= self.tocilizumab_crs_at_grade}
        if organ == "icans":
            return {"steroids": g >= self.steroids_icans_at_grade}
        if organ == "capillary_leak":
            return {"skip_il2": g >= self.skip_il2_capillary_leak_at_grade}
        raise InputError(
            f"no management rule for {organ!r}",
            source="ManagementRules",
            location="grades_by_organ",
            fix=f"use keys from {list(IRAE_ORGANS)} or crs, icans, capillary_leak",
        )

    def actions(
        self,
        grades_by_organ: Mapping[str, np.ndarray],
        days: np.ndarray,
        *,
        anti_ctla4: bool | np.ndarray = False,
    ) -> pd.DataFrame:
        """Triggered actions as a long table: patient, day, organ, grade, action.

        Parameters
        ----------
        grades_by_organ : ``{organ: (n_patients, n_visits) grades}``, e.g. worst grade per
            visit interval; organs from IRAE_ORGANS plus ``crs``, ``icans``,
            ``capillary_leak``.
        days : (n_visits,) days of the columns.
        anti_ctla4 : whether each patient (or all) receives an anti-CTLA-4 antibody.

        Rows are sorted by patient and day; ``discontinue_ici`` appears at every time the
        criterion is met (the first one is the discontinuation day, see
        :meth:`discontinuation_day`).
        """
        t = np.asarray(days, dtype=float)
        frames = []
        for organ, grades in grades_by_organ.items():
            g = np.asarray(grades)
            if g.ndim != 2 or g.shape[1] != t.size:
                raise InputError(
                    f"grades for {organ} must be (n_patients, {t.size})",
                    source="ManagementRules.actions",
                    location=organ,
                    fix="pass one column per day in days",
                )
            ctla4 = np.broadcast_to(np.asarray(anti_ctla4, dtype=bool), (g.shape[0],))
            for action, flag in self._flags(organ, g, ctla4).items():
                p, j = np.nonzero(flag)
                frames.append(
                    pd.DataFrame(
                        {
                            "patient": p,
                            "day": t[j],
                            "organ": organ,
                            "grade": g[p, j].astype(int),
                            "action": action,
                        }
                    )
                )
        cols = ["patient", "day", "organ", "grade", "action"]
        if not frames:
            return pd.DataFrame(columns=cols)
        out = pd.concat(frames, ignore_index=True)[cols]
        return out.sort_values(["patient", "day", "organ", "action"], ignore_index=True)

    def discontinuation_day(self, actions: pd.DataFrame, n_patients: int) -> np.ndarray:
        """(n_patients,) first day a checkpoint inhibitor is discontinued (inf if never)."""
        out = np.full(n_patients, np.inf)
        disc = actions[actions["action"] == "discontinue_ici"]
        if len(disc):
            first = disc.groupby("patient")["day"].min()
            out[first.index.to_numpy(int)] = first.to_numpy(float)
        return out
