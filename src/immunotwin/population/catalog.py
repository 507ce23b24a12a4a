"""The packaged tumour-type catalogue: per-indication distributions of burden, growth, immune
context, biomarkers and clinical covariates, each with unit, source and confidence.

The data live in ``immunotwin/data/tumors.toml``. A ``[defaults]`` table holds distributions
shared by adult solid tumours (age, weight, albumin, ECOG, ...); each ``[tumors.<key>]`` table
overrides them field by field inside the ``immune``, ``biomarkers`` and ``clinical`` groups.

Confidence levels are those of the drug catalogue (``curated``, ``literature``, ``recall``,
``assumption``); an ``assumption`` must state its ``basis``. No trial outcome is used as input.

``python -m immunotwin.population.catalog --markdown`` prints the catalogue as Markdown.
"""

from __future__ import annotations

import difflib
import math
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from immunotwin.errors import CatalogError

__all__ = [
    "Bernoulli",
    "Beta",
    "Biomarkers",
    "Categorical",
    "ClinicalCovariates",
    "Distribution",
    "Fixed",
    "Histogram",
    "ImmuneContext",
    "LogNormal",
    "LogUniform",
    "Normal",
    "TumorCatalog",
    "TumorType",
    "Uniform",
    "load_tumor_catalog",
    "tumor_catalog_markdown",
]

_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

