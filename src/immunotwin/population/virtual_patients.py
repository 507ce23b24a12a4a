"""Virtual patients: clinical covariates and biomarkers drawn from a tumour type's catalogue.

Each covariate is drawn independently from its catalogue distribution (no copula yet: the
catalogue gives marginals only), except that an MSI-high patient of a mostly
microsatellite-stable type takes its TMB and CD8 infiltrate from the MSI-high type
(:data:`MSI_HIGH_REFERENCE_TYPE`). Trial ``population`` filters are applied by rejection: draws
come in fixed blocks from one generator, so the same seed gives the same patients however many
are rejected, and a filter that keeps almost nobody fails with a clear message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from immunotwin.errors import SpecError
from immunotwin.population.catalog import Distribution, TumorType
from immunotwin.therapies.schedule import bsa_m2_from_weight

BLOCK = 4096
MIN_ACCEPTANCE = 1e-3

GFR_MEDIAN_ML_PER_MIN = 85.0
GFR_SIGMA_LOG = 0.25
"""Creatinine clearance of adult oncology patients, log-normal (assumption: typical eGFR of
trial populations aged ~60-65 with eGFR >= 45-60 mL/min required for platinum; not fitted)."""


MSI_HIGH_REFERENCE_TYPE = "crc_msi_h"
"""Catalogue type whose TMB describes an MSI-high / dMMR tumour of any histology.
Mismatch-repair deficiency makes a tumour hypermutated whatever its tissue (Chalmers 2017
Genome Med 9:34, doi:10.1186/s13073-017-0424-2: MSI-H tumours are TMB-high; Le 2017 Science
357:409, doi:10.1126/science.aan6733: dMMR across 12 cancer types responds to PD-1 blockade
independent of tissue), so an MSI-high patient of a type that is mostly microsatellite-stable
(e.g. gastric) draws TMB from this type's distribution. It draws its CD8 infiltrate from this
type too: mismatch-repair-deficient tumours are T-cell-inflamed across tissues (Llosa 2015
Cancer Discov 5:43, doi:10.1158/2159-8290.CD-14-0863: dense activated CD8 infiltrate in MSI
colorectal cancer; Thorsson 2018 Immunity 48:812: MSI-high tumours of every tissue concentrate
in the IFN-gamma-dominant immune subtype). A histology whose MMR-deficient tumours stay cold
says so in its catalogue entry (``immune.cd8_relative_msi_high``, e.g. glioblastoma)."""

MARROW_FULL_EQUIVALENT_SLD_MM = 142.5
"""Marrow disease (B-ALL, myeloma) as an equivalent measurable burden: a fully involved marrow is
read as ≈5e10 cancer cells, the burden of three equal spheres whose diameters sum to 142.5 mm at
the model's default cell volume and cellular fraction; involvement f gives 142.5 mm x f^(1/3)
(assumption: leukaemic burden of the order 1e10-1e11 cells, kept below the logistic capacity).
Response is then read from the burden change (CR ≈ burden below the detection limit)."""


def _draw(dist: Distribution | None, rng: np.random.Generator, n: int) -> np.ndarray:
    if dist is None:
        return np.full(n, np.nan)
    return np.asarray(dist.sample(rng, n))


def _block(
    tumor: TumorType,
    rng: np.random.Generator,
    n: int,
    line: int,
    msi_reference: TumorType | None = None,
) -> pd.DataFrame:
    c, b = tumor.clinical, tumor.biomarkers
    weight = _draw(c.weight_kg, rng, n).astype(float)
    size = tumor.baseline_sld_mm or tumor.baseline_diameter_mm
    frame = pd.DataFrame(
        {
            "age_years": _draw(c.age_years, rng, n).astype(float),
            "sex_female": _draw(c.sex_female, rng, n).astype(bool),
            "weight_kg": weight,
            "bsa_m2": bsa_m2_from_weight(weight),
            "gfr_ml_per_min": GFR_MEDIAN_ML_PER_MIN * rng.lognormal(0.0, GFR_SIGMA_LOG, n),
            "ecog": _draw(c.ecog, rng, n).astype(int),
            "albumin_g_per_l": _draw(c.albumin_g_per_l, rng, n).astype(float),
            "nlr": _draw(c.nlr, rng, n).astype(float),
            "tmb": _draw(b.tmb_mut_per_mb, rng, n).astype(float),
            "pdl1_tps": _draw(b.pdl1_tps, rng, n).astype(float),
            "pdl1_cps": _draw(b.pdl1_cps, rng, n).astype(float),
            "msi_high": _draw(b.msi_high, rng, n).astype(bool),
            "hla_loh": _draw(b.hla_loh, rng, n).astype(bool),
            "b2m_loss": _draw(b.b2m_loss, rng, n).astype(bool),
            "hla_a0201": _draw(c.hla_a02_carrier, rng, n).astype(bool),
            "fcgr3a": _draw(c.fcgr3a_genotype, rng, n).astype(str),
            "baseline_sld_mm": _draw(size, rng, n).astype(float),
            "growth_rate_per_day": _draw(tumor.growth_rate_per_day, rng, n).astype(float),
            "line": np.full(n, line, dtype=int),
        }
    )
    if size is None and tumor.baseline_marrow_involvement_fraction is not None:
        fraction = _draw(tumor.baseline_marrow_involvement_fraction, rng, n).astype(float)
        frame["marrow_involvement_fraction"] = fraction
        frame["baseline_sld_mm"] = MARROW_FULL_EQUIVALENT_SLD_MM * np.cbrt(fraction)
    for name, dist in b.target_antigens.items():
        frame[name] = _draw(dist, rng, n)
    immune = tumor.immune
    frame["cd8_relative"] = _draw(immune.cd8_relative, rng, n).astype(float)
    frame["treg_cd8_ratio"] = _draw(immune.treg_cd8_ratio, rng, n).astype(float)
    if msi_reference is not None:
        # drawn for the whole block, so the stream does not depend on how many rows are MSI-high
        tmb = _draw(msi_reference.biomarkers.tmb_mut_per_mb, rng, n).astype(float)
        cd8_msi_high = immune.cd8_relative_msi_high or msi_reference.immune.cd8_relative
        cd8 = _draw(cd8_msi_high, rng, n).astype(float)
        msi = frame["msi_high"].to_numpy(dtype=bool)
        frame["tmb"] = np.where(msi, tmb, frame["tmb"].to_numpy(dtype=float))
        frame["cd8_relative"] = np.where(msi, cd8, frame["cd8_relative"].to_numpy(dtype=float))
    return frame


def msi_high_reference(tumor: TumorType) -> TumorType | None:
    """The MSI-high reference type for a type with some (but not only) MSI-high patients."""
    p = getattr(tumor.biomarkers.msi_high, "p", None)
    if p is None or not 0.0 < p < 1.0:
        return None
    from immunotwin.population.catalog import load_tumor_catalog

    return load_tumor_catalog().get(MSI_HIGH_REFERENCE_TYPE)


def _keep(frame: pd.DataFrame, filters: dict, tumor_key: str) -> np.ndarray:
    keep = np.ones(len(frame), dtype=bool)
    for name, rule in filters.items():
        column = {"age": "age_years", "msi": "msi_high", "her2": "her2_ihc"}.get(name, name)
        if column == "prior_anti_pd1":
            continue  # recorded on the patient; treatment history does not change sampling yet
        if column not in frame or frame[column].isna().all():
            raise SpecError(
                f"population filter '{name}' cannot be applied: tumour type '{tumor_key}' has no "
                f"'{column}' distribution in the catalogue",
                source="trial spec",
                location=f"population.{name}",
                fix="remove the filter or use a biomarker this tumour type reports "
                "(`immunotwin catalog tumors --json`)",
            )
        values = frame[column]
        if hasattr(rule, "min"):
            if rule.min is not None:
                keep &= values.to_numpy() >= rule.min
            if rule.max is not None:
                keep &= values.to_numpy() <= rule.max
        elif column == "msi_high":
            keep &= values.to_numpy() == (str(rule).lower() in ("high", "msi-h", "true"))
        else:
            keep &= values.to_numpy() == rule
    return keep


def sample_patients(
    tumor: TumorType,
    n: int,
    *,
    seed: int,
    filters: dict | None = None,
    line: int | None = None,
    stream: int = 0,
) -> pd.DataFrame:
    """``n`` virtual patients of ``tumor`` passing ``filters`` (trial-spec population rules).

    ``stream`` > 0 selects an independent random stream for the same seed (the tumour types of
    a basket arm draw from their own streams)."""
    filters = dict(filters or {})
    rng = np.random.default_rng(_seed_sequence(seed, stream))
    kept: list[pd.DataFrame] = []
    drawn = accepted = 0
    while accepted < n:
        block = _filtered_block(tumor, rng, filters, line)
        kept.append(block)
        drawn += BLOCK
        accepted += len(block)
        if drawn >= 50 * BLOCK and accepted < MIN_ACCEPTANCE * drawn:
            raise SpecError(
                f"the population filters keep only {accepted} of {drawn} virtual "
                f"'{tumor.key}' patients",
                source="trial spec",
                location="population",
                fix="loosen the filters; see the biomarker distributions with "
                "`immunotwin catalog tumors --json`",
            )
    patients = pd.concat(kept, ignore_index=True).iloc[:n].reset_index(drop=True)
    patients.insert(0, "patient_id", np.arange(n))
    return patients


def filter_acceptance(
    tumor: TumorType, *, seed: int, filters: dict | None = None, stream: int = 0
) -> float:
    """Share of ``tumor``'s virtual patients that pass ``filters``, read from the first block
    of draws of ``sample_patients`` with the same seed and stream (deterministic)."""
    rng = np.random.default_rng(_seed_sequence(seed, stream))
    return len(_filtered_block(tumor, rng, dict(filters or {}), None)) / BLOCK


def _seed_sequence(seed: int, stream: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, 0x5EED] + ([stream] if stream else []))


def _filtered_block(
    tumor: TumorType, rng: np.random.Generator, filters: dict, line: int | None
) -> pd.DataFrame:
    """One block of ``BLOCK`` draws of ``tumor``, keeping the rows that pass ``filters``."""
    line_value = filters.get("line", line or tumor.line_of_therapy_default)
    if not isinstance(line_value, int):
        line_value = tumor.line_of_therapy_default
    block = _block(tumor, rng, BLOCK, line_value, msi_high_reference(tumor))
    return block[_keep(block, filters, tumor.key)]
