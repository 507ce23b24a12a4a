"""Simulate twin members under the treatments already given (the likelihood's forward model).

Uses the trial engine's pieces unchanged: the drug plan (:func:`plan_arm`), the baseline state
(:func:`baseline_state`, at the first measured sum of diameters) and the batched solver. Day 0
is the first measurement; each treatment's items start at their offset from it.
"""

from __future__ import annotations

import numpy as np

from immunotwin.engine import build_events, simulate
from immunotwin.engine.streams import BlockRandom
from immunotwin.outcomes import true_sld_mm
from immunotwin.trials.spec import Arm
from immunotwin.twin.ensemble import Ensemble
from immunotwin.twin.patient import Patient

HISTORY_SEED = 0x415


def history_arm(patient: Patient) -> tuple[Arm | None, np.ndarray]:
    """The treatments given as one arm (``None`` if untreated) and the measurement days."""
    origin = patient.origin
    days = np.array([(m.date - origin).days for m in patient.measurements], dtype=float)
    items = []
    for t in patient.treatments:
        offset = (t.start_date - origin).days
        for item in t.regimen:
            update = {"start": f"day {item.start_day + offset:g}"}
            if t.end_date is not None:
                months = max((t.end_date - t.start_date).days, 1) / 30.4375
                if item.max_duration_months is None or item.max_duration_months > months:
                    update["max_duration_months"] = months
            items.append(item.model_copy(update=update))
    arm = Arm(name="history", regimen=tuple(items)) if items else None
    return arm, days


def simulate_history_sld(ensemble: Ensemble, patient: Patient, *, rtol: float = 1e-5) -> np.ndarray:
    """True sum of diameters (mm), shape (n_members, n_measurements), under the history.

    Members whose solve fails get NaN (zero likelihood).
    """
    from immunotwin.model.immune.baseline import baseline_state
    from immunotwin.trials.engine import _model_and_kernel, _tumour_cells_from_sld
    from immunotwin.trials.therapy_map import plan_arm

    model, compiled = _model_and_kernel()
    arm, days = history_arm(patient)
    n = ensemble.size
    table = ensemble.table()
    params = ensemble.parameters(model)
    grid = np.unique(np.concatenate([[0.0], days, [max(days.max(), 1.0)]]))
    events = []
    if arm is not None:
        rng = BlockRandom([HISTORY_SEED], 0, n, max(n, 1))
        potency = ensemble.calibration.drug_potency
        plan = plan_arm(model, arm, table, float(grid[-1]), rng, params, potency)
        for name, values in plan.parameter_values.items():
            params[:, model.parameter_index(name)] = values
        events = plan.events_until(None, params)
    sld0 = table["baseline_sld_mm"].to_numpy(dtype=float)
    cells0 = _tumour_cells_from_sld(
        sld0,
        params[:, model.parameter_index("cancer_cell_volume")],
        params[:, model.parameter_index("tumor_cell_volume_fraction")],
    )
    y0 = baseline_state(compiled, params, cells0)
    result = simulate(compiled, y0, params, grid, build_events(n, events), rtol=rtol)
    burden = compiled.quantities(result.states, params)["tumor_cells_total"]
    ratio = burden / burden[:, :1]
    sld = true_sld_mm(ratio[:, np.searchsorted(grid, days)], sld0[:, None])
    sld[~result.ok] = np.nan
    return sld
