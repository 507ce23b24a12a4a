"""Build one patient's twin: prior -> evidence -> forecast -> ranking -> explanation.

:func:`build_twin` returns the content of ``twin.json`` (a JSON-safe dict); writing it and the
HTML report lives in :mod:`immunotwin.twin.report`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np

from immunotwin import __version__
from immunotwin.population.calibration import ParameterSet
from immunotwin.trials.spec import RegimenItem
from immunotwin.twin.ensemble import GROWTH, Ensemble, prior_ensemble
from immunotwin.twin.evidence import (
    measurement_loglik,
    response_model_weights,
    smc_update,
)
from immunotwin.twin.forecast import (
    DEFAULT_RANK_CRITERION,
    RANK_CRITERIA,
    add_comparisons,
    rank,
    responders,
    run_forecast,
    summarise_arm,
)
from immunotwin.twin.patient import Patient
from immunotwin.twin.regimens import Regimen, default_regimens, standard_of_care

log = logging.getLogger(__name__)

DISCLAIMER = "For research use, not for clinical decisions."
TRAINING_RESPONSE_RATE = 282 / 964
"""Objective-response rate of the response model's training cohort (Chowell_train, 282/964;
shared/data/icb/MANIFEST.md): the base rate the model's odds are measured against."""
ANTI_PD1_DRUGS = {
    "pembrolizumab",
    "nivolumab",
    "cemiplimab",
    "atezolizumab",
    "durvalumab",
    "avelumab",
}
REFERENCE_ICB = Regimen(
    key="reference_anti_pd1",
    name="pembrolizumab 200 mg q3w (reference for the response model)",
    role="other",
    items=(
        RegimenItem.model_validate(
            {"drug": "pembrolizumab", "dose": "200 mg", "every": "3 weeks", "max_cycles": 35}
        ),
    ),
    source="KEYTRUDA US label",
)
COUNTERFACTUAL_MEMBERS = 100
LATENT_REPORTED = (GROWTH, "cd8_kill_rate", "exhaustion_rate", "pdl1_basal_density")

Progress = Callable[[str], None]


