"""Run a virtual trial: spec -> virtual patients -> dose events -> batched simulation -> endpoints.

Each arm sees the same virtual patients (paired) unless the spec says otherwise. Treatment
stops at RECIST progression, death or discontinuation for toxicity: the arm is simulated on
the full schedule, the stop day of every patient is read from that run, and the arm is
simulated again with the doses after the stop day removed (the two runs agree up to the stop
day, and all random draws are reused, so the endpoints are consistent).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from immunotwin import __version__
from immunotwin.engine import EventKind, SolveStatus, build_events, simulate
from immunotwin.engine.executors import Executor
from immunotwin.engine.streams import RNG_BLOCK_PATIENTS, BlockRandom
from immunotwin.errors import SpecError
from immunotwin.model import compile_model
from immunotwin.outcomes import (
    AstctCrs2019,
    AstctIcans2019,
    CtcaeV5,
    IRecist,
    Lugano2014Ct,
    ManagementRules,
    MeasurementNoise,
    Recist11,
    Response,
    measure_sld_mm,
    new_lesion_days,
    true_sld_mm,
    true_spd_mm2,
    visit_days,
)
from immunotwin.outcomes.myelosuppression import (
    load_myelosuppression_catalog,
    neutropenia_from_dose_log,
)
from immunotwin.population.basket import arm_sample, patient_tumour_types, spec_tumour
from immunotwin.population.biomarker_map import BASELINE_LESIONS
from immunotwin.population.calibration import ParameterSet, effective_parameters
from immunotwin.population.plausibility import plausible_parameters
from immunotwin.therapies.dose import DAYS_PER_MONTH
from immunotwin.trials.spec import TrialSpec
from immunotwin.trials.survival_link import death_days
from immunotwin.trials.therapy_map import plan_arm

log = logging.getLogger(__name__)

ORGANS = {
    "colitis": "injury_colon",
    "pneumonitis": "injury_lung",
    "hepatitis": "injury_liver",
    "hypothyroidism": "injury_thyroid",
    "rash": "injury_skin",
}
NEW_LESION_EXPONENT = 1.0
"""kappa of the new-lesion hazard h_new = lambda*(C/C0)^kappa (brief §4.1; lambda is in the
calibrated parameter set)."""
SOLVER_RTOL = 1e-5
STEROID_COURSE_DAYS = 42.0
"""Corticosteroid course for a grade >= 2 irAE: taper over at least 4-6 weeks (Brahmer et al.,
J Clin Oncol 2018;36:1714, ASCO irAE guideline)."""

ICANS_STEROID_COURSE_DAYS = 7.0
"""Dexamethasone for ICANS grade >= 2, continued until grade <= 1 and tapered over about a week
(Neelapu SS et al., Nat Rev Clin Oncol 2018;15:47, CARTOX recommendations; recalled)."""
TOCILIZUMAB_BLOCKADE_DAYS = 14.0
"""IL-6 receptor blockade after tocilizumab 8 mg/kg for CRS grade >= 2: RO ≈ 1 for ≈2-3 weeks
(brief §2.6-§2.7 [L]); the lower end is used."""
CELL_THERAPY_CLASSES = frozenset({"car_t", "tcr_t", "t_cell_engager"})
"""Arms graded for CRS/ICANS (ASTCT 2019) and managed with tocilizumab/steroids. TIL arms are
not: their IL-6/endothelial signal comes from high-dose IL-2 (capillary leak, graded CTCAE)."""
DAILY_OUTPUT_DAYS = 60.0
"""Arms with a cell product or engager (or high-dose IL-2) get daily output points for this
long, so CRS and ICANS (onset days 1-7, duration about a week) and IL-2 capillary leak are
graded on a daily grid."""
IL2_HOLD_GRADE = 3
"""Aldesleukin doses are withheld (skipped: not delayed, not reduced) while capillary leak is at
least this CTCAE grade. Proleukin US prescribing information §2.4, Table 2: no dose reduction;
withhold a dose for systolic pressure < 90 mmHg or O2 saturation < 90 % until recovery
(retrieved via prescriberpoint.com/therapies/proleukin-deead49); grade 3 capillary leak
(severe, intervention indicated) stands for that hypotension/hypoxia in the model."""

LYMPHOPENIA_G3_CELLS_PER_UL = 500.0  # CTCAE v5 lymphocyte count decreased, grade 3: < 500/uL


@dataclass(frozen=True)
class ArmOutcome:
    """Per-patient results of one arm (rows aligned with the trial's virtual patients)."""

    name: str
    patients: pd.DataFrame
    visits: pd.DataFrame
    doses: pd.DataFrame
    classes: frozenset[str]


@dataclass(frozen=True)
class TrialResult:
    spec: TrialSpec
    arms: list[ArmOutcome]
    model_name: str
    model_hash: str
    provenance: dict = field(default_factory=dict)


ProgressCallback = Callable[[str, int, int], None]


def _needs_daily_grid(spec: TrialSpec) -> bool:
    """A cell product, engager or aldesleukin in any arm (toxicity graded day by day)."""
    from immunotwin.therapies.catalog import load_drug_catalog

    catalog = load_drug_catalog()
    return any(
        catalog.get(item.drug).drug_class in CELL_THERAPY_CLASSES or item.drug == "aldesleukin"
        for arm in spec.arms
        for item in arm.regimen
    )


def _grid(spec: TrialSpec) -> tuple[np.ndarray, np.ndarray]:
    follow_up_days = spec.follow_up_days
    v = spec.visit_schedule
    visits = np.concatenate(
        [
            [0.0],
            visit_days(
                follow_up_days,
                7 * v.every_weeks_early,
                7 * v.until_week,
                7 * v.every_weeks_late,
                first_day=None if v.first_week is None else 7 * v.first_week,
                early_days=v.early_days(),
            ),
        ]
    )
    weekly = np.arange(0.0, follow_up_days + 1e-9, 7.0)
    daily = (
        np.arange(0.0, min(DAILY_OUTPUT_DAYS, follow_up_days) + 1e-9, 1.0)
        if _needs_daily_grid(spec)
        else np.empty(0)
    )
    return visits, np.unique(np.concatenate([visits, weekly, daily, [follow_up_days]]))


def plan_and_baseline(
    model, compiled, arm, patients, params, follow_up_days, pk_rng, drug_potency=None
):
    """An arm's plan for these patients, its per-patient drug parameters written into
    ``params`` (in place), and each patient's pre-treatment state from the baseline burden.

    Returns ``(plan, y0)``; shared by the trial engine and the scale benchmark."""
    plan = plan_arm(model, arm, patients, follow_up_days, pk_rng, params, drug_potency)
    for name, values in plan.parameter_values.items():
        params[:, model.parameter_index(name)] = values
    cells0 = _tumour_cells_from_sld(
        patients["baseline_sld_mm"].to_numpy(),
        params[:, model.parameter_index("cancer_cell_volume")],
        params[:, model.parameter_index("tumor_cell_volume_fraction")],
    )
    from immunotwin.model.immune.baseline import baseline_state

    return plan, baseline_state(compiled, params, cells0)


def _tumour_cells_from_sld(
    sld_mm: np.ndarray, cell_volume_ml: float, cell_fraction: float
) -> np.ndarray:
    """Baseline cancer cells from the sum of diameters: BASELINE_LESIONS equal spheres."""
    diameter_cm = sld_mm / 10.0 / BASELINE_LESIONS
    volume_ml = BASELINE_LESIONS * np.pi / 6.0 * diameter_cm**3
    return volume_ml * cell_fraction / cell_volume_ml


def _simulate_arm(compiled, y0, params, plan, grid, stop_day, executor, progress, extra=()):
    """Simulate an arm; with ``stop_day`` (per patient), doses after it are removed; ``extra``
    events (e.g. a steroid course) are added."""
    events = build_events(params.shape[0], plan.events_until(stop_day, params) + list(extra))
    return simulate(
        compiled,
        y0,
        params,
        grid,
        events,
        rtol=SOLVER_RTOL,
        chunk_size=512,
        executor=executor,
        progress=progress,
    )


@dataclass(frozen=True)
class _Endpoints:
    """Measured sizes at visits, new-lesion and death days, RECIST result, solver failures."""

    measured: np.ndarray
    lesion_day: np.ndarray
    death_day: np.ndarray
    response: object
    failed: np.ndarray


def _criteria(spec: TrialSpec, tumour_criteria: str):
    """The response criteria of the spec, or the tumour type's (RECIST 1.1 / Lugano)."""
    name = spec.response_criteria or ("lugano" if tumour_criteria == "lugano" else "recist11")
    cls = {"recist11": Recist11, "irecist": IRecist, "lugano": Lugano2014Ct}[name]
    return cls(confirm=spec.confirm_response)


def _endpoints(
    spec,
    compiled,
    result,
    params,
    patients,
    visits,
    grid,
    rng,
    tumour_criteria,
    calibration,
) -> _Endpoints:
    """RECIST and survival for simulated patients (``rng``: their per-block streams)."""
    quantities = compiled.quantities(result.states, params)
    burden = quantities["tumor_cells_total"]
    ratio = burden / burden[:, :1]
    visit_idx = np.searchsorted(grid, visits)
    sld0 = patients["baseline_sld_mm"].to_numpy()
    criteria = _criteria(spec, tumour_criteria)
    if isinstance(criteria, Lugano2014Ct):  # lymphoma: sum of products of diameters (mm^2)
        true_size = true_spd_mm2(ratio[:, visit_idx], sld0[:, None] ** 2)
    else:
        true_size = true_sld_mm(ratio[:, visit_idx], sld0[:, None])
    measured = measure_sld_mm(true_size, rng, MeasurementNoise())
    lesion_day = new_lesion_days(
        grid, ratio, calibration.new_lesion_rate_per_day, NEW_LESION_EXPONENT, rng
    )
    pretreated = patients["line"].to_numpy() >= 2 if "line" in patients else None
    link = calibration.survival_link(
        patient_tumour_types(patients, spec.tumor_type), pretreated=pretreated
    )
    death_day = death_days(link, grid, ratio, patients["age_years"].to_numpy(), rng)
    failed = ~result.ok
    assessed = (visits[None, :] <= np.minimum(death_day, grid[-1])[:, None]) & ~failed[:, None]
    measured = np.where(np.isfinite(measured), measured, np.nan)
    response = criteria.evaluate(
        measured[:, 1:],
        np.maximum(measured[:, 0], 10.0),
        visits[1:],
        new_lesion_days=lesion_day,
        assessed=assessed[:, 1:],
    )
    return _Endpoints(measured, lesion_day, death_day, response, failed)


def _grades_over_time(result) -> dict[str, np.ndarray]:
    """CTCAE v5 grade of every organ index at every output time: {organ: (n, n_times)}."""
    names = result.state_names
    ctcae = CtcaeV5()
    grades = {}
    for organ, state in ORGANS.items():
        if state in names:
            grades[organ] = ctcae.grade(organ, np.nan_to_num(result.state(state), nan=0.0))
    if "endothelial_index" in names:
        index = np.nan_to_num(result.state("endothelial_index"), nan=0.0)
        grades["capillary_leak"] = ctcae.grade_capillary_leak(index)
    return grades


def _cell_therapy_grades(result) -> dict[str, np.ndarray]:
    """ASTCT 2019 CRS (IL-6 fever + endothelial index) and ICANS (neuro index) grades at every
    output time: {"crs": (n, n_times), "icans": (n, n_times)}."""
    names = result.state_names
    if "il6" not in names or "endothelial_index" not in names:
        return {}
    il6 = np.clip(np.nan_to_num(result.state("il6"), nan=0.0), 0.0, None)
    e = np.clip(np.nan_to_num(result.state("endothelial_index"), nan=0.0), 0.0, 1.0)
    grades = {"crs": AstctCrs2019().grade(il6, e)}
    if "neuroinflammation_index" in names:
        nn = np.clip(np.nan_to_num(result.state("neuroinflammation_index"), nan=0.0), 0.0, 1.0)
        grades["icans"] = AstctIcans2019().grade(nn)
    return grades


def _toxicity(compiled, result, params, cell_therapy: bool = False):
    grades = {organ: g.max(axis=1) for organ, g in _grades_over_time(result).items()}
    if cell_therapy:
        grades.update({k: g.max(axis=1) for k, g in _cell_therapy_grades(result).items()})
    if "lymphocytes" in result.state_names:
        lymph = np.nan_to_num(result.state("lymphocytes"), nan=np.inf)
        grades["lymphopenia"] = np.where(
            lymph.min(axis=1) < 200,
            4,
            np.where(lymph.min(axis=1) < LYMPHOPENIA_G3_CELLS_PER_UL, 3, 0),
        )
    return grades


def _neutropenia(spec, arm_index, plan, patients, endpoints, start, block):
    """Worst CTCAE neutropenia of each patient from the chemotherapy actually given (doses up
    to progression or death, as in the dose log), Friberg 2002 model
    (:mod:`immunotwin.outcomes.myelosuppression`); ``None`` when the arm has no modelled
    myelosuppressive drug. Variability comes from its own per-block stream (paired patients
    share it across arms), so serial and chunked runs agree and other draws are unchanged."""
    catalog = load_myelosuppression_catalog()
    doses = plan.doses
    order = [d for d in dict.fromkeys(doses["drug"]) if d in catalog.drugs]  # regimen order
    if not order:
        return None
    ids = patients["patient_id"].to_numpy()
    stop = pd.Series(np.minimum(endpoints.response.pd_day, endpoints.death_day), index=ids)
    doses = doses[doses["day"].to_numpy() <= stop.loc[doses["patient_id"]].to_numpy()]
    key = [spec.seed, 0x4E7, arm_index if not spec.paired_patients else 0]
    rng = BlockRandom(key, start, len(ids), block)
    draws = rng.standard_normal((len(ids), len(catalog.variability_columns())))
    return neutropenia_from_dose_log(doses, ids, draws, catalog, spec.follow_up_days, order)


def _il2_holds(result, grid, plan, model, patient_ids: np.ndarray):
    """The plan with every aldesleukin dose withheld that falls while the full-schedule pass has
    capillary leak grade >= :data:`IL2_HOLD_GRADE` (grade at the last output time at or before
    the dose), and the number of doses withheld per patient. One pass of the label rule on the
    full-schedule trajectories (as for checkpoint discontinuation), so holds are if anything
    slightly more frequent than with feedback."""
    n = result.states.shape[0]
    given = plan.doses["drug"] == "aldesleukin"
    if not given.any() or "endothelial_index" not in result.state_names:
        return plan, np.zeros(n, dtype=int)
    index = np.nan_to_num(result.state("endothelial_index"), nan=0.0)
    severe = CtcaeV5().grade_capillary_leak(index) >= IL2_HOLD_GRADE

    def held_at(day: float) -> np.ndarray:
        return severe[:, max(int(np.searchsorted(grid, day, side="right")) - 1, 0)]

    il2 = model.parameter_index("il2_systemic")
    events = [
        (day, kind, idx, idx2, np.where(held_at(day), 0.0, value))
        if kind == EventKind.SET_PARAMETER and idx == il2
        else (day, kind, idx, idx2, value)
        for day, kind, idx, idx2, value in plan.events
    ]
    doses = plan.doses.reset_index(drop=True)
    rows = np.flatnonzero(given.to_numpy())
    patient = pd.Index(patient_ids).get_indexer(doses["patient_id"].to_numpy()[rows])
    days = doses["day"].to_numpy(dtype=float)[rows]
    withheld = np.array([held_at(d)[k] for d, k in zip(days, patient, strict=True)], dtype=bool)
    counts = np.bincount(patient[withheld], minlength=n)
    kept = doses.drop(index=rows[withheld]).reset_index(drop=True)
    return dataclasses.replace(plan, events=events, doses=kept), counts


def _management(result, grid, plan, model, params) -> tuple[np.ndarray, np.ndarray, list]:
    """Brief §2.7 management read from the full-schedule pass: the day the checkpoint
    inhibitor is discontinued (grade 4, or grade >= 3 colitis/pneumonitis on anti-CTLA-4), the
    day steroids start (grade >= 2 irAE) and the steroid-course events for the second pass."""
    rules = ManagementRules()
    n = result.states.shape[0]
    organs = {o: g for o, g in _grades_over_time(result).items() if o in ORGANS}
    actions = rules.actions(organs, grid, anti_ctla4=plan.anti_ctla4)
    discontinue = rules.discontinuation_day(actions, n)
    steroid_day = np.full(n, np.inf)
    started = actions[actions["action"] == "steroids"].groupby("patient")["day"].min()
    steroid_day[started.index.to_numpy(int)] = started.to_numpy(float)
    course = np.full(n, STEROID_COURSE_DAYS)
    tocilizumab_day = np.full(n, np.inf)
    events = []
    if plan.classes & CELL_THERAPY_CLASSES:
        cell = _cell_therapy_grades(result)
        cell_actions = rules.actions(cell, grid) if cell else None
        if cell_actions is not None and len(cell_actions):
            toci = cell_actions[cell_actions["action"] == "tocilizumab"]
            first = toci.groupby("patient")["day"].min()
            tocilizumab_day[first.index.to_numpy(int)] = first.to_numpy(float)
            icans = cell_actions[cell_actions["action"] == "steroids"]
            first = icans.groupby("patient")["day"].min()
            rows = first.index.to_numpy(int)
            earlier = first.to_numpy(float) < steroid_day[rows]
            course[rows[earlier]] = ICANS_STEROID_COURSE_DAYS
            steroid_day[rows] = np.minimum(steroid_day[rows], first.to_numpy(float))
        given = np.isfinite(tocilizumab_day)
        if given.any():
            index = model.parameter_index("tocilizumab_ro")
            starts = tocilizumab_day[given]
            for day in np.unique(np.concatenate([starts, starts + TOCILIZUMAB_BLOCKADE_DAYS])):
                active = (tocilizumab_day <= day) & (
                    day < tocilizumab_day + TOCILIZUMAB_BLOCKADE_DAYS
                )
                events.append(
                    (
                        float(day),
                        EventKind.SET_PARAMETER,
                        index,
                        0,
                        np.where(active, 1.0, params[:, index]),
                    )
                )
    if np.isfinite(steroid_day).any():
        index = model.parameter_index("steroid_rate")
        steroid_on = params[:, model.parameter_index("steroid_rate_on")]
        on = np.isfinite(steroid_day)
        for day in grid[(grid >= steroid_day.min()) & (grid <= (steroid_day + course)[on].max())]:
            active = on & (steroid_day <= day) & (day < steroid_day + course)
            events.append(
                (
                    float(day),
                    EventKind.SET_PARAMETER,
                    index,
                    0,
                    np.where(active, steroid_on, params[:, index]),
                )
            )
    if not plan.classes & {"checkpoint_inhibitor"}:
        discontinue = np.full(n, np.inf)
    return discontinue, steroid_day, events, tocilizumab_day


@functools.lru_cache(maxsize=2)
def _model_and_kernel():
    """The immunotwin model and its compiled kernel, built once per process (workers too)."""
    from immunotwin.model.immune.build import immunotwin_model

    model = immunotwin_model()
    return model, compile_model(model)


@dataclass(frozen=True)
class ChunkTask:
    """Patients ``start .. start + len(patients)`` of one arm: everything a worker needs.

    Picklable and self-contained (spec, parameter set and the chunk's virtual patients), so a
    chunk runs the same in this process, a spawned process or a Dask worker.
    """

    spec: TrialSpec
    calibration: ParameterSet
    arm_index: int
    chunk_index: int
    start: int
    patients: pd.DataFrame
    rng_block_patients: int = RNG_BLOCK_PATIENTS
    parameters: np.ndarray | None = None
    """Supplied per-patient model parameters (n x n_params, biomarker maps and calibration
    already applied), e.g. a digital twin's posterior ensemble; ``None`` samples them."""


def arm_patients(spec: TrialSpec, arm_index: int, tumour=None) -> pd.DataFrame:
    """The virtual patients of an arm (the shared cohort when patients are paired).

    Patient ``i`` does not depend on ``patients_per_arm`` (fixed-block sampling), so chunks
    can be sliced from this table.
    """
    tumour = tumour or spec_tumour(spec)
    seed = spec.seed if spec.paired_patients else spec.seed + 7919 * (arm_index + 1)
    return arm_sample(tumour, spec.patients_per_arm, seed=seed, filters=spec.population)


def presenting_parameters(
    spec: TrialSpec,
    patients: pd.DataFrame,
    tumour,
    calibration: ParameterSet,
    start: int = 0,
    block: int = RNG_BLOCK_PATIENTS,
) -> np.ndarray:
    """Effective model parameters of patients ``start ..`` of an arm, each a draw whose
    untreated tumour progresses (:mod:`immunotwin.population.plausibility`)."""
    model, compiled = _model_and_kernel()
    n = len(patients)

    def draw(attempt: int) -> np.ndarray:
        key = [spec.seed, 0x30DE1] + ([0x7EDA, attempt] if attempt else [])
        rng = BlockRandom(key, start, n, block)
        return effective_parameters(model, rng, patients, tumour, calibration)

    def cells(params: np.ndarray) -> np.ndarray:
        return _tumour_cells_from_sld(
            patients["baseline_sld_mm"].to_numpy(),
            params[:, model.parameter_index("cancer_cell_volume")],
            params[:, model.parameter_index("tumor_cell_volume_fraction")],
        )

    return plausible_parameters(compiled, draw, cells).params


def run_chunk(
    task: ChunkTask,
    *,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ArmOutcome:
    """Simulate one chunk of one arm and compute its per-patient endpoints.

    Random numbers come from per-block streams (:mod:`immunotwin.engine.streams`) keyed by
    the seed, the arm and the patient's block, so a chunk's rows are identical to the same
    rows of a run in any other chunking. ``executor`` parallelises the engine inside the chunk.
    """

    spec, calibration, arm_index = task.spec, task.calibration, task.arm_index
    arm = spec.arms[arm_index]
    patients, start = task.patients, task.start
    n = len(patients)
    model, compiled = _model_and_kernel()
    tumour = spec_tumour(spec)
    follow_up = spec.follow_up_days
    visits, grid = _grid(spec)
    block = task.rng_block_patients
    if task.parameters is not None:
        params = np.array(task.parameters, dtype=float, copy=True)
    else:
        params = presenting_parameters(spec, patients, tumour, calibration, start, block)
    pk_rng = BlockRandom([spec.seed, 0x9C, arm_index], start, n, block)
    plan, y0 = plan_and_baseline(
        model, compiled, arm, patients, params, follow_up, pk_rng, calibration.drug_potency
    )
    endpoint_key = [spec.seed, 0xE4D, arm_index if not spec.paired_patients else 0]

    def endpoints_of(result):
        return _endpoints(
            spec,
            compiled,
            result,
            params,
            patients,
            visits,
            grid,
            BlockRandom(endpoint_key, start, n, block),
            tumour.response_criteria,
            calibration,
        )

    first = _simulate_arm(compiled, y0, params, plan, grid, None, executor, progress)
    first_endpoints = endpoints_of(first)
    discontinue, steroid_day, steroid_events, toci_day = _management(
        first, grid, plan, model, params
    )
    has_il2 = bool((plan.doses["drug"] == "aldesleukin").any())
    ids = patients["patient_id"].to_numpy()
    plan, il2_withheld = _il2_holds(first, grid, plan, model, ids)
    stop = np.minimum(
        np.minimum(first_endpoints.response.pd_day, first_endpoints.death_day), discontinue
    )
    del first, first_endpoints  # one pass's trajectories in memory at a time
    result = _simulate_arm(
        compiled, y0, params, plan, grid, stop, executor, progress, steroid_events
    )
    endpoints = endpoints_of(result)
    cell_therapy = bool(plan.classes & CELL_THERAPY_CLASSES)
    grades = _toxicity(compiled, result, params, cell_therapy)
    neutropenia = _neutropenia(spec, arm_index, plan, patients, endpoints, start, block)
    grades["neutropenia"] = (
        np.zeros(n, dtype=int) if neutropenia is None else neutropenia.worst_grade
    )
    outcome = _arm_tables(
        arm_index,
        arm.name,
        patients,
        plan,
        result,
        visits,
        endpoints,
        follow_up,
        grades,
        spec.patients_per_arm,
    )
    table = outcome.patients
    table["anc_nadir_1e9_per_l"] = (
        np.nan if neutropenia is None else neutropenia.nadir_anc_1e9_per_l
    )
    table["ici_discontinued_day"] = discontinue
    table["steroids_start_day"] = steroid_day
    if cell_therapy:
        table["tocilizumab_day"] = toci_day
    if has_il2:
        table["il2_doses_withheld"] = il2_withheld
    last_day = pd.Series(discontinue, index=table["patient_id"].to_numpy())
    keep = outcome.doses["day"].to_numpy() <= last_day.loc[outcome.doses["patient_id"]].to_numpy()
    return dataclasses.replace(outcome, doses=outcome.doses[keep].reset_index(drop=True))


def trial_provenance(calibration: ParameterSet) -> dict:
    return {
        "immunotwin_version": __version__,
        "solver": "Rodas4, Rosenbrock 4(3) (Hairer & Wanner 1996)",
        "rtol": SOLVER_RTOL,
        "atol": "per state (model abs_tol)",
        "calibration": calibration.version,
    }


def resolve_calibration(calibration: ParameterSet | None) -> ParameterSet:
    if calibration is None:
        from immunotwin.population.calibration_io import shipped_parameter_set

        return shipped_parameter_set()
    return calibration


def run_trial(
    spec: TrialSpec,
    *,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    calibration: ParameterSet | None = None,
    rng_block_patients: int = RNG_BLOCK_PATIENTS,
    patients: pd.DataFrame | None = None,
    parameters: np.ndarray | None = None,
) -> TrialResult:
    """Simulate every arm of ``spec`` and compute per-patient endpoints, in memory.

    ``patients`` and ``parameters`` (optional, together): a supplied virtual-patient table
    and its model-parameter matrix (n x n_params, biomarker maps and calibration applied)
    that every arm simulates instead of sampling from the tumour catalogue (paired arms; the
    spec's ``patients_per_arm`` must equal ``len(patients)``). The patient digital twin uses
    this to run its posterior ensemble.

    ``calibration``: the population-level parameter set; ``None`` uses the shipped one
    (``immunotwin/data/calibration/parameter_set.json``), ``ParameterSet.identity()`` the
    uncalibrated model. ``rng_block_patients`` sets the random streams (keep the default: it
    is part of the reproducibility contract). Each arm runs as one chunk;
    :func:`immunotwin.trials.stream.run_streamed` gives the same rows in bounded memory.
    """
    calibration = resolve_calibration(calibration)
    tumour = spec_tumour(spec)
    model, _ = _model_and_kernel()
    supplied = _check_supplied(spec, patients, parameters, len(model.parameters))
    base_patients = supplied if supplied is not None else arm_patients(spec, 0, tumour)
    arms: list[ArmOutcome] = []
    for arm_index, arm in enumerate(spec.arms):
        paired = spec.paired_patients or supplied is not None
        patients = base_patients if paired else arm_patients(spec, arm_index, tumour)

        def report(done, total, arm_name=arm.name):
            if progress is not None:
                progress(arm_name, done, total)

        task = ChunkTask(
            spec, calibration, arm_index, 0, 0, patients, rng_block_patients, parameters
        )
        arms.append(run_chunk(task, executor=executor, progress=report))
    return TrialResult(
        spec=spec,
        arms=arms,
        model_name=model.name,
        model_hash=model.content_hash(),
        provenance=trial_provenance(calibration),
    )


def _check_supplied(
    spec: TrialSpec, patients: pd.DataFrame | None, parameters: np.ndarray | None, n_params: int
) -> pd.DataFrame | None:
    """A supplied patient table (with ``patient_id`` 0..n-1), checked against its parameters."""
    if patients is None and parameters is None:
        return None
    if patients is None or parameters is None:
        raise SpecError(
            "give supplied patients and their parameters together",
            source="run_trial()",
            fix="pass both patients= and parameters=, or neither",
        )
    n = len(patients)
    if np.shape(parameters) != (n, n_params) or spec.patients_per_arm != n:
        raise SpecError(
            f"supplied parameters have shape {np.shape(parameters)}, the patient table has {n} "
            f"rows and the spec {spec.patients_per_arm} patients per arm",
            source="run_trial()",
            fix=f"pass a ({n}, {n_params}) parameter matrix and patients_per_arm = {n}",
        )
    table = patients.reset_index(drop=True).copy()
    table["patient_id"] = np.arange(n)
    return table


def _labels(codes: np.ndarray) -> np.ndarray:
    names = np.array([r.name for r in sorted(Response, key=int)], dtype=object)
    return names[codes.astype(int)]


def _arm_tables(
    arm_index,
    name,
    patients,
    plan,
    result,
    visits,
    endpoints: _Endpoints,
    follow_up,
    grades,
    patients_per_arm,
) -> ArmOutcome:
    n = len(patients)
    measured, lesion_day, death = endpoints.measured, endpoints.lesion_day, endpoints.death_day
    response, failed = endpoints.response, endpoints.failed
    censor = np.full(n, follow_up)
    from immunotwin.outcomes import overall_survival, progression_free_survival

    last_visit = np.array([visits[visits <= min(d, follow_up)].max() for d in death])
    pfs = progression_free_survival(response.pd_day, death, censor, last_assessment_day=last_visit)
    os_ = overall_survival(death, censor)
    labels = response.bor_labels()
    table = patients.copy()
    table.insert(1, "arm", name)
    table["best_overall_response"] = labels
    table["best_pct_change"] = response.best_pct_change
    table["response_day"] = response.response_day
    table["pd_day"] = response.pd_day
    table["new_lesion_day"] = lesion_day
    table["death_day"] = death
    table["pfs_months"] = pfs.time_months
    table["pfs_event"] = pfs.event.astype(int)
    table["os_months"] = os_.time_months
    table["os_event"] = os_.event.astype(int)
    dor = np.where(
        np.isfinite(response.response_day),
        (np.minimum(np.minimum(response.pd_day, death), follow_up) - response.response_day)
        / DAYS_PER_MONTH,
        np.nan,
    )
    table["dor_months"] = dor
    table["dor_event"] = (
        np.isfinite(response.response_day) & (np.minimum(response.pd_day, death) <= follow_up)
    ).astype(int)
    for organ, g in grades.items():
        if organ in ("crs", "icans"):  # ASTCT grades keep the names the summaries read
            table[f"{organ}_grade"] = g.astype(int)
        else:
            table[f"worst_grade_{organ}"] = g.astype(int)
    irae = [g for o, g in grades.items() if o in ORGANS]
    table["irae_any_grade"] = np.any([g >= 1 for g in irae], axis=0) if irae else False
    table["grade3plus_ae"] = np.any([g >= 3 for g in grades.values()], axis=0) if grades else False
    table["solver_status"] = result.status
    table["failure_reason"] = [
        "" if int(code) == 0 else SolveStatus(int(code)).message for code in result.status
    ]
    table.loc[failed, ["best_overall_response"]] = "NE"
    visit_rows = pd.DataFrame(
        {
            "patient_id": np.repeat(patients["patient_id"].to_numpy(), visits.size),
            "arm": name,
            "day": np.tile(visits, n),
            "sld_mm": measured.ravel(),
            "pct_change": (100 * (measured / measured[:, :1] - 1)).ravel(),
            "ovr": np.concatenate(
                [np.full((n, 1), "BASELINE", dtype=object), _labels(response.ovr)], axis=1
            ).ravel(),
        }
    )
    visit_rows = visit_rows[
        visit_rows["day"] <= np.repeat(np.minimum(death, follow_up), visits.size)
    ]
    doses = plan.doses.copy()
    stop = pd.Series(np.minimum(response.pd_day, death), index=patients["patient_id"])
    doses = doses[doses["day"].to_numpy() <= stop.loc[doses["patient_id"]].to_numpy()]
    doses.insert(1, "arm", name)
    # one row per patient and arm: paired patients keep their virtual_patient_id across arms
    offset = arm_index * patients_per_arm
    table.insert(1, "virtual_patient_id", table["patient_id"].to_numpy())
    table["patient_id"] = table["patient_id"].to_numpy() + offset
    table.insert(2, "usubjid", [f"A{arm_index + 1}-{v:06d}" for v in table["virtual_patient_id"]])
    visit_rows["patient_id"] = visit_rows["patient_id"].to_numpy() + offset
    doses["patient_id"] = doses["patient_id"].to_numpy() + offset
    return ArmOutcome(
        name=name, patients=table, visits=visit_rows, doses=doses, classes=plan.classes
    )
