"""Engine benchmark: immunotwin vs libRoadRunner vs scipy LSODA on a stiff 15-state model.

Protocol (after shared/BENCH_ANCHORS.md): the 15-state anti-PD-1 reference model
(`immunotwin.model.library.checkpoint_reference`), 200 mg IV bolus every 21 days (35 doses)
for 730 days, 11 log-normally varying parameters, tumour burden read at the 18 six-week
assessments (days 0, 42, ..., 714). Accuracy is the maximum relative error of tumour burden
over all assessments of the first 12 patients against scipy Radau at rtol 1e-10 / atol 1e-14
(same model, same dosing). libRoadRunner simulates the SBML that immunotwin exports, looping
patients with resetAll / set parameters / reset and applying each dose between segments, at its
CVODE defaults (rtol 1e-6, atol 1e-12). Compile/setup time is excluded and listed separately.

Run: `.venv/bin/python bench/engine.py` (add `--quick` for N = 1,000 only).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import tempfile
import time

import numpy as np
from _shared import append_dose_events

N_ACCURACY = 12
DOSE_MG = 200.0
DOSE_TIMES = np.arange(35) * 21.0
ASSESSMENTS = np.arange(18) * 42.0
STATE_DOSED = "antipd1_central"


def population(model, n: int, seed: int = 2026) -> np.ndarray:
    """Parameters of n patients: each log-normal parameter varies by its sigma."""
    rng = np.random.default_rng(seed)
    base = np.array([p.model_value for p in model.parameters])
    params = np.tile(base, (n, 1))
    for k, p in enumerate(model.parameters):
        if p.distribution.kind == "lognormal":
            params[:, k] *= rng.lognormal(0.0, p.distribution.sigma, n)
    return params


def tumour_burden(states: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return states[..., names.index("tumor_viable")] + states[..., names.index("tumor_dead")]


def run_immunotwin(compiled, params, rtol: float):
    from immunotwin.engine import EventKind, build_events, simulate

    idx = compiled.model.state_index(STATE_DOSED)
    events = build_events(
        params.shape[0], [(t, EventKind.ADD_TO_STATE, idx, 0, DOSE_MG) for t in DOSE_TIMES]
    )
    start = time.perf_counter()
    res = simulate(
        compiled,
        compiled.default_initial_state(),
        params,
        ASSESSMENTS,
        events,
        rtol=rtol,
        chunk_size=1024,
    )
    wall = time.perf_counter() - start
    return wall, tumour_burden(res.states, res.state_names), res


def _segments():
    return np.unique(np.concatenate([DOSE_TIMES, ASSESSMENTS, [730.0]]))


def scipy_segments(compiled, params, method: str, rtol: float, atol: float) -> np.ndarray:
    """Tumour burden at the assessments with scipy's solve_ivp (exact Jacobian), segment by
    segment between doses; one Python call per right-hand-side evaluation."""
    from scipy.integrate import solve_ivp

    names = compiled.model.state_names
    idx = names.index(STATE_DOSED)
    out = np.empty((params.shape[0], ASSESSMENTS.size))
    grid = _segments()
    for i, p in enumerate(params):
        y = compiled.default_initial_state()
        for t0, t1 in zip(grid[:-1], grid[1:], strict=True):
            if t0 in ASSESSMENTS:
                out[i, np.searchsorted(ASSESSMENTS, t0)] = tumour_burden(y, names)
            if t0 in DOSE_TIMES:
                y[idx] += DOSE_MG
            sol = solve_ivp(
                lambda _t, yy, p=p: compiled.rhs(yy, p),
                (t0, t1),
                y,
                method=method,
                rtol=rtol,
                atol=atol,
                jac=lambda _t, yy, p=p: compiled.jacobian(yy, p),
            )
            y = np.maximum(sol.y[:, -1], 0.0)
    return out


def reference(compiled, params):
    """scipy Radau at rtol 1e-10, atol 1e-14: the accuracy reference."""
    return scipy_segments(compiled, params, "Radau", 1e-10, 1e-14)


def run_lsoda(compiled, params):
    start = time.perf_counter()
    out = scipy_segments(compiled, params, "LSODA", 1e-6, 1e-12)
    return time.perf_counter() - start, out


def sbml_with_dose_events(sbml: str) -> str:
    """The exported SBML plus one SBML event per dose after day 0 (day 0 is in the initial
    amount), so that libRoadRunner runs each patient in one simulate call."""
    import libsbml

    doc = libsbml.readSBMLFromString(sbml)
    m = doc.getModel()
    m.getSpecies(STATE_DOSED).setInitialAmount(DOSE_MG)
    append_dose_events(m, STATE_DOSED, DOSE_TIMES[1:], repr(float(DOSE_MG)))
    return libsbml.writeSBMLToString(doc)


def _roadrunner_worker(args):
    """Loop patients: resetAll, set the varying parameters, reset, then simulate.

    mode 'events': one simulate call per patient with SBML dose events (libRoadRunner's best);
    mode 'segments': simulate between doses and add each dose by hand."""
    sbml, varying, values, mode = args
    import roadrunner

    rr = roadrunner.RoadRunner(sbml)
    rr.integrator.relative_tolerance = 1e-6
    rr.integrator.absolute_tolerance = 1e-12
    grid = _segments()
    out = np.empty((values.shape[0], ASSESSMENTS.size))
    for i, row in enumerate(values):
        rr.resetAll()
        for name, value in zip(varying, row, strict=True):
            rr.setValue(name, float(value))
        rr.reset()
        if mode == "events":
            res = rr.simulate(times=list(ASSESSMENTS), selections=["tumor_viable", "tumor_dead"])
            out[i] = np.asarray(res[:, 0]) + np.asarray(res[:, 1])
            continue
        for t0, t1 in zip(grid[:-1], grid[1:], strict=True):
            if t0 in ASSESSMENTS:
                j = np.searchsorted(ASSESSMENTS, t0)
                out[i, j] = rr.getValue("tumor_viable") + rr.getValue("tumor_dead")
            if t0 in DOSE_TIMES:
                rr.setValue(STATE_DOSED, rr.getValue(STATE_DOSED) + DOSE_MG)
            rr.simulate(float(t0), float(t1), 2)
    return out


def run_roadrunner(model, params, processes: int, mode: str = "events"):
    from immunotwin.model.sbml import to_sbml

    sbml = to_sbml(model) if mode == "segments" else sbml_with_dose_events(to_sbml(model))
    varying = [k for k, p in enumerate(model.parameters) if p.distribution.kind == "lognormal"]
    names = [model.parameters[k].name for k in varying]
    t0 = time.perf_counter()
    import roadrunner

    roadrunner.RoadRunner(sbml)
    setup = time.perf_counter() - t0
    chunks = np.array_split(params[:, varying], processes)
    start = time.perf_counter()
    if processes == 1:
        outs = [_roadrunner_worker((sbml, names, chunks[0], mode))]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            outs = pool.map(_roadrunner_worker, [(sbml, names, c, mode) for c in chunks])
    return time.perf_counter() - start, np.concatenate(outs), setup


def max_rel_err(values, ref):
    return float(np.max(np.abs(values - ref) / np.abs(ref)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1,000 only")
    parser.add_argument("--lsoda-patients", type=int, default=20)
    args = parser.parse_args()
    sizes = [1000] if args.quick else [1000, 10_000]

    os.environ.setdefault("IMMUNOTWIN_CACHE", tempfile.mkdtemp(prefix="immunotwin-bench-"))
    from immunotwin.model import compile_model
    from immunotwin.model.library.checkpoint_reference import checkpoint_reference_model

    model = checkpoint_reference_model()
    t = time.perf_counter()
    compiled = compile_model(model)
    run_immunotwin(compiled, population(model, 2), 1e-6)  # numba JIT of the kernel
    compile_s = time.perf_counter() - t
    cpu = platform.processor() or platform.machine()
    print(
        f"machine: {os.cpu_count()} CPUs ({cpu}), numba threads "
        f"{__import__('numba').get_num_threads()}"
    )
    print(
        f"model: {len(model.states)} states, {len(model.parameters)} parameters, "
        f"{compiled.jacobian_nonzeros} Jacobian non-zeros, {compiled.lu_nonzeros} in LU"
    )
    print(f"immunotwin compile (sympy + codegen + numba, cold cache): {compile_s:.1f} s")

    acc_params = population(model, N_ACCURACY)
    t = time.perf_counter()
    ref = reference(compiled, acc_params)
    print(f"reference: Radau rtol 1e-10 on {N_ACCURACY} patients ({time.perf_counter() - t:.1f} s)")

    rr_err = max_rel_err(run_roadrunner(model, acc_params, 1)[1], ref)
    rr_seg_err = max_rel_err(run_roadrunner(model, acc_params, 1, "segments")[1], ref)
    rows = []
    for rtol in (1e-4, 3e-5, 1e-5, 5e-6, 3e-6, 2e-6, 1e-6):
        _, burden, _ = run_immunotwin(compiled, acc_params, rtol)
        rows.append((rtol, max_rel_err(burden, ref)))
    matched = max((r for r in rows if r[1] <= rr_err), default=rows[-1], key=lambda r: r[0])
    print(f"libRoadRunner CVODE defaults, dose events: max rel error {rr_err:.1e}")
    print(f"libRoadRunner CVODE defaults, dose segments: max rel error {rr_seg_err:.1e}")
    for rtol, err in rows:
        print(f"immunotwin Rodas4 rtol {rtol:.0e}: max rel error {err:.1e}")
    print(
        f"matched accuracy: immunotwin rtol {matched[0]:.0e} (error {matched[1]:.1e} <= "
        f"{rr_err:.1e})"
    )

    lsoda_params = population(model, args.lsoda_patients, seed=99)
    lsoda_wall, _ = run_lsoda(compiled, lsoda_params)
    lsoda_ms = 1e3 * lsoda_wall / args.lsoda_patients
    print(
        f"scipy LSODA (exact Jacobian, rtol 1e-6): {lsoda_ms:.1f} ms/patient "
        f"({args.lsoda_patients} patients; larger N extrapolated)"
    )

    print(
        "\nWall time per patient (whole cohort in brackets); ratios = libRoadRunner (events) /"
        " immunotwin at matched accuracy, same machine"
    )
    print(
        "| N | immunotwin rtol 1e-6 | immunotwin matched | RR events 1 proc | RR events 2 procs"
        " | RR segments 1 proc | LSODA (extrap.) | RR1/it | RR2/it |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        params = population(model, n)
        it_wall, _, res = run_immunotwin(compiled, params, 1e-6)
        m_wall, _, _ = run_immunotwin(compiled, params, matched[0])
        rr1_wall, _, setup = run_roadrunner(model, params, 1)
        rr2_wall, _, _ = run_roadrunner(model, params, 2)
        seg_wall, _, _ = run_roadrunner(model, params, 1, "segments")

        def cell(wall: float, n: int = n) -> str:
            return f"{1e3 * wall / n:.3f} ms ({wall:.1f} s)"

        print(
            f"| {n:,} | {cell(it_wall)} | {cell(m_wall)} | {cell(rr1_wall)} | {cell(rr2_wall)}"
            f" | {cell(seg_wall)} | {lsoda_ms:.0f} ms ({lsoda_ms * n / 1e3:.0f} s) | "
            f"{rr1_wall / m_wall:.1f}x | {rr2_wall / m_wall:.1f}x |"
        )
        failed = int((~res.ok).sum())
        if failed:
            print(f"  ({failed} immunotwin patients failed: {res.failures()[:3]})")
    print(f"\nlibRoadRunner setup (SBML load + LLVM JIT): {setup:.2f} s")


if __name__ == "__main__":
    main()