def _safe(x):
    if isinstance(x, dict):
        return {k: _safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_safe(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def forecast_line(patient: Patient, default_line: int) -> int:
    """The line of therapy the twin simulates: the patient's ``line``; without it, a patient
    with prior systemic therapy is in line >= 2 and one without in line 1 (the mechanistic
    model's prior-therapy factor reads the line), else the tumour type's default line."""
    if patient.line is not None:
        return patient.line
    if patient.prior_systemic_therapy is None:
        return default_line
    return max(default_line, 2) if patient.prior_systemic_therapy else 1


def response_model_probability(patient: Patient) -> float:
    """The shipped response model's P(objective response to ICB) from the known inputs only."""
    import pandas as pd

    from immunotwin.response.hook import score_virtual_patients

    b = patient.biomarkers
    prior = patient.prior_systemic_therapy
    if prior is None and patient.line is not None:
        prior = patient.line > 1
    row = {
        "tumor_type": patient.tumor_type,
        "tmb_mut_per_mb": b.tmb_mut_per_mb,
        "pdl1_tps": b.pdl1_tps,
        "albumin_g_per_l": patient.albumin_g_per_l,
        "nlr": patient.nlr,
        "age_years": patient.age_years,
        "prior_systemic_therapy": None if prior is None else float(prior),
    }
    frame = pd.DataFrame([{k: (np.nan if v is None else v) for k, v in row.items()}])
    return float(score_virtual_patients(frame)[0])


def _reference(regimens: tuple[Regimen, ...]) -> tuple[Regimen, bool]:
    """An anti-PD-(L)1 monotherapy among the candidates, else the hidden reference arm."""
    for r in regimens:
        drugs = {i.drug for i in r.items}
        if len(drugs) == 1 and drugs <= ANTI_PD1_DRUGS:
            return r, False
    return REFERENCE_ICB, True


def split_simulable(
    regimens: tuple[Regimen, ...], ensemble: Ensemble, model
) -> tuple[tuple[Regimen, ...], list[dict]]:
    """The regimens the model can simulate, and the others with the engine's reason."""
    from immunotwin.errors import ImmunotwinError
    from immunotwin.trials.therapy_map import plan_arm

    members = ensemble.take(np.arange(min(2, ensemble.size)))
    table, params = members.table(), members.parameters(model)
    ok, skipped = [], []
    for r in regimens:
        try:
            plan_arm(model, r.arm(), table, 365.0, np.random.default_rng(0), params)
            ok.append(r)
        except ImmunotwinError as exc:
            skipped.append({"key": r.key, "name": r.name, "reason": str(exc).splitlines()[0]})
    return tuple(ok), skipped


def _latent_summary(ensemble: Ensemble, model) -> dict:
    params = ensemble.parameters(model)
    table = ensemble.table()
    out = {}
    for name in LATENT_REPORTED:
        if name == GROWTH:
            v = table[GROWTH].to_numpy(float)
        else:
            v = params[:, model.parameter_index(name)]
        q = np.quantile(v, [0.05, 0.5, 0.95])
        out[name] = {"median": float(q[1]), "interval90": [float(q[0]), float(q[2])]}
    return out


def update_with_measurements(
    ensemble: Ensemble, patient: Patient, seed: int
) -> tuple[Ensemble, dict]:
    """Posterior ensemble given the patient's dated measurements, and a report."""
    from immunotwin.trials.engine import _model_and_kernel
    from immunotwin.twin.history import simulate_history_sld

    model, _ = _model_and_kernel()
    observed = np.array([m.sld_mm for m in patient.measurements])

    def loglik(e: Ensemble) -> np.ndarray:
        return measurement_loglik(simulate_history_sld(e, patient), observed)

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5AC]))
    posterior, report = smc_update(ensemble, loglik, rng)
    sld = simulate_history_sld(posterior, patient)
    fit = {
        "days": [(m.date - patient.origin).days for m in patient.measurements],
        "observed_mm": observed.tolist(),
        "posterior_q10_mm": np.nanquantile(sld, 0.1, axis=0).round(2).tolist(),
        "posterior_q50_mm": np.nanquantile(sld, 0.5, axis=0).round(2).tolist(),
        "posterior_q90_mm": np.nanquantile(sld, 0.9, axis=0).round(2).tolist(),
    }
    current = np.where(np.isfinite(sld[:, -1]) & (sld[:, -1] > 0), sld[:, -1], observed[-1])
    table = posterior.patients.copy()
    table["baseline_sld_mm"] = np.maximum(current, 1.0)
    info = {
        **report.as_dict(),
        "prior": _latent_summary(ensemble, model),
        "posterior": _latent_summary(posterior, model),
        "history_fit": fit,
        "forecast_start": str(patient.measurements[-1].date),
        "note": "the forecast restarts each member at its simulated size on the last "
        "measurement date with immune states re-initialised at that burden (drug exposure "
        "from earlier treatment is not carried over)",
    }
    return posterior.with_patients(table), info


def _counterfactuals(patient: Patient, ensemble: Ensemble) -> list[tuple[str, str, dict]]:
    """(feature, description, column changes) for one-biomarker-changed twins."""
    t = ensemble.patients
    tumour = ensemble.tumour
    out = []
    tmb = float(np.median(t["tmb"]))
    q = tumour.biomarkers.tmb_mut_per_mb.sample(np.random.default_rng(0), 4000)
    lo, hi = np.quantile(q, [0.1, 0.9])
    new = hi if tmb < np.median(q) else lo
    out.append(("tmb", f"TMB {tmb:.1f} -> {new:.1f} mut/Mb", {"tmb": new}))
    if not tumour.heme:
        pd_l1 = float(np.nanmedian(t["pdl1_tps"])) if t["pdl1_tps"].notna().any() else 0.3
        new_pdl1 = 0.01 if pd_l1 >= 0.5 else 0.8
        out.append(
            (
                "pdl1_tps",
                f"PD-L1 TPS {pd_l1:.2f} -> {new_pdl1:.2f}",
                {"pdl1_tps": new_pdl1, "pdl1_cps": np.nan},
            )
        )
    for flag in ("hla_loh", "b2m_loss"):
        now = bool(t[flag].mean() >= 0.5)
        out.append((flag, f"{flag} {now} -> {not now}", {flag: not now}))
    sld = float(np.median(t["baseline_sld_mm"]))
    factor = 0.5 if sld > 60 else 2.0
    out.append(
        (
            "baseline_sld_mm",
            f"tumour size {sld:.0f} -> {sld * factor:.0f} mm",
            {"baseline_sld_mm": t["baseline_sld_mm"].to_numpy() * factor},
        )
    )
    return out


