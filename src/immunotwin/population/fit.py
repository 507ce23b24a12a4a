"""Fit population-level hyper-parameters to the published calibration arms (likelihood-free).

Method (``immunotwin calibrate``): minimise a robust sum of standardised errors between
simulated and published arm outcomes over a few hyper-parameters in log space.

- **Common random numbers**: every evaluation re-runs the same virtual patients, PK and
  endpoint draws (each spec's seed), so differences between evaluations come from the
  hyper-parameters alone, and the same seed reproduces a fit exactly.
- **Objective**: for every mapped arm with a published value, z = (ORR_sim - ORR_pub) / 7 pp
  (weight 1; ORR first), z = (CR_sim - CR_pub) / 7 pp (weight 0.5), and
  z = ln(median_sim / median_pub) / ln(1.25) for median PFS and OS (weight 0.5 each; a median
  not reached is read at the end of follow-up, a lower bound). Standardising by the target's
  tolerance makes 1 unit = "at the edge of the acceptance band" for every endpoint. Grade >= 3
  CRS and ICANS rates of cell-therapy arms enter like ORR (z by 7 pp, weight 0.5 each), and
  hazard ratios against the arm's control like medians (z = ln(HR_sim / HR_pub) / ln 1.25,
  weight 0.5): reported in the objective and used by the sipuleucel-T stage (IMPACT OS HR;
  the product's benefit is survival without shrinkage). Each z
  enters through the soft-L1 loss 2*(sqrt(1 + z^2) - 1), quadratic near 0 and linear far away,
  so arms the model cannot reach (e.g. a therapy effect it lacks) do not dominate the fit.
- **Search**: staged, each stage on the arms its parameters act on (:data:`STAGES`), ORR
  first: (1) chemotherapy potency on the chemotherapy-only arms (1-D bounded Brent search),
  then each chemotherapy's own potency on the chemotherapy-only arms giving it
  (Brent; brief §5.4 item 6),
  (2) CD8 kill, the exponents of its neoantigen-breadth, infiltrate and PD-L1 factors and
  the pre-treated kill factor on the checkpoint-inhibitor arms (Nelder-Mead), (3) Fc effector
  kill on the targeted-antibody arms (Brent), then each
  VEGFR-TKI's and antibody's own potency on the arms giving it alone (Brent; CAR-T and TCR-T
  products likewise before the toxicity stage), (4) radiotherapy
  alpha and field fraction on the radiotherapy arms (all endpoints; Nelder-Mead), (5) CRS and
  ICANS severity (endothelial activation by IL-6, neuro-inflammation onset) on the grade >= 3
  CRS/ICANS rates of the CAR-T and T-cell-engager arms (Nelder-Mead; after IL-2 effector
  expansion on the high-dose IL-2 arms, Brent), (6-8) each adoptive
  product class's own potency (TCR-T tumour access, TIL reactive fraction, T-cell-engager
  kill, oncolytic lysis) on its arm's ORR/CR (Brent), sipuleucel-T's growth arrest on the
  IMPACT OS hazard ratio (Brent), the death-hazard multiplier of each of
  :data:`HAZARD_TUMOURS` on its arms' median OS (Brent), (9) growth-rate multiplier and death
  hazard on every arm and endpoint (Nelder-Mead). Each stage
  has its own evaluation budget, so the time-to-event stage is always reached; a stage
  evaluates only its arms (the chemotherapy arms cost ~40 % of a full evaluation), and
  per-spec results are cached across stages. Why not CMA-ES or Bayesian optimisation: at
  ~1-3 min per full evaluation on a shared 2-core machine a 20-minute fit allows ~25
  arm-subset evaluations, enough for low-dimensional staged searches only.
  ``workers > 1`` runs the arms of one evaluation in that many processes.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from immunotwin.errors import InputError
from immunotwin.population.calibration import (
    HAZARD_PREFIX,
    POTENCY_PREFIX,
    PRETREATED_HAZARD,
    ParameterSet,
)
from immunotwin.population.validation import (
    MEDIAN_TOLERANCE,
    ORR_TOLERANCE_PP,
    compare,
    run_arms,
)

log = logging.getLogger(__name__)

WEIGHTS = {
    "orr": 1.0,
    "cr": 0.5,
    "pfs": 0.5,
    "os": 0.5,
    "crs3": 0.5,
    "icans3": 0.5,
    "pfs_hr": 0.5,
    "os_hr": 0.5,
}
FAILED_ARM_LOSS = 25.0
"""Loss of an arm whose simulation failed (so the search avoids parameters that break the
solver rather than dropping the arm's terms)."""


@dataclass(frozen=True)
class HyperParameter:
    """One fitted coordinate: a multiplier on a model parameter (or group), or a hazard."""

    name: str
    low: float
    high: float
    start: float
    meaning: str = ""


CHEMOTHERAPY_POTENCY_DRUGS = (
    "carboplatin",
    "paclitaxel",
    "docetaxel",
    "fluorouracil",
    "dacarbazine",
    "doxorubicin",
)
TARGETED_POTENCY_DRUGS = ("sunitinib", "sorafenib", "rituximab", "trastuzumab")
CELL_PRODUCT_POTENCY_DRUGS = (
    "axicabtagene_ciloleucel",
    "tisagenlecleucel",
    "lisocabtagene_maraleucel",
    "idecabtagene_vicleucel",
    "ciltacabtagene_autoleucel",
    "afamitresgene_autoleucel",
)
POTENCY_DRUGS = CHEMOTHERAPY_POTENCY_DRUGS + TARGETED_POTENCY_DRUGS + CELL_PRODUCT_POTENCY_DRUGS
"""Drugs with their own fitted potency, each fitted on the calibration arms that give it alone
or with partners of its own class (:data:`POTENCY_HOME_CLASS`): chemotherapies (cell kill;
cyclophosphamide is not: it is also the lymphodepletion of every cell-therapy arm), VEGFR-TKIs
(maximal growth inhibition), tumour-targeting antibodies (Fc effector maxima) and CAR-T/TCR-T
products (per-cell kill rate: products differ in costimulatory domain, dose and manufacture,
and their kinetics are fitted per product, Stein 2019)."""

HAZARD_TUMOURS = ("nsclc", "nsclc_squamous", "melanoma", "rcc", "urothelial")
"""Tumour types with their own death-hazard multiplier (``hazard:<type>``): those with at least
three calibration arms reporting median OS, so a type's prognosis is not fitted to one arm."""

POTENCY_HOME_CLASS = {
    "chemotherapy": "chemotherapy",
    "targeted_drug": "other",
    "targeted_antibody": "antibody",
    "car_t": "car_t",
    "tcr_t": "tcr_t",
}
"""Drug class -> the arm class (:func:`arm_class`) of the arms its potency stage fits."""

DEFAULT_HYPERPARAMETERS: tuple[HyperParameter, ...] = (
    HyperParameter(
        "chemo_kill_tumor", 0.02, 3.0, 0.45, "x chemotherapy cancer-cell kill (both slots)"
    ),
    HyperParameter(
        "chemo_resistance_rate",
        0.1,
        10.0,
        1.0,
        "x acquired chemotherapy resistance per unit of cumulative effect",
    ),
    HyperParameter("cd8_kill_rate", 0.1, 5.0, 1.0, "x CD8 T-cell killing rate"),
    HyperParameter(
        "neoantigen_kill_exponent",
        0.2,
        6.0,
        3.0,
        "x exponent of the neoantigen-breadth factor of CD8 killing (catalogue 0.5)",
    ),
    HyperParameter(
        "infiltrate_kill_exponent",
        0.1,
        3.0,
        1.0,
        "x exponent of the pre-existing CD8-infiltrate factor of CD8 killing (catalogue 1.0)",
    ),
    HyperParameter(
        "pdl1_kill_exponent",
        0.1,
        4.0,
        1.0,
        "x exponent of the adaptive-resistance (PD-L1) factor of CD8 killing (catalogue 0.5)",
    ),
    HyperParameter(
        "pretreated_kill_factor",
        0.2,
        1.5,
        0.7,
        "x CD8 killing capacity after prior systemic therapy (line >= 2; catalogue 1.0)",
    ),
    HyperParameter(
        "antibody_effector_kill",
        0.05,
        2.0,
        0.5,
        "x Fc effector kill of targeted antibodies (ADCC, ADCP, CDC maxima)",
    ),
    HyperParameter("rt_alpha", 0.05, 1.0, 0.15, "x radiotherapy LQ alpha of cancer cells"),
    HyperParameter(
        "rt_field_fraction", 0.2, 1.0, 0.5, "x fraction of the burden in the radiation field"
    ),
    # CRS/ICANS start at x3: with the catalogue values (x1) grade 3 ICANS is out of reach
    # (Nn saturates at 0.71 < 0.75); x3 gave ZUMA-1 12.5 % grade >= 3 CRS and ICANS in a 40-patient
    # probe (`immunotwin validate --only ZUMA-1 --patients 40`, x3 added to the third-session set)
    HyperParameter(
        "endothelial_il6_rate", 0.3, 20.0, 3.0, "x endothelial activation by IL-6 (CRS severity)"
    ),
    HyperParameter("neuro_rate", 0.3, 20.0, 3.0, "x neuro-inflammation onset (ICANS severity)"),
    HyperParameter("tcrt_tumor_access", 0.05, 3.0, 1.0, "x TCR-T access to the tumour"),
    HyperParameter(
        "til_reactive_fraction", 0.2, 10.0, 1.0, "x tumour-reactive fraction of a TIL product"
    ),
    HyperParameter("tce_kill_rate", 0.05, 3.0, 1.0, "x T-cell-engager-redirected kill rate"),
    HyperParameter("oncolytic_lysis_rate", 0.05, 3.0, 1.0, "x oncolytic-virus lysis rate"),
    # the growth-arrest plug is clipped at 1 (catalogue 0.8), so x1.25 is its ceiling
    HyperParameter(
        "sipuleucel_growth_delay",
        0.125,
        1.25,
        1.0,
        "x sipuleucel-T's maximal Th1 growth arrest (fraction of net growth)",
    ),
    *(
        HyperParameter(f"{POTENCY_PREFIX}{drug}", 0.1, 10.0, 1.0, f"x {drug} potency (per drug)")
        for drug in POTENCY_DRUGS
    ),
    HyperParameter(
        "il2_effector_expansion_rate", 0.2, 10.0, 1.0, "x IL-2-driven effector expansion"
    ),
    # r_L2 is drawn per patient from QSP-IO's loguniform 0.001-0.1; x0.1-x3 keeps its typical
    # value (0.07) inside that range
    HyperParameter(
        "pdl2_ratio",
        0.1,
        3.0,
        1.0,
        "x PD-L2/PD-L1 density (PD-L2 keeps PD-1 engaged under anti-PD-L1)",
    ),
    # the catalogue's breadth (1: as many new clones as without blockade) is an assumption
    HyperParameter(
        "ctla4_priming_breadth",
        0.1,
        20.0,
        1.0,
        "x new clones primed under CTLA-4 blockade (PD-1-low burst)",
    ),
    *(
        HyperParameter(
            f"{HAZARD_PREFIX}{tumour}", 0.2, 5.0, 1.0, f"x death hazard of {tumour} (prognosis)"
        )
        for tumour in HAZARD_TUMOURS
    ),
    HyperParameter(
        PRETREATED_HAZARD,
        0.5,
        4.0,
        1.0,
        "x death hazard after progression on systemic therapy (line >= 2; prognosis)",
    ),
    HyperParameter("tumor_growth_rate", 0.33, 3.0, 1.0, "x cancer-cell proliferation rate"),
    HyperParameter(
        "tumour_hazard_per_day",
        1.0 / (10 * 365.25),
        1.0 / (0.5 * 365.25),
        1.0 / (3 * 365.25),
        "death hazard at baseline burden (1/day)",
    ),
)


def soft_l1(z: np.ndarray) -> np.ndarray:
    """2*(sqrt(1+z^2)-1): ~z^2 for small z, ~2|z| for large z."""
    return 2.0 * (np.sqrt(1.0 + np.square(z)) - 1.0)


def objective_terms(table: pd.DataFrame) -> pd.DataFrame:
    """Standardised errors z and weighted losses per arm and endpoint (published values only)."""
    rows = []
    for _, r in table.iterrows():
        fu = r["follow_up_months"]
        if isinstance(r["error"], str):
            continue
        for key, pub_col, sim_col in (
            ("orr", "orr_published", "orr_simulated"),
            ("cr", "cr_published", "cr_simulated"),
            ("crs3", "crs_grade3plus_published", "crs_grade3plus_simulated"),
            ("icans3", "icans_grade3plus_published", "icans_grade3plus_simulated"),
        ):
            pub, sim = r.get(pub_col, np.nan), r.get(sim_col, np.nan)
            if np.isfinite(pub) and np.isfinite(sim):
                rows.append((r["trial_id"], r["arm"], key, (sim - pub) / ORR_TOLERANCE_PP))
        for key in ("pfs", "os"):
            pub = r[f"median_{key}_published"]
            sim = r[f"median_{key}_simulated"]
            if not np.isfinite(sim) and r[f"{key}_not_reached"]:
                sim = fu
            if np.isfinite(pub) and np.isfinite(sim) and sim > 0:
                rows.append(
                    (
                        r["trial_id"],
                        r["arm"],
                        key,
                        math.log(sim / pub) / math.log(1 + MEDIAN_TOLERANCE),
                    )
                )
        for key in ("pfs_hr", "os_hr"):
            pub, sim = r.get(f"{key}_published", np.nan), r.get(f"{key}_simulated", np.nan)
            if np.isfinite(pub) and np.isfinite(sim) and pub > 0 and sim > 0:
                z = math.log(sim / pub) / math.log(1 + MEDIAN_TOLERANCE)
                rows.append((r["trial_id"], r["arm"], key, z))
    frame = pd.DataFrame(rows, columns=["trial_id", "arm", "endpoint", "z"])
    frame["loss"] = frame["endpoint"].map(WEIGHTS) * soft_l1(frame["z"].to_numpy())
    failed = table[table["error"].apply(lambda e: isinstance(e, str))]
    if len(failed):
        penalty = pd.DataFrame(
            {
                "trial_id": failed["trial_id"],
                "arm": failed["arm"],
                "endpoint": "error",
                "z": np.nan,
                "loss": FAILED_ARM_LOSS,
            }
        )
        frame = pd.concat([frame, penalty], ignore_index=True)
    return frame


def objective(table: pd.DataFrame) -> float:
    """The fit's objective: weighted soft-L1 loss of standardised errors (lower is better)."""
    return float(objective_terms(table)["loss"].sum())


def objective_summary(table: pd.DataFrame) -> dict[str, Any]:
    """The objective in total and per endpoint, for ``immunotwin validate``'s summary: the same
    loss at the validation's patient count, to compare parameter sets with less sampling noise
    than the fit's own."""
    terms = objective_terms(table)
    by_endpoint = terms.groupby("endpoint", sort=True)["loss"].sum()
    return {
        "total": round(float(terms["loss"].sum()), 2),
        "by_endpoint": {name: round(float(v), 2) for name, v in by_endpoint.items()},
    }


@dataclass
class FitResult:
    parameter_set: ParameterSet
    history: pd.DataFrame
    table: pd.DataFrame
    best_objective: float
    start_objective: float
    evaluations: int
    seconds: float
    stopped_by: str
    extra: dict[str, Any] = field(default_factory=dict)


class _Budget(Exception):
    pass


@dataclass(frozen=True)
class Stage:
    """One stage of the fit: which hyper-parameters move, on which arms and endpoints.

    ``arms`` names an arm class (:func:`arm_class`), a tuple of classes, ``"drug:<key>"``
    (the arms of the drug's home class that give it), ``"target:<antigen>"`` (the
    checkpoint-inhibitor arms giving a drug against that target), ``"tumor:<type>"``,
    ``"line:<n>"`` (arms of line n or later) or ``"all"``;
    ``budget`` is the stage's number of (arm-subset) evaluations.
    """

    name: str
    parameters: tuple[str, ...]
    arms: str | tuple[str, ...]
    endpoints: tuple[str, ...]
    budget: int


def _potency_stage(drug: str) -> Stage:
    return Stage(f"{drug} potency", (f"{POTENCY_PREFIX}{drug}",), f"drug:{drug}", ("orr", "cr"), 5)


STAGES: tuple[Stage, ...] = (
    Stage(
        "chemotherapy",
        ("chemo_kill_tumor", "chemo_resistance_rate"),
        "chemotherapy",
        ("orr", "cr", "pfs"),
        10,
    ),
    *(_potency_stage(drug) for drug in CHEMOTHERAPY_POTENCY_DRUGS),
    Stage(
        "checkpoint",
        (
            "cd8_kill_rate",
            "neoantigen_kill_exponent",
            "infiltrate_kill_exponent",
            "pdl1_kill_exponent",
            "pretreated_kill_factor",
        ),
        "checkpoint",
        ("orr", "cr"),
        20,
    ),
    Stage("anti-PD-L1", ("pdl2_ratio",), "target:PD-L1", ("orr", "cr"), 5),
    Stage("anti-CTLA-4", ("ctla4_priming_breadth",), "target:CTLA-4", ("orr", "cr"), 5),
    Stage("antibody", ("antibody_effector_kill",), "antibody", ("orr", "cr"), 5),
    *(_potency_stage(drug) for drug in TARGETED_POTENCY_DRUGS),
    Stage(
        "radiotherapy",
        ("rt_alpha", "rt_field_fraction"),
        "radiotherapy",
        ("orr", "cr", "pfs", "os"),
        7,
    ),
    Stage("high-dose IL-2", ("il2_effector_expansion_rate",), "cytokine", ("orr", "cr"), 5),
    *(_potency_stage(drug) for drug in CELL_PRODUCT_POTENCY_DRUGS),
    Stage(
        "cell-therapy toxicity",
        ("endothelial_il6_rate", "neuro_rate"),
        ("car_t", "t_cell_engager"),
        ("crs3", "icans3"),
        10,
    ),
    Stage("TCR-T", ("tcrt_tumor_access",), "tcr_t", ("orr", "cr"), 5),
    Stage("TIL", ("til_reactive_fraction",), "til", ("orr", "cr"), 5),
    Stage("T-cell engager", ("tce_kill_rate",), "t_cell_engager", ("orr", "cr"), 5),
    Stage("oncolytic virus", ("oncolytic_lysis_rate",), "oncolytic_virus", ("orr", "cr"), 5),
    Stage("sipuleucel-T", ("sipuleucel_growth_delay",), "cancer_vaccine", ("os_hr",), 5),
    *(
        Stage(f"{tumour} survival", (f"{HAZARD_PREFIX}{tumour}",), f"tumor:{tumour}", ("os",), 5)
        for tumour in HAZARD_TUMOURS
    ),
    Stage("later-line survival", (PRETREATED_HAZARD,), "line:2", ("os",), 5),
    Stage(
        "time-to-event",
        ("tumor_growth_rate", "tumour_hazard_per_day"),
        "all",
        ("orr", "cr", "pfs", "os"),
        8,
    ),
)
"""ORR first, on the arms each parameter acts on: chemotherapy potency on the
chemotherapy-only arms (with their median PFS, which pins acquired resistance against kill),
the CD8 parameters on the checkpoint-inhibitor arms, Fc effector kill on the antibody arms,
RT on the radiotherapy arms, CRS/ICANS severity on the CAR-T and T-cell-engager arms (grade
>= 3 rates), each adoptive product's own potency on its arm, then growth and the death hazard
on every arm and endpoint (earlier stages' values held)."""


def select_stages(names: str | None) -> tuple[Stage, ...]:
    """The stages named in a comma-separated list, in :data:`STAGES` order (``None``: all).

    A partial refit searches only the stages a model change touches; every other
    hyper-parameter keeps its start value."""
    if names is None:
        return STAGES
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {s.name for s in STAGES}
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        raise InputError(
            f"unknown stage(s) {unknown}" if unknown else "no stage named",
            source="--stages",
            fix="name stages from: " + ", ".join(s.name for s in STAGES),
        )
    return tuple(s for s in STAGES if s.name in wanted)


def describe_stages(stages: tuple[Stage, ...] = STAGES) -> str:
    """One line per stage for the parameter set's ``method``: parameters -> arms (endpoints)."""
    return "; ".join(
        f"{s.name}: {', '.join(s.parameters)} on "
        f"{s.arms if isinstance(s.arms, str) else ' + '.join(s.arms)} arms "
        f"({', '.join(s.endpoints)})"
        for s in stages
    )


ADOPTIVE_AND_OTHER_CLASSES = (
    "car_t",
    "t_cell_engager",
    "tcr_t",
    "til",
    "cancer_vaccine",
    "oncolytic_virus",
    "cytokine",
)
"""Drug classes that name an arm's class of their own (first match, after radiotherapy and
checkpoint inhibitors): a TIL arm with aldesleukin is a TIL arm."""


def arm_drugs(spec_path: str | Path, *, root: Path) -> frozenset[str]:
    """Drug keys of the (one-arm) calibration spec's regimen."""
    from immunotwin.trials.load import load_trial_spec

    spec = load_trial_spec(Path(root) / spec_path)
    return frozenset(item.drug for arm in spec.arms for item in arm.regimen)


def arm_tumour(spec_path: str | Path, *, root: Path) -> str:
    """Tumour type key of the calibration spec."""
    from immunotwin.trials.load import load_trial_spec

    return load_trial_spec(Path(root) / spec_path).tumor_type


def arm_line(spec_path: str | Path, *, root: Path) -> int:
    """Line of therapy of the calibration spec's patients: its ``line`` filter, else the
    (lowest) catalogue default of its tumour type(s), as the patient sampler sets it."""
    from immunotwin.population.basket import TumourMix, spec_tumour
    from immunotwin.trials.load import load_trial_spec

    spec = load_trial_spec(Path(root) / spec_path)
    line = spec.population.get("line")
    if isinstance(line, int):
        return line
    tumour = spec_tumour(spec)
    members = tumour.members if isinstance(tumour, TumourMix) else (tumour,)
    return min(m.line_of_therapy_default for m in members)


def arm_class(spec_path: str | Path, *, root: Path) -> str:
    """The arm's class for the staged fit, first match of: ``"radiotherapy"`` (any
    radiotherapy), ``"checkpoint"`` (a checkpoint inhibitor), the adoptive class (``"car_t"``,
    ``"t_cell_engager"``, ``"tcr_t"``, ``"til"``), ``"cancer_vaccine"``,
    ``"oncolytic_virus"``, ``"cytokine"``, ``"antibody"`` (a targeted antibody),
    ``"chemotherapy"`` (chemotherapy only), else ``"other"`` (targeted drugs, placebo)."""
    from immunotwin.therapies.catalog import load_drug_catalog

    catalog = load_drug_catalog()
    classes = {catalog.get(drug).drug_class for drug in arm_drugs(spec_path, root=root)}
    if "radiotherapy" in classes:
        return "radiotherapy"
    if "checkpoint_inhibitor" in classes:
        return "checkpoint"
    for own in ADOPTIVE_AND_OTHER_CLASSES:
        if own in classes:
            return own
    if "targeted_antibody" in classes:
        return "antibody"
    if "chemotherapy" in classes and classes <= {"chemotherapy", "supportive"}:
        return "chemotherapy"
    return "other"


def _run_one(args: tuple) -> tuple[str, Any]:
    spec, root, patients, seed, pset = args
    from immunotwin.population.validation import run_arm

    return spec, run_arm(spec, root=root, patients=patients, seed=seed, parameter_set=pset)


def _run_specs(
    specs: list[str],
    *,
    root: Path,
    patients: int,
    seed: int | None,
    parameter_set: ParameterSet,
    workers: int,
) -> dict[str, Any]:
    """Run ``specs`` (in order; in ``workers`` processes when > 1).

    With ``workers`` > 1 even a single spec runs in the pool: the pool forks, and a parent that
    has started the numba/OpenMP threads of a simulation cannot fork safely."""
    if workers <= 1:
        return run_arms(specs, root=root, patients=patients, seed=seed, parameter_set=parameter_set)
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(spec, root, patients, seed, parameter_set) for spec in specs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(_run_one, jobs))