Confidence = Literal["curated", "literature", "recall", "assumption"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Dist(_Frozen):
    """Common fields: the unit of the sampled value, its source, confidence and basis."""

    unit: str
    source: str = Field(min_length=3)
    confidence: Confidence
    basis: str | None = None

    @model_validator(mode="after")
    def _assumption_needs_basis(self) -> _Dist:
        if self.confidence == "assumption" and not (self.basis and self.basis.strip()):
            raise ValueError("confidence 'assumption' requires a 'basis' saying what it rests on")
        return self


class LogNormal(_Dist):
    """Log-normal with the given median and log-scale standard deviation ``sigma``."""

    kind: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return self.median * np.exp(self.sigma * rng.standard_normal(n))

    def typical(self) -> float:
        """The median."""
        return self.median


class Normal(_Dist):
    """Normal(mean, sd), optionally truncated to [low, high] (exact truncation, not clipping)."""

    kind: Literal["normal"] = "normal"
    mean: float
    sd: float = Field(ge=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Normal:
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError("low must be below high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        if self.sd == 0:
            return np.full(n, self.mean)
        a = -np.inf if self.low is None else (self.low - self.mean) / self.sd
        b = np.inf if self.high is None else (self.high - self.mean) / self.sd
        return stats.truncnorm.rvs(a, b, loc=self.mean, scale=self.sd, size=n, random_state=rng)

    def typical(self) -> float:
        """The median of the (truncated) distribution."""
        if self.sd == 0:
            return self.mean
        a = -np.inf if self.low is None else (self.low - self.mean) / self.sd
        b = np.inf if self.high is None else (self.high - self.mean) / self.sd
        return float(stats.truncnorm.median(a, b, loc=self.mean, scale=self.sd))


class Beta(_Dist):
    """Beta(alpha, beta) on [0, 1]."""

    kind: Literal["beta"] = "beta"
    alpha: float = Field(gt=0)
    beta: float = Field(gt=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return rng.beta(self.alpha, self.beta, n)

    def typical(self) -> float:
        """The median."""
        return float(stats.beta.median(self.alpha, self.beta))


class Uniform(_Dist):
    """Uniform on [low, high]."""

    kind: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _bounds(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError("low must be below high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return rng.uniform(self.low, self.high, n)

    def typical(self) -> float:
        """The median."""
        return (self.low + self.high) / 2.0


class LogUniform(_Dist):
    """Log-uniform on [low, high] (both > 0)."""

    kind: Literal["loguniform"] = "loguniform"
    low: float = Field(gt=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> LogUniform:
        if self.low >= self.high:
            raise ValueError("low must be below high")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        return np.exp(rng.uniform(math.log(self.low), math.log(self.high), n))

    def typical(self) -> float:
        """The median (geometric mean of the bounds)."""
        return math.sqrt(self.low * self.high)


class Fixed(_Dist):
    """A constant."""

    kind: Literal["fixed"] = "fixed"
    value: float

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Return ``n`` copies of the value."""
        return np.full(n, self.value)

    def typical(self) -> float:
        """The value."""
        return self.value


class Bernoulli(_Dist):
    """True with probability ``p`` (a prevalence, e.g. MSI-high fraction)."""

    kind: Literal["bernoulli"] = "bernoulli"
    p: float = Field(ge=0, le=1)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` booleans."""
        return rng.random(n) < self.p

    def typical(self) -> float:
        """The probability."""
        return self.p


class Categorical(_Dist):
    """Empirical categorical distribution over ``values`` (labels or numbers)."""

    kind: Literal["categorical"] = "categorical"
    values: tuple[str | float | int, ...] = Field(min_length=1)
    probabilities: tuple[float, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _probabilities(self) -> Categorical:
        if len(self.values) != len(self.probabilities):
            raise ValueError("values and probabilities differ in length")
        if any(p < 0 for p in self.probabilities):
            raise ValueError("probabilities must be >= 0")
        if abs(sum(self.probabilities) - 1.0) > 1e-6:
            raise ValueError(f"probabilities sum to {sum(self.probabilities)}, not 1")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        p = np.asarray(self.probabilities, dtype=float)
        idx = rng.choice(len(self.values), size=n, p=p / p.sum())
        return np.asarray(self.values, dtype=object if _has_str(self.values) else float)[idx]

    def typical(self) -> str | float | int:
        """The most probable value."""
        return self.values[int(np.argmax(self.probabilities))]


class Histogram(_Dist):
    """Bins with probabilities; values are uniform within a bin.

    Used for PD-L1 TPS (fraction of tumour cells, edges e.g. [0, 0.01, 0.5, 1]) and CPS
    (edges e.g. [0, 1, 10, 100]) so that trial filters such as ``pdl1_tps: {min: 0.50}`` act on
    a number.
    """

    kind: Literal["histogram"] = "histogram"
    edges: tuple[float, ...] = Field(min_length=2)
    probabilities: tuple[float, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Histogram:
        if len(self.edges) != len(self.probabilities) + 1:
            raise ValueError("need len(edges) == len(probabilities) + 1")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("edges must increase")
        if any(p < 0 for p in self.probabilities):
            raise ValueError("probabilities must be >= 0")
        if abs(sum(self.probabilities) - 1.0) > 1e-6:
            raise ValueError(f"probabilities sum to {sum(self.probabilities)}, not 1")
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values."""
        p = np.asarray(self.probabilities, dtype=float)
        idx = rng.choice(len(p), size=n, p=p / p.sum())
        lo = np.asarray(self.edges[:-1])[idx]
        hi = np.asarray(self.edges[1:])[idx]
        return lo + (hi - lo) * rng.random(n)

    def bin_fraction(self, low: float, high: float) -> float:
        """Probability mass between two edges (they must be edges of the histogram)."""
        edges = list(self.edges)
        i, j = edges.index(low), edges.index(high)
        return float(sum(self.probabilities[i:j]))

    def typical(self) -> float:
        """The median (linear interpolation within the bin)."""
        cum = 0.0
        for (a, b), p in zip(
            zip(self.edges, self.edges[1:], strict=False), self.probabilities, strict=True
        ):
            if cum + p >= 0.5 and p > 0:
                return a + (b - a) * (0.5 - cum) / p
            cum += p
        return self.edges[-1]


def _has_str(values: tuple[Any, ...]) -> bool:
    return any(isinstance(v, str) for v in values)


Distribution = Annotated[
    LogNormal | Normal | Beta | Uniform | LogUniform | Fixed | Bernoulli | Categorical | Histogram,
    Field(discriminator="kind"),
]


class ImmuneContext(_Frozen):
    """Tumour immune context; ratios are the QSP-IO selection observables (brief §1.5)."""

    cd8_density_cells_per_mm2: Distribution | None = None
    cd8_relative: Distribution | None = None
    cd8_relative_msi_high: Distribution | None = None
    """CD8 entry of this histology's MSI-high tumours, where it is not the MSI-high reference
    type's (virtual_patients.MSI_HIGH_REFERENCE_TYPE), e.g. immune-cold MMR-deficient glioma."""
    treg_cd8_ratio: Distribution
    m1_m2_ratio: Distribution
    mdsc_relative: Distribution

    @model_validator(mode="after")
    def _cd8(self) -> ImmuneContext:
        if self.cd8_density_cells_per_mm2 is None and self.cd8_relative is None:
            raise ValueError("give cd8_density_cells_per_mm2 or cd8_relative")
        return self


_ANTIGEN_KEYS = frozenset(
    {
        "cd19_positive",
        "cd20_positive",
        "bcma_positive",
        "her2_ihc",
        "mage_a4_positive",
        "egfr_positive",
        "cd19_density_relative",
        "cd20_density_relative",
        "bcma_density_relative",
    }
)


class Biomarkers(_Frozen):
    """Tumour biomarkers. TPS is a fraction of tumour cells (0-1); CPS is 0-100."""

    tmb_mut_per_mb: Distribution
    pdl1_tps: Distribution | None = None
    pdl1_cps: Distribution | None = None
    msi_high: Distribution
    hla_loh: Distribution
    b2m_loss: Distribution
    target_antigens: dict[str, Distribution] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _antigen_keys(self) -> Biomarkers:
        unknown = set(self.target_antigens) - _ANTIGEN_KEYS
        if unknown:
            raise ValueError(
                f"unknown target_antigens {sorted(unknown)}; allowed {sorted(_ANTIGEN_KEYS)}"
            )
        return self


class ClinicalCovariates(_Frozen):
    """Patient-level covariates used by popPK (§3) and OS models (§4.3)."""

    fcgr3a_genotype: Distribution
    hla_a02_carrier: Distribution
    ecog: Distribution
    albumin_g_per_l: Distribution
    nlr: Distribution
    age_years: Distribution
    weight_kg: Distribution
    sex_female: Distribution


class TumorType(_Frozen):
    """One indication. Heme entries may give marrow involvement instead of SLD."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    display_name: str
    histology_notes: str
    heme: bool
    response_criteria: Literal["recist11", "lugano", "iwg_myeloma", "all_marrow"]
    line_of_therapy_default: int = Field(ge=1)
    line_of_therapy_basis: str
    baseline_sld_mm: Distribution | None = None
    baseline_diameter_mm: Distribution | None = None
    baseline_marrow_involvement_fraction: Distribution | None = None
    growth_rate_per_day: Distribution
    immune: ImmuneContext
    biomarkers: Biomarkers
    clinical: ClinicalCovariates
    sources: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _burden(self) -> TumorType:
        if self.baseline_sld_mm is None and self.baseline_marrow_involvement_fraction is None:
            raise ValueError("give baseline_sld_mm or baseline_marrow_involvement_fraction")
        if not self.heme and self.baseline_sld_mm is None:
            raise ValueError("solid tumours need baseline_sld_mm")
        if self.pdl1 is None and not self.heme:
            raise ValueError("solid tumours need pdl1_tps or pdl1_cps")
        return self

    @property
    def pdl1(self) -> Distribution | None:
        """The PD-L1 distribution given (TPS preferred)."""
        return self.biomarkers.pdl1_tps or self.biomarkers.pdl1_cps

    def distributions(self) -> dict[str, Any]:
        """All distributions by dotted name (e.g. ``"biomarkers.tmb_mut_per_mb"``)."""
        out: dict[str, Any] = {}
        for name in (
            "baseline_sld_mm",
            "baseline_diameter_mm",
            "baseline_marrow_involvement_fraction",
            "growth_rate_per_day",
        ):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        for group in ("immune", "biomarkers", "clinical"):
            block = getattr(self, group)
            for name in type(block).model_fields:
                value = getattr(block, name)
                if isinstance(value, dict):
                    out.update({f"{group}.{name}.{k}": v for k, v in value.items()})
                elif value is not None:
                    out[f"{group}.{name}"] = value
        return out


class TumorCatalog(_Frozen):
    """All tumour types, keyed by catalogue key."""

    tumors: dict[str, TumorType]

    def get(self, key: str) -> TumorType:
        """Return the tumour type or raise CatalogError listing the closest keys."""
        try:
            return self.tumors[key]
        except KeyError:
            norm = key.lower().replace("-", "_").replace(" ", "_")
            suggestions = difflib.get_close_matches(norm, self.keys(), n=5, cutoff=0.5)
            hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
            raise CatalogError(
                f"unknown tumour type '{key}'{hint}",
                source="tumour catalogue",
                fix="use a key from `immunotwin catalog tumors`",
            ) from None

    def keys(self) -> list[str]:
        """Catalogue keys in file order."""
        return list(self.tumors)

    def __contains__(self, key: object) -> bool:
        return key in self.tumors

    def __iter__(self):  # type: ignore[override]
        return iter(self.tumors.values())

    def __len__(self) -> int:
        return len(self.tumors)


_GROUPS = ("immune", "biomarkers", "clinical")


def _merge_defaults(entry: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in defaults.items() if k not in _GROUPS}
    merged.update({k: v for k, v in entry.items() if k not in _GROUPS})
    for group in _GROUPS:
        block = dict(defaults.get(group, {}))
        block.update(entry.get(group, {}))
        if block:
            merged[group] = block
    return merged


def parse_tumor_catalog(data: dict[str, Any], source: str = "tumors.toml") -> TumorCatalog:
    """Validate a parsed tumour TOML document (``[defaults]`` plus ``[tumors.<key>]``)."""
    tumors = data.get("tumors")
    if not isinstance(tumors, dict) or not tumors:
        raise CatalogError("no [tumors.<key>] tables found", source=source, fix="add tumour tables")
    defaults = data.get("defaults", {})
    entries = {}
    for key, entry in tumors.items():
        base = defaults.get("heme" if entry.get("heme") else "solid", {})
        entries[key] = _merge_defaults({"key": key, **entry}, base)
    try:
        return TumorCatalog(tumors=entries)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CatalogError(
            first["msg"],
            source=source,
            location=".".join(str(p) for p in first["loc"]),
            fix="correct the entry so it matches the schema in immunotwin.population.catalog",
        ) from exc


@cache
def load_tumor_catalog() -> TumorCatalog:
    """Read and validate the packaged tumour-type catalogue (cached)."""
    text = (_DATA_DIR / "tumors.toml").read_text(encoding="utf-8")
    return parse_tumor_catalog(tomllib.loads(text), source="immunotwin/data/tumors.toml")


def _describe(dist: Any) -> str:
    kind = dist.kind
    if kind == "lognormal":
        return f"LN(median {dist.median:g}, σ {dist.sigma:g})"
    if kind == "normal":
        return f"N({dist.mean:g}, {dist.sd:g})"
    if kind == "bernoulli":
        return f"p = {dist.p:g}"
    if kind == "histogram":
        bins = ", ".join(
            f"[{a:g},{b:g}): {p:g}"
            for (a, b), p in zip(
                zip(dist.edges, dist.edges[1:], strict=False), dist.probabilities, strict=True
            )
        )
        return f"bins {bins}"
    if kind == "categorical":
        pairs = zip(dist.values, dist.probabilities, strict=True)
        return ", ".join(f"{v}: {p:g}" for v, p in pairs)
    if kind == "fixed":
        return f"{dist.value:g}"
    if kind == "beta":
        return f"Beta({dist.alpha:g}, {dist.beta:g})"
    return kind


def tumor_catalog_markdown(catalog: TumorCatalog | None = None) -> str:
    """Markdown tables: one overview row per tumour, then key distributions with sources."""
    catalog = catalog or load_tumor_catalog()
    lines = [
        "| key | name | heme | criteria | line | baseline burden | growth rate (1/day) |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in catalog:
        burden = t.baseline_sld_mm or t.baseline_marrow_involvement_fraction
        lines.append(
            f"| `{t.key}` | {t.display_name} | {'yes' if t.heme else 'no'} | "
            f"{t.response_criteria} | {t.line_of_therapy_default} | {_describe(burden)} "
            f"{burden.unit} | {_describe(t.growth_rate_per_day)} |"
        )
    lines += [
        "",
        "| key | quantity | distribution | unit | confidence | source |",
        "|---|---|---|---|---|---|",
    ]
    shown = (
        "baseline_sld_mm",
        "growth_rate_per_day",
        "biomarkers.tmb_mut_per_mb",
        "biomarkers.pdl1_tps",
        "biomarkers.pdl1_cps",
        "biomarkers.msi_high",
        "biomarkers.hla_loh",
        "biomarkers.b2m_loss",
    )
    for t in catalog:
        for name, dist in t.distributions().items():
            if name in shown or name.startswith("biomarkers.target_antigens"):
                lines.append(
                    f"| `{t.key}` | {name} | {_describe(dist)} | {dist.unit} | {dist.confidence} "
                    f"| {dist.source.replace('|', '/')} |"
                )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m immunotwin.population.catalog [--markdown]``."""
    args = sys.argv[1:] if argv is None else argv
    catalog = load_tumor_catalog()
    if "--markdown" in args:
        sys.stdout.write(tumor_catalog_markdown(catalog))
    else:
        for t in catalog:
            sys.stdout.write(f"{t.key}\t{t.display_name}\t{t.response_criteria}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