def explain(
    patient: Patient,
    ensemble: Ensemble,
    ranked: list[dict],
    regimens: dict[str, Regimen],
    criterion: str,
    seed: int,
    executor=None,
) -> dict:
    """Counterfactual twins with one feature changed: how the gap between the top two
    regimens (in the ranking criterion) moves. The feature with the largest shift drives it."""
    if len(ranked) < 2:
        return {"note": "fewer than two regimens: nothing to compare"}
    import pandas as pd

    top = (regimens[ranked[0]["key"]], regimens[ranked[1]["key"]])
    m = min(ensemble.size, COUNTERFACTUAL_MEMBERS)
    base = ensemble.take(np.arange(m))
    variants = [("as observed", "the patient's twin", {})] + _counterfactuals(patient, base)
    tables, zs = [], []
    for _, _, change in variants:
        t = base.patients.copy()
        for col, value in change.items():
            t[col] = value
        tables.append(t)
        zs.append(base.z)
    stacked = Ensemble(
        base.tumour,
        pd.concat(tables, ignore_index=True),
        np.vstack(zs),
        base.space,
        base.calibration,
        base.n_clones,
        base.imputed,
    )
    result = run_forecast(stacked, top, seed, executor)
    wtp = _wtp()
    rows = []
    for v, (feature, description, _) in enumerate(variants):
        sl = slice(v * m, (v + 1) * m)
        values = []
        for arm, regimen in zip(result.arms, top, strict=True):
            sub = _ArmSlice(arm, sl)
            s = summarise_arm(sub, regimen, np.ones(m)).summary
            add_comparisons([s], None, wtp)
            values.append(s[criterion] if s[criterion] is not None else float("nan"))
        rows.append(
            {
                "feature": feature,
                "change": description,
                f"{top[0].key}": values[0],
                f"{top[1].key}": values[1],
                "gap": values[0] - values[1],
            }
        )
    gap0 = rows[0]["gap"]
    for r in rows[1:]:
        r["gap_shift"] = r["gap"] - gap0
    drivers = sorted(
        rows[1:], key=lambda r: -abs(r["gap_shift"]) if np.isfinite(r["gap_shift"]) else 0
    )
    return {
        "criterion": criterion,
        "top_regimens": [top[0].key, top[1].key],
        "members": m,
        "counterfactuals": rows,
        "drivers": [r["feature"] for r in drivers],
        "method": "each counterfactual twin is the posterior ensemble (first "
        f"{m} members, same latent parameters) with one input changed; gap = criterion of "
        "the first minus the second regimen",
    }


class _ArmSlice:
    """Rows ``sl`` of an arm outcome (patients and their visits)."""

    def __init__(self, arm, sl: slice):
        p = arm.patients.iloc[sl].reset_index(drop=True)
        ids = set(p["patient_id"].tolist())
        self.patients = p
        self.visits = arm.visits[arm.visits["patient_id"].isin(ids)]


def _wtp() -> float:
    from immunotwin.economics.settings import EconomicsSettings

    return float(EconomicsSettings().wtp_per_qaly)