def fit_hyperparameters(
    arms: pd.DataFrame,
    *,
    root: Path,
    patients: int = 30,
    seed: int | None = None,
    hyper: tuple[HyperParameter, ...] = DEFAULT_HYPERPARAMETERS,
    stages: tuple[Stage, ...] = STAGES,
    max_evaluations: int | None = None,
    max_minutes: float = 25.0,
    base: ParameterSet | None = None,
    start: dict[str, float] | None = None,
    workers: int = 1,
    on_evaluation: Callable[[int, float, dict[str, float]], None] | None = None,
) -> FitResult:
    """Fit ``hyper`` to the arms stage by stage (see module docstring).

    Each stage searches its hyper-parameters (log space, clipped to the bounds) on the
    objective restricted to its arms and endpoints, within its own evaluation budget
    (``max_evaluations`` caps the total, ``max_minutes`` the wall clock). A final evaluation of
    every arm at the fitted point gives the report table. Deterministic: the spec seeds fix
    every virtual patient (common random numbers).
    """
    from scipy.optimize import minimize, minimize_scalar

    from immunotwin.therapies.catalog import load_drug_catalog

    base = base or ParameterSet.identity()
    by_name = {h.name: h for h in hyper}
    start = start or {}
    current = {h.name: math.log(start.get(h.name, h.start)) for h in hyper}
    start_clock = time.perf_counter()
    history: list[dict[str, Any]] = []
    runs_cache: dict[tuple, dict[str, Any]] = {}
    classes = {s: arm_class(s, root=root) for s in arms["spec"]}
    drugs = {s: arm_drugs(s, root=root) for s in arms["spec"]}
    tumours = {s: arm_tumour(s, root=root) for s in arms["spec"]}
    lines = {s: arm_line(s, root=root) for s in arms["spec"]}
    arms = arms.assign(arm_class=arms["spec"].map(classes))
    counter = {"evaluations": 0}
    end = start_clock + 60.0 * max_minutes
    deadline = {"stage": end}

    def values_of(logs: dict[str, float]) -> dict[str, float]:
        return {
            n: float(np.clip(math.exp(v), by_name[n].low, by_name[n].high)) for n, v in logs.items()
        }

    def key_of(values: dict[str, float]) -> tuple:
        return tuple(round(math.log(values[h.name]), 6) for h in hyper)

    def subset(which: str | tuple[str, ...]) -> pd.DataFrame:
        if which == "all":
            return arms
        if isinstance(which, str) and which.startswith("tumor:"):
            return arms[arms["spec"].map(tumours) == which[6:]]
        if isinstance(which, str) and which.startswith("line:"):
            return arms[arms["spec"].map(lines) >= int(which[5:])]
        if isinstance(which, str) and which.startswith("target:"):
            catalog = load_drug_catalog()
            hits = arms["spec"].map(
                lambda s: any(which[7:] in catalog.get(d).targets for d in drugs[s])
            )
            return arms[(arms["arm_class"] == "checkpoint") & hits]
        if isinstance(which, str) and which.startswith("drug:"):
            gives = arms["spec"].map(lambda s: which[5:] in drugs[s])
            home = POTENCY_HOME_CLASS[load_drug_catalog().get(which[5:]).drug_class]
            return arms[(arms["arm_class"] == home) & gives]
        return arms[arms["arm_class"].isin([which] if isinstance(which, str) else which)]

    def table_for(
        logs: dict[str, float], which: str | tuple[str, ...], *, stage: str, force: bool = False
    ) -> pd.DataFrame:
        values = values_of(logs)
        key = key_of(values)
        chosen = subset(which)
        specs = list(chosen["spec"]) + [s for s in chosen["hr_control_spec"] if s]
        specs = list(dict.fromkeys(specs))
        cached = runs_cache.setdefault(key, {})
        todo = [s for s in specs if s not in cached]
        if todo:
            over_total = max_evaluations is not None and counter["evaluations"] >= max_evaluations
            over_time = time.perf_counter() > deadline["stage"]
            if not force and (over_total or over_time):
                raise _Budget
            cached.update(
                _run_specs(
                    todo,
                    root=root,
                    patients=patients,
                    seed=seed,
                    parameter_set=base.with_values(values),
                    workers=workers,
                )
            )
            counter["evaluations"] += 1
        table = compare(chosen, {s: cached[s] for s in specs})
        if todo:
            value = objective(table)
            history.append(
                {
                    "evaluation": counter["evaluations"],
                    "stage": stage,
                    "arms": which if isinstance(which, str) else "+".join(which),
                    "n_arms": len(chosen),
                    "objective": value,
                    "seconds": round(time.perf_counter() - start_clock, 1),
                    **values,
                }
            )
            log.info("fit evaluation %d (%s): %.2f", counter["evaluations"], stage, value)
            if on_evaluation is not None:
                on_evaluation(counter["evaluations"], value, values)
        return table

    def staged(table: pd.DataFrame, endpoints: tuple[str, ...]) -> float:
        terms = objective_terms(table)
        return float(terms.loc[terms["endpoint"].isin((*endpoints, "error")), "loss"].sum())

    start_logs = dict(current)
    start_table = table_for(current, "all", stage="start", force=True)
    start_runs = runs_cache[key_of(values_of(current))]

    def stage_seconds(which: str | tuple[str, ...]) -> float:
        chosen = subset(which)
        specs = set(chosen["spec"]) | {s for s in chosen["hr_control_spec"] if s}
        return float(sum(getattr(start_runs[s], "seconds", 0.0) for s in specs))

    stops: list[str] = []
    for k, stage in enumerate(stages):
        # each stage gets the remaining time in proportion to its expected cost (evaluation
        # budget x the seconds its arms took in the start evaluation), so a slow early stage
        # cannot starve the later ones and cheap stages get their full budget
        cost = [s.budget * max(stage_seconds(s.arms), 1.0) for s in stages[k:]]
        now = time.perf_counter()
        deadline["stage"] = now + max(end - now, 0.0) * cost[0] / sum(cost)
        names = stage.parameters
        lows = np.log([by_name[n].low for n in names])
        highs = np.log([by_name[n].high for n in names])
        seen: dict[tuple, float] = {}

        def f(x, names=names, lows=lows, highs=highs, stage=stage, seen=seen):
            logs = dict(current)
            xs = np.clip(np.atleast_1d(x), lows, highs)
            logs.update(zip(names, xs, strict=True))
            point = tuple(float(v) for v in xs)
            if point not in seen and len(seen) >= stage.budget:
                raise _Budget
            table = table_for(logs, stage.arms, stage=stage.name, force=not seen)
            value = staged(table, stage.endpoints)
            seen[point] = value
            return value

        x0 = np.array([current[n] for n in names])
        try:
            f(x0)
            if len(names) == 1:
                minimize_scalar(
                    lambda v, f=f: f(np.array([v])),
                    bounds=(lows[0], highs[0]),
                    method="bounded",
                    options={"xatol": 0.05, "maxiter": stage.budget},
                )
            else:
                step = 0.15 * (highs - lows)
                simplex = np.vstack(
                    [x0] + [x0 + np.eye(len(names))[i] * step[i] for i in range(len(names))]
                )
                minimize(
                    f,
                    x0,
                    method="Nelder-Mead",
                    options={"initial_simplex": simplex, "xatol": 0.03, "fatol": 0.2},
                )
            reason = "converged"
        except _Budget:
            if max_evaluations is not None and counter["evaluations"] >= max_evaluations:
                reason = "total evaluation cap"
            elif time.perf_counter() > deadline["stage"]:
                reason = "time share"
            else:
                reason = "stage budget"
        stops.append(f"{stage.name}: {reason} after {len(seen)} points")
        if seen:  # keep the best point this stage has seen (x0 is always evaluated)
            best = min(seen, key=seen.get)
            current.update(zip(names, best, strict=True))
        log.info("stage %s: %s", stage.name, {n: math.exp(current[n]) for n in names})

    values = values_of(current)
    final = table_for(current, "all", stage="final", force=True)
    return FitResult(
        parameter_set=base.with_values(values),
        history=pd.DataFrame(history),
        table=final,
        best_objective=objective(final),
        start_objective=objective(start_table),
        evaluations=counter["evaluations"],
        seconds=time.perf_counter() - start_clock,
        stopped_by="; ".join(stops),
        extra={"start": values_of(start_logs), "arm_classes": classes},
    )
