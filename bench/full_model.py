"""Full-model engine benchmark: immunotwin vs libRoadRunner vs scipy LSODA, 44-state model.

Protocol. Model: the full ``immunotwin`` model (``model/registry.py``; 44 states). Patients:
typical NSCLC virtual patients built exactly as in ``bench/scale.py`` (catalogue covariates ->
``sample_parameters`` + biomarkers + shipped calibration + per-patient PK -> ``baseline_state``
after a one-year burn-in), so every patient has its own value of every parameter and its own
initial state. Dosing: pembrolizumab 200 mg IV q3w, 35 doses (days 0-714), 2 years; outputs:
all 44 states weekly (days 0-728, 105 times) for every tool.

- immunotwin: ``simulate`` (Rodas4, numba, patients as the batch axis, all cores by default).
- libRoadRunner: immunotwin's own SBML export (``model/sbml.py``) plus one SBML event per dose
  (libRoadRunner's fastest way to dose); per patient: resetAll, set the 251 parameter values
  and the 44 initial amounts (vectorised setters), reset, ``simulate(times=...)`` with all
  species selected. CVODE with the chosen rtol and atol 1e-12 (libRoadRunner's default atol).
  "1 proc" loops patients in one process; "P procs" gives each of P processes an equal share.
- scipy LSODA (``solve_ivp``, exact Jacobian, segment by segment between doses) on a few
  patients, extrapolated per patient.

Accuracy. Reference: scipy Radau at rtol 1e-10 (atol = 1e-5 x each state's abs_tol), exact
Jacobian, on the first ``--accuracy-patients`` patients. Error metric ("trajectory error"):
the largest relative error over every state and every weekly output that is not a dose day
(the reading at a dose day is pre- or post-dose depending on the tool), relative to
max(|reference|, FLOOR x that state's largest |reference| value for that patient): relative
error while a state is above ``--floor`` (default 1e-3, i.e. 0.1 %) of its own peak, and
below that an absolute error measured in units of that fraction of the peak (a drug washed
out to 1e-6 of its peak, or an eradicated tumour decaying to zero, matters in absolute terms
only); and never below ``--abs-floor`` (default 1e-6 in the state's own unit), so a state that
stays at zero in the model (an unused therapy slot) does not count Radau's 1e-20 residues as a
100 % error. The tumour-burden error (quantity
``tumor_cells_total``) is printed too. "Matched accuracy": for each tool the loosest rtol of
its ladder whose trajectory error is <= ``--target`` (default 1e-4). A handful of Radau
patients can miss the hard cases, so immunotwin's error is also measured on
``--self-check-patients`` (default 500) against its own rtol 1e-8 solution (itself checked
against Radau), and the larger of the two errors counts; libRoadRunner's error is likewise
also measured on ``--rr-self-check-patients`` (default 50) against that solution.
libRoadRunner patients that fail (CVODE convergence failures or too much work) are counted
and printed; a failed patient stops early, which flatters libRoadRunner's time.

Timing: setup (kernel compile/load, SBML load + LLVM JIT, process start, cohort building) is
excluded and printed separately. Each tool runs in its own process(es), so each peak RSS
(``ru_maxrss``) is that tool's own. The cohort is cut into ``--rounds`` blocks and the tools
take turns block by block (immunotwin, RR 1 proc, RR P procs, immunotwin, ...), so a noisy
neighbour slows all tools alike.

    python bench/full_model.py --sizes 1000                   # ~10 min on 2 quiet cores
    python bench/full_model.py --sizes 1000 10000 --rounds 10  # ~60 min (RR dominates)
    python bench/full_model.py --sizes 300 --accuracy-patients 6 --self-check-patients 300 \
        --rr-self-check-patients 30 --lsoda-patients 2           # smoke, ~15 min on busy cores
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from _shared import append_dose_events, cpu_model  # noqa: E402

GRID = np.arange(0.0, 730.0 + 1e-9, 7.0)  # weekly outputs, days 0..728
IT_RTOLS = (1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7)
RR_RTOLS = (1e-6, 1e-7, 1e-8, 1e-9)
RR_ATOL = 1e-12
DOSE_EVENT_PARAMETER = "bench_dose_amount"


# ----------------------------------------------------------------------------- the cohort
def cohort(n: int, seed: int = 2026):
    """(compiled, y0, params, events) of ``n`` typical NSCLC patients on pembrolizumab q3w."""
    from scale import cohort_inputs

    # whole 1,000-patient random blocks, so that patient i is the same whatever n
    parts = [cohort_inputs(a, a + 1000, seed) for a in range(0, n, 1000)]
    compiled = parts[0][0]
    y0 = np.concatenate([p[1] for p in parts])[:n]
    params = np.concatenate([p[2] for p in parts])[:n]
    ev = parts[0][3]
    values = np.concatenate([p[3].values for p in parts])[:n]
    events = type(ev)(ev.times, ev.kinds, ev.index, ev.index2, values)
    return compiled, y0, params, events


def dose_plan(compiled, events) -> tuple[int, np.ndarray, np.ndarray]:
    """(dosed state index, dose days, dose amount per patient); checks one state, one amount."""
    if not (np.all(events.kinds == 0) and np.unique(events.index).size == 1):
        raise SystemExit("the benchmark expects bolus doses into one state")
    amount = events.values[:, 0]
    if not np.all(events.values == amount[:, None]):
        raise SystemExit("the benchmark expects one dose amount per patient")
    return int(events.index[0]), events.times.copy(), amount


def compared_times() -> np.ndarray:
    """Output columns used for accuracy: weekly outputs that are not dose days."""
    return np.flatnonzero(np.mod(GRID, 21.0) != 0.0)


FLOOR = {"value": 1e-3, "absolute": 1e-6}


def trajectory_error(states: np.ndarray, ref: np.ndarray) -> float:
    cols = compared_times()
    x, r = states[:, cols, :], ref[:, cols, :]
    scale = np.max(np.abs(r), axis=1, keepdims=True)
    # a state that stays ~0 (an unused therapy slot, a depleted pool) is compared in absolute
    # terms: Radau leaves 1e-20-sized residues where Rodas4 clips to 0
    denom = np.maximum(np.maximum(np.abs(r), FLOOR["value"] * scale), FLOOR["absolute"])
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(denom > 0, np.abs(x - r) / denom, np.where(x == r, 0.0, np.inf))
    return float(np.max(rel))


def tumour_error(compiled, states, ref, params) -> float:
    cols = compared_times()
    q = compiled.quantities(states[:, cols, :], params)["tumor_cells_total"]
    qr = compiled.quantities(ref[:, cols, :], params)["tumor_cells_total"]
    denom = np.maximum(np.abs(qr), 1e-6 * np.max(np.abs(qr), axis=1, keepdims=True))
    return float(np.max(np.abs(q - qr) / denom))


# ----------------------------------------------------------------------------- immunotwin
_IT: dict = {}


def _it_worker(y0, params, ev_values, ev_meta, rtol, threads, keep):
    """Runs in the immunotwin process: time ``simulate`` only."""
    import numba

    from immunotwin.engine import simulate
    from immunotwin.engine.events import Events
    from immunotwin.model import compile_model
    from immunotwin.model.immune.build import immunotwin_model

    if "compiled" not in _IT:
        _IT["compiled"] = compile_model(immunotwin_model())
    if threads:
        numba.set_num_threads(threads)
    times, kinds, index, index2 = ev_meta
    events = Events(times, kinds, index, index2, ev_values)
    start, cpu = time.perf_counter(), time.process_time()
    res = simulate(_IT["compiled"], y0, params, GRID, events, rtol=rtol, chunk_size=1024)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return wall, rss, int((~res.ok).sum()), (res.states if keep else None), cpu


def _it_warm(threads):
    """Compile/load the kernel and JIT it in the immunotwin process; returns seconds."""
    from immunotwin.model import compile_model
    from immunotwin.model.immune.build import immunotwin_model

    start = time.perf_counter()
    _IT["compiled"] = compile_model(immunotwin_model())
    return time.perf_counter() - start


# ----------------------------------------------------------------------------- libRoadRunner
_RR: dict = {}


def sbml_with_doses(model, dosed: str, dose_days: np.ndarray) -> str:
    """immunotwin's SBML export plus a dose-amount parameter and one event per dose after
    day 0 (the day-0 dose goes into the initial amount)."""
    import libsbml

    from immunotwin.model.sbml import to_sbml

    doc = libsbml.readSBMLFromString(to_sbml(model))
    m = doc.getModel()
    par = m.createParameter()
    par.setId(DOSE_EVENT_PARAMETER)
    par.setValue(0.0)
    # not constant: libRoadRunner folds constant parameters into event assignments at JIT time
    par.setConstant(False)
    append_dose_events(m, dosed, [t for t in dose_days if t > 0.0], DOSE_EVENT_PARAMETER)
    return libsbml.writeSBMLToString(doc)


def _rr_init(sbml, parameter_names, state_names, rtol):
    import roadrunner

    start = time.perf_counter()
    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = rtol
    rr.integrator.absolute_tolerance = RR_ATOL
    rr.timeCourseSelections = ["time", *state_names]
    ids = list(rr.model.getGlobalParameterIds())
    species = list(rr.model.getFloatingSpeciesIds())
    _RR.update(
        rr=rr,
        pidx=np.array([ids.index(n) for n in parameter_names], dtype=np.int32),
        sidx=np.array([species.index(n) for n in state_names], dtype=np.int32),
        dose_idx=np.array([ids.index(DOSE_EVENT_PARAMETER)], dtype=np.int32),
        setup=time.perf_counter() - start,
        rtol=rtol,
    )
    return _RR["setup"]


def _rr_set_rtol(rtol):
    _RR["rr"].integrator.relative_tolerance = rtol
    _RR["rtol"] = rtol
    return rtol


def _rr_worker(y0_dosed, params, dose_amount, keep):
    """Loop patients in this process; time the loop only."""
    rr, pidx, sidx, didx = _RR["rr"], _RR["pidx"], _RR["sidx"], _RR["dose_idx"]
    n = params.shape[0]
    out = np.empty((n, GRID.size, sidx.size)) if keep else None
    failed = 0
    grid = list(GRID)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        rr.resetAll()
        rr.model.setGlobalParameterValues(pidx, params[i])
        rr.model.setGlobalParameterValues(didx, dose_amount[i : i + 1])
        rr.model.setFloatingSpeciesInitAmounts(sidx, y0_dosed[i])
        rr.reset()
        try:
            res = rr.simulate(times=grid)
        except RuntimeError:
            failed += 1
            continue
        if keep:
            out[i] = np.asarray(res)[:, 1:]
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return wall, rss, failed, out, cpu


# ----------------------------------------------------------------------------- scipy
def scipy_patient(compiled, y0, p, dosed, dose_days, amount, method, rtol, atol):
    """All states at GRID for one patient with solve_ivp, segment by segment between doses;
    outputs at a dose day are pre-dose (as immunotwin records them)."""
    from scipy.integrate import solve_ivp

    nonneg = np.array([s.nonnegative for s in compiled.model.states])
    marks = np.unique(np.concatenate([GRID, dose_days]))
    out = np.empty((GRID.size, y0.size))
    y = y0.copy()
    for k, t0 in enumerate(marks):
        j = np.searchsorted(GRID, t0)
        if j < GRID.size and GRID[j] == t0:
            out[j] = y
        if np.any(dose_days == t0):
            y[dosed] += amount
        if k + 1 == marks.size:
            break
        sol = solve_ivp(
            lambda _t, yy: compiled.rhs(yy, p),
            (t0, marks[k + 1]),
            y,
            method=method,
            rtol=rtol,
            atol=atol,
            jac=lambda _t, yy: compiled.jacobian(yy, p),
        )
        if not sol.success:
            out[j + 1 :] = np.nan
            return out
        y = sol.y[:, -1].copy()
        y[nonneg] = np.maximum(y[nonneg], 0.0)
    return out


def scipy_cohort(compiled, y0, params, dosed, dose_days, amounts, method, rtol, atol):
    return np.stack(
        [
            scipy_patient(
                compiled, y0[i], params[i], dosed, dose_days, amounts[i], method, rtol, atol
            )
            for i in range(params.shape[0])
        ]
    )


# ----------------------------------------------------------------------------- driver
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000])
    parser.add_argument("--rounds", type=int, default=4, help="interleaved blocks per size")
    parser.add_argument(
        "--rr-procs",
        type=int,
        default=os.cpu_count() or 1,
        help="libRoadRunner processes for the fair-footing column (0: skip that column)",
    )
    parser.add_argument("--it-threads", type=int, default=0, help="numba threads (0: all)")
    parser.add_argument("--accuracy-patients", type=int, default=12)
    parser.add_argument(
        "--self-check-patients",
        type=int,
        default=500,
        help="also hold immunotwin's error against its own rtol 1e-8 on this many patients",
    )
    parser.add_argument("--lsoda-patients", type=int, default=4)
    parser.add_argument("--lsoda-rtol", type=float, default=1e-6)
    parser.add_argument("--target", type=float, default=1e-4, help="trajectory error target")
    parser.add_argument("--floor", type=float, default=1e-3, help="see the error metric above")
    parser.add_argument(
        "--abs-floor", type=float, default=1e-6, help="absolute floor (state units) of the metric"
    )
    parser.add_argument("--rr-self-check-patients", type=int, default=50)
    parser.add_argument("--it-rtol", type=float, default=0.0, help="skip the ladder: this rtol")
    parser.add_argument("--rr-rtol", type=float, default=0.0, help="skip the ladder: this rtol")
    parser.add_argument("--no-rr", action="store_true", help="immunotwin only")
    parser.add_argument(
        "--reference-cache", type=Path, default=None, help="reuse/save the Radau reference (.npz)"
    )
    args = parser.parse_args()
    FLOOR["value"] = args.floor
    FLOOR["absolute"] = args.abs_floor

    print(
        f"machine: {os.cpu_count()} CPUs ({cpu_model()}), python {platform.python_version()}, "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
    from immunotwin.model.immune.build import immunotwin_model

    model = immunotwin_model()
    ctx = multiprocessing.get_context("spawn")
    it_pool = ProcessPoolExecutor(1, mp_context=ctx)
    t = time.perf_counter()
    it_pool.submit(_it_warm, args.it_threads).result()
    t_setup = time.perf_counter() - t

    n_acc = args.accuracy_patients
    t = time.perf_counter()
    compiled, y0, params, events = cohort(
        max(n_acc, args.lsoda_patients, args.self_check_patients, args.rr_self_check_patients, 1)
    )
    print(f"cohort of {params.shape[0]} built in {time.perf_counter() - t:.1f} s")
    dosed, dose_days, amounts = dose_plan(compiled, events)
    ev_meta = (events.times, events.kinds, events.index, events.index2)
    # one-patient run JITs the kernel in the immunotwin process (or loads numba's cache)
    t = time.perf_counter()
    it_pool.submit(
        _it_worker, y0[:1], params[:1], events.values[:1], ev_meta, 1e-5, 0, False
    ).result()
    print(
        f"model: {len(model.states)} states, {len(model.parameters)} parameters, "
        f"{compiled.jacobian_nonzeros} Jacobian non-zeros, {compiled.lu_nonzeros} in LU; "
        f"immunotwin setup (kernel load/compile {t_setup:.1f} s + JIT/cache load "
        f"{time.perf_counter() - t:.1f} s)"
    )

    # ---------------- accuracy
    atol_state = np.array([s.abs_tol or 1e-9 for s in model.states])
    ya, pa, aa = y0[:n_acc], params[:n_acc], amounts[:n_acc]
    t = time.perf_counter()
    cache = args.reference_cache
    saved = np.load(cache) if cache and cache.exists() else None
    if (
        saved is not None
        and np.array_equal(saved["params"], pa)
        and np.array_equal(saved["y0"], ya)
    ):
        ref = saved["ref"]
    else:
        ref = scipy_cohort(
            compiled, ya, pa, dosed, dose_days, aa, "Radau", 1e-10, 1e-5 * atol_state
        )
        if cache:
            with open(cache, "wb") as fh:
                np.savez(fh, ref=ref, params=pa, y0=ya)
    ref_s = time.perf_counter() - t
    print(f"reference: scipy Radau rtol 1e-10 on {n_acc} patients ({ref_s:.1f} s)")

    def it_states(rtol, n=n_acc):
        return it_pool.submit(
            _it_worker, y0[:n], params[:n], events.values[:n], ev_meta, rtol, args.it_threads, True
        ).result()[3]

    n_self, n_rr_self = args.self_check_patients, args.rr_self_check_patients
    if n_self or n_rr_self:
        tight = it_states(1e-8, max(n_self, n_rr_self))
        print(
            f"self-check reference: immunotwin rtol 1e-8 on {n_self} patients; its trajectory "
            f"error against Radau: {trajectory_error(tight[:n_acc], ref):.1e}"
        )
    it_ladder = (args.it_rtol,) if args.it_rtol else IT_RTOLS
    it_rows = []
    for rtol in it_ladder:
        s = it_states(rtol, max(n_acc, n_self))
        err = trajectory_error(s[:n_acc], ref)
        self_err = trajectory_error(s[:n_self], tight) if n_self else 0.0
        it_rows.append((rtol, max(err, self_err), tumour_error(compiled, s[:n_acc], ref, pa)))
        print(
            f"immunotwin Rodas4 rtol {rtol:.0e}: trajectory error {err:.1e} (Radau, {n_acc} "
            f"patients)"
            + (f", {self_err:.1e} (rtol 1e-8, {n_self} patients)" if n_self else "")
            + f"; tumour burden error {it_rows[-1][2]:.1e}"
        )
    it_ok = [r for r in it_rows if r[1] <= args.target]
    it_match = max(it_ok, key=lambda r: r[0]) if it_ok else min(it_rows, key=lambda r: r[1])

    names = [p.name for p in model.parameters]
    states = list(model.state_names)
    y0_dosed = y0.copy()
    y0_dosed[:, dosed] += np.where(dose_days[0] <= 0.0, amounts, 0.0)
    rr_match = None
    if not args.no_rr:
        sbml = sbml_with_doses(model, states[dosed], dose_days)
        rr1 = ProcessPoolExecutor(1, mp_context=ctx)
        rr_setup = rr1.submit(_rr_init, sbml, names, states, RR_RTOLS[0]).result()
        print(f"libRoadRunner setup (SBML load + LLVM JIT): {rr_setup:.1f} s")
        rr_rows = []
        for rtol in (args.rr_rtol,) if args.rr_rtol else RR_RTOLS:
            rr1.submit(_rr_set_rtol, rtol).result()
            m = max(n_acc, n_rr_self)
            s = rr1.submit(_rr_worker, y0_dosed[:m], params[:m], amounts[:m], True).result()[3]
            err = trajectory_error(s[:n_acc], ref)
            self_err = trajectory_error(s[:n_rr_self], tight[:n_rr_self]) if n_rr_self else 0.0
            rr_rows.append((rtol, max(err, self_err), tumour_error(compiled, s[:n_acc], ref, pa)))
            print(
                f"libRoadRunner CVODE rtol {rtol:.0e} atol {RR_ATOL:.0e}: trajectory error "
                f"{err:.1e} (Radau, {n_acc} patients)"
                + (f", {self_err:.1e} (immunotwin rtol 1e-8, {n_rr_self})" if n_rr_self else "")
                + f"; tumour burden error {rr_rows[-1][2]:.1e}"
            )
            if rr_rows[-1][1] <= args.target:
                break
        rr_ok = [r for r in rr_rows if r[1] <= args.target]
        rr_match = max(rr_ok, key=lambda r: r[0]) if rr_ok else min(rr_rows, key=lambda r: r[1])
        rr1.submit(_rr_set_rtol, rr_match[0]).result()
        # one single-process pool per process: each is initialised once, before timing
        rrp = [ProcessPoolExecutor(1, mp_context=ctx) for _ in range(max(args.rr_procs, 0))]
        init = [ex.submit(_rr_init, sbml, names, states, rr_match[0]) for ex in rrp]
        [f.result() for f in init]
    print(
        f"matched accuracy (trajectory error <= {args.target:.0e}): immunotwin rtol "
        f"{it_match[0]:.0e} (error {it_match[1]:.1e})"
        + (f", libRoadRunner rtol {rr_match[0]:.0e} (error {rr_match[1]:.1e})" if rr_match else "")
    )

    # ---------------- LSODA
    n_ls = args.lsoda_patients
    lsoda_ms = float("nan")
    if n_ls:
        t = time.perf_counter()
        ls = scipy_cohort(
            compiled,
            y0[:n_ls],
            params[:n_ls],
            dosed,
            dose_days,
            amounts[:n_ls],
            "LSODA",
            args.lsoda_rtol,
            atol_state,
        )
        lsoda_ms = 1e3 * (time.perf_counter() - t) / n_ls
        m = min(n_ls, n_acc)
        err = trajectory_error(ls[:m], ref[:m]) if m else float("nan")
        print(
            f"scipy LSODA rtol {args.lsoda_rtol:.0e} (exact Jacobian): {lsoda_ms:.0f} ms/patient "
            f"on {n_ls} patients (extrapolated to N below); trajectory error {err:.1e} "
            f"(on {m} patients)"
        )

    # ---------------- timing, interleaved
    print(
        "\nms/patient (cohort wall s); peak RSS MB per tool process; ratios = RR / immunotwin "
        "at matched accuracy"
    )
    header = "| N | immunotwin | immunotwin rtol 1e-5 (trial) |"
    if rr_match:
        p = args.rr_procs
        header += f" RR 1 proc | RR {p} procs | LSODA (extrap.) | RR1/it | RR{p}/it |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for n in args.sizes:
        t = time.perf_counter()
        _, y0n, pn, evn = cohort(n)
        _, _, an = dose_plan(compiled, evn)
        y0d = y0n.copy()
        y0d[:, dosed] += an
        build = time.perf_counter() - t
        walls = {"it": 0.0, "it5": 0.0, "rr1": 0.0, "rrp": 0.0}
        rss = {"it": 0.0, "rr1": 0.0, "rrp": 0.0}
        failed = {"it": 0, "rr1": 0, "rrp": 0}
        cpus = {"it": 0.0, "rr1": 0.0}
        for block in np.array_split(np.arange(n), args.rounds):
            sl = slice(int(block[0]), int(block[-1]) + 1)
            w, r, f, _, c = it_pool.submit(
                _it_worker,
                y0n[sl],
                pn[sl],
                evn.values[sl],
                ev_meta,
                it_match[0],
                args.it_threads,
                False,
            ).result()
            walls["it"] += w
            cpus["it"] += c
            rss["it"], failed["it"] = max(rss["it"], r), failed["it"] + f
            w, r, f, _, c = it_pool.submit(
                _it_worker, y0n[sl], pn[sl], evn.values[sl], ev_meta, 1e-5, args.it_threads, False
            ).result()
            walls["it5"] += w
            if not rr_match:
                continue
            w, r, f, _, c = rr1.submit(_rr_worker, y0d[sl], pn[sl], an[sl], False).result()
            walls["rr1"] += w
            cpus["rr1"] += c
            rss["rr1"], failed["rr1"] = max(rss["rr1"], r), failed["rr1"] + f
            if not rrp:
                continue
            parts = np.array_split(np.arange(sl.start, sl.stop), args.rr_procs)
            start = time.perf_counter()
            futures = [
                ex.submit(
                    _rr_worker,
                    y0d[q[0] : q[-1] + 1],
                    pn[q[0] : q[-1] + 1],
                    an[q[0] : q[-1] + 1],
                    False,
                )
                for ex, q in zip(rrp, parts, strict=True)
                if q.size
            ]
            results = [fu.result() for fu in futures]
            walls["rrp"] += time.perf_counter() - start
            rss["rrp"] = max([rss["rrp"], *(res[1] for res in results)])
            failed["rrp"] += sum(res[2] for res in results)

        def cell(key: str, n: int = n, walls: dict = walls) -> str:
            if key == "rrp" and not rrp:
                return "-"
            return f"{1e3 * walls[key] / n:.2f} ({walls[key]:.0f} s)"

        row = f"| {n:,} | {cell('it')} | {cell('it5')} |"
        if rr_match:
            row += (
                f" {cell('rr1')} | {cell('rrp')} | {lsoda_ms:.0f} ({lsoda_ms * n / 1e3:.0f} s) |"
                f" {walls['rr1'] / walls['it']:.1f}x |"
                + (f" {walls['rrp'] / walls['it']:.1f}x |" if rrp else " - |")
            )
        print(row)
        print(
            f"    CPU ms/patient (all threads of the process): immunotwin "
            f"{1e3 * cpus['it'] / n:.2f}"
            + (
                f", RR 1 proc {1e3 * cpus['rr1'] / n:.2f} (CPU ratio "
                f"{cpus['rr1'] / max(cpus['it'], 1e-9):.1f}x)"
                if rr_match
                else ""
            )
        )
        print(
            f"    peak RSS MB: immunotwin {rss['it']:.0f}"
            + (f", RR 1 proc {rss['rr1']:.0f}, RR per proc {rss['rrp']:.0f}" if rr_match else "")
            + f"; failed patients: {failed}; cohort build {build:.0f} s (excluded); "
            f"load average {os.getloadavg()[0]:.1f}"
        )
    it_pool.shutdown()
    if rr_match:
        rr1.shutdown()
        for ex in rrp:
            ex.shutdown()


if __name__ == "__main__":
    main()
