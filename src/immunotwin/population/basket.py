"""Basket arms: one arm that enrols several tumour types (e.g. KEYNOTE-158 cohorts A-J).

A trial spec with ``tumor_type: basket`` gives ``tumor_mix``: each tumour type's share of
enrolment *before* the population filters (the cohort sizes a basket trial reports). A filter
such as ``tmb: {min: 10}`` then keeps each type in proportion to how often its own catalogue
distributions pass it, so the enrolled mix follows from the per-type biomarker prevalence
rather than being typed in: share_k ∝ w_k · P_k(pass filters). Where a trial reports the types
of the patients it enrolled *after* biomarker selection (KEYNOTE-158's MSI-H cohort), the spec
says ``tumor_mix_counts: enrolled`` and the shares are used as given. Each virtual patient keeps
its own type (``tumor_type`` column), and every per-type quantity (immune context, survival
hazard multiplier) is read from that type.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from immunotwin.errors import SpecError
from immunotwin.population.catalog import TumorType, load_tumor_catalog
from immunotwin.population.virtual_patients import (
    MIN_ACCEPTANCE,
    filter_acceptance,
    sample_patients,
)
from immunotwin.trials.spec import BASKET, TrialSpec

log = logging.getLogger(__name__)

TUMOR_TYPE_COLUMN = "tumor_type"


@dataclass(frozen=True)
class TumourMix:
    """The tumour types of a basket arm and their enrolment shares (before filtering, unless
    ``counts`` is ``"enrolled"``)."""

    members: tuple[TumorType, ...]
    shares: tuple[float, ...]
    counts: str = "screened"
    key: str = BASKET

    @property
    def response_criteria(self) -> str:
        return self.members[0].response_criteria


def tumour_mix(
    shares: Mapping[str, float], *, counts: str = "screened", source: str = "trial spec"
) -> TumourMix:
    """A :class:`TumourMix` from catalogue keys and positive shares (normalised here).

    The members must share their response criteria: RECIST and Lugano types are not read on
    one scale."""
    catalog = load_tumor_catalog()
    members = tuple(catalog.get(key) for key in shares)
    criteria = {m.response_criteria for m in members}
    if len(criteria) > 1:
        raise SpecError(
            f"the basket mixes response criteria {sorted(criteria)}",
            source=source,
            location="tumor_mix",
            fix="put solid tumours (RECIST 1.1) and lymphomas (Lugano) in separate trials",
        )
    total = float(sum(shares.values()))
    return TumourMix(members, tuple(float(v) / total for v in shares.values()), counts)


def spec_tumour(spec: TrialSpec) -> TumorType | TumourMix:
    """The tumour type of a trial spec: a catalogue entry, or the basket's mix."""
    if spec.tumor_mix:
        return tumour_mix(spec.tumor_mix, counts=spec.tumor_mix_counts)
    return load_tumor_catalog().get(spec.tumor_type)


def enrolled_shares(mix: TumourMix, *, seed: int, filters: dict | None) -> np.ndarray:
    """Each member's share of the patients who pass ``filters``: w_k · P_k(pass), normalised,
    or w_k itself where the shares count enrolled patients.

    A member that (almost) never passes (P < ``MIN_ACCEPTANCE``) enrols nobody; with enrolled
    shares that is an error, since the trial did enrol it."""
    acceptance = np.array(
        [
            filter_acceptance(member, seed=seed, filters=filters, stream=k + 1)
            for k, member in enumerate(mix.members)
        ]
    )
    acceptance[acceptance < MIN_ACCEPTANCE] = 0.0
    if mix.counts == "enrolled":
        _check_enrolled(mix, acceptance)
        return np.asarray(mix.shares)
    weighted = np.asarray(mix.shares) * acceptance
    if weighted.sum() <= 0.0:
        raise SpecError(
            "no tumour type of the basket has patients who pass the population filters",
            source="trial spec",
            location="population",
            fix="loosen the filters; see the biomarker distributions with "
            "`immunotwin catalog tumors --json`",
        )
    dropped = [m.key for m, a in zip(mix.members, acceptance, strict=True) if a == 0.0]
    if dropped:
        log.info("basket members with no patient passing the filters: %s", ", ".join(dropped))
    return weighted / weighted.sum()


def _check_enrolled(mix: TumourMix, acceptance: np.ndarray) -> None:
    never = [m.key for m, a in zip(mix.members, acceptance, strict=True) if a == 0.0]
    if never:
        raise SpecError(
            f"tumour type(s) {', '.join(never)} of the basket (almost) never pass the "
            "population filters, but tumor_mix_counts 'enrolled' says the trial enrolled them",
            source="trial spec",
            location=f"tumor_mix.{never[0]}",
            fix="drop the type from tumor_mix, loosen the filters, or check its biomarker "
            "prevalence with `immunotwin catalog tumors --json`",
        )


def sample_basket_patients(
    mix: TumourMix, n: int, *, seed: int, filters: dict | None = None
) -> pd.DataFrame:
    """``n`` virtual patients of a basket arm, each of its own type (``tumor_type`` column).

    Patient ``i``'s type is drawn from one stream and its covariates from its type's own
    stream, so patient ``i`` does not depend on ``n`` (fixed-block sampling, as for one type).
    """
    shares = enrolled_shares(mix, seed=seed, filters=filters)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xBA5CE7]))
    member = np.searchsorted(np.cumsum(shares), rng.random(n), side="right")
    member = np.minimum(member, len(shares) - 1)
    tables = []
    for k, tumor in enumerate(mix.members):
        rows = np.flatnonzero(member == k)
        if rows.size == 0:
            continue
        table = sample_patients(tumor, rows.size, seed=seed, filters=filters, stream=k + 1)
        table = table.drop(columns="patient_id").set_index(pd.Index(rows))
        table.insert(0, TUMOR_TYPE_COLUMN, tumor.key)
        tables.append(table)
    patients = pd.concat(tables).sort_index().reset_index(drop=True)
    patients.insert(0, "patient_id", np.arange(n))
    return patients


def arm_sample(
    tumour: TumorType | TumourMix, n: int, *, seed: int, filters: dict | None = None
) -> pd.DataFrame:
    """Virtual patients of one type or of a basket."""
    if isinstance(tumour, TumourMix):
        return sample_basket_patients(tumour, n, seed=seed, filters=filters)
    return sample_patients(tumour, n, seed=seed, filters=filters)


def tumour_groups(
    patients: pd.DataFrame, tumour: TumorType | TumourMix
) -> list[tuple[TumorType, np.ndarray]]:
    """(tumour type, row indices) of each type present among ``patients``."""
    if not isinstance(tumour, TumourMix):
        return [(tumour, np.arange(len(patients)))]
    types = patients[TUMOR_TYPE_COLUMN].to_numpy()
    groups = [(m, np.flatnonzero(types == m.key)) for m in tumour.members]
    return [(m, rows) for m, rows in groups if rows.size]


def patient_tumour_types(patients: pd.DataFrame, tumor_type: str) -> str | np.ndarray:
    """Each patient's tumour type where the table records it (a basket), else the spec's."""
    if TUMOR_TYPE_COLUMN in patients:
        return patients[TUMOR_TYPE_COLUMN].to_numpy()
    return tumor_type