def build_twin(
    patient: Patient,
    *,
    n: int = 200,
    seed: int = 0,
    regimens: tuple[Regimen, ...] | None = None,
    use_response_model: bool = True,
    rank_by: str = DEFAULT_RANK_CRITERION,
    explain_ranking: bool = True,
    calibration: ParameterSet | None = None,
    progress: Progress | None = None,
    executor=None,
) -> dict:
    """The twin of ``patient`` as a JSON-safe dict (the content of twin.json).

    ``n``: ensemble members; ``regimens``: candidates (default: the packaged table's entries
    for the tumour type and line); ``use_response_model``: add the response model as evidence
    (the forecast without it is always reported too); ``rank_by``: a key of
    :data:`immunotwin.twin.forecast.RANK_CRITERIA`; ``executor``: parallelises the forecast
    simulations (results do not change).
    """
    from immunotwin.population.calibration_io import shipped_parameter_set
    from immunotwin.trials.engine import _model_and_kernel

    if rank_by not in RANK_CRITERIA:
        rank([], rank_by)  # raises the InputError
    say = progress or (lambda _msg: None)
    calibration = calibration or shipped_parameter_set()
    model, _ = _model_and_kernel()
    from immunotwin.population.catalog import load_tumor_catalog

    tumour = load_tumor_catalog().get(patient.tumor_type)
    line = forecast_line(patient, tumour.line_of_therapy_default)
    notes: list[str] = []
    n_clones, neo_info = None, None
    if patient.neoantigens:
        from immunotwin.twin.neoantigens import clones_from_neoantigens

        n_clones, neo_info = clones_from_neoantigens(patient.neoantigens)
    elif patient.vcf:
        from immunotwin.twin.neoantigens import clones_from_vcf

        n_clones, neo_info = clones_from_vcf(patient.vcf, patient.biomarkers.hla_genotype or ())
    say("prior ensemble")
    ensemble = prior_ensemble(
        patient, model, n, seed=seed, calibration=calibration, n_clones=n_clones
    )
    update = None
    if len(patient.measurements) >= 2:
        say("updating on measurements")
        ensemble, update = update_with_measurements(ensemble, patient, seed)
    elif patient.measurements:
        notes.append("one measurement only: used as the baseline size, no update")
    offered = regimens if regimens is not None else default_regimens(tumour.key, line)
    candidates, not_simulable = split_simulable(offered, ensemble, model)
    out: dict = {
        "immunotwin_version": __version__,
        "disclaimer": DISCLAIMER,
        "patient": patient.model_dump(mode="json"),
        "tumor_type": tumour.key,
        "tumor_name": tumour.display_name,
        "line": line,
        "ensemble_size": n,
        "seed": seed,
        "calibration": calibration.version,
        "imputed": ensemble.imputed,
        "neoantigens": neo_info,
        "measurement_update": update,
        "rank_by": rank_by,
        "rank_by_description": RANK_CRITERIA[rank_by],
        "notes": notes,
        "regimens_not_simulated": not_simulable,
    }
    for row in not_simulable:
        notes.append(f"regimen '{row['key']}' is not simulated: {row['reason']}")
    if not candidates:
        notes.append(
            f"no simulable regimen for '{tumour.key}' at line {line} "
            f"({len(offered)} offered by the regimen table): give one with --regimens FILE"
        )
        out.update(
            ranking=[],
            forecast_without_response_model=[],
            explanation=None,
            response_model=None,
            curves={},
            burden={},
        )
        return _safe(out)
    rm_applicable = use_response_model and not tumour.heme
    if use_response_model and tumour.heme:
        notes.append(
            "response model not used: it was trained on solid tumours treated with "
            "checkpoint blockade"
        )
    reference, hidden = _reference(candidates) if rm_applicable else (None, False)
    arms = candidates + ((reference,) if hidden else ())
    say(f"forecasting {len(arms)} regimens x {ensemble.size} members")
    result = run_forecast(ensemble, arms, seed, executor)
    by_key = {a.name: a for a in result.arms}
    uniform = np.full(ensemble.size, 1.0 / ensemble.size)
    weights = uniform
    rm_info = None
    if rm_applicable:
        p_model = response_model_probability(patient)
        weights, rm_info = response_model_weights(
            responders(by_key[reference.key]), p_model, TRAINING_RESPONSE_RATE
        )
        rm_info["reference_regimen"] = reference.key
    soc = standard_of_care(candidates)
    wtp = _wtp()

    def summaries(w):
        forecasts = [summarise_arm(by_key[r.key], r, w) for r in candidates]
        rows = [f.summary for f in forecasts]
        add_comparisons(rows, soc.key if soc else None, wtp)
        return rank(rows, rank_by), forecasts

    ranked, forecasts = summaries(weights)
    ranked_without, _ = summaries(uniform) if rm_applicable else (None, None)
    if soc is None:
        notes.append("no standard-of-care regimen among the candidates: ICERs are not given")
    out.update(
        ranking=ranked,
        forecast_without_response_model=ranked_without,
        response_model=rm_info,
        curves={f.key: f.curves for f in forecasts},
        burden={f.key: f.burden for f in forecasts},
        standard_of_care=soc.key if soc else None,
        wtp_per_qaly=wtp,
    )
    if explain_ranking:
        say("counterfactual twins")
        out["explanation"] = explain(
            patient, ensemble, ranked, {r.key: r for r in candidates}, rank_by, seed, executor
        )
    return _safe(out)
