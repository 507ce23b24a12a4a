# ruff: noqa: F821
"""Rodas4 integration of a batch of patients: the template appended to every generated model.

Not imported on its own: :mod:`immunotwin.model.compile` appends this text to the generated
model functions (``model_rhs``, ``model_jac``, ``model_factor``, ``model_solve``,
``model_quantities`` and the sizes ``N_STATES``, ``NNZ_J``, ``NNZ_W``, ``N_QUANTITIES``), so
that numba compiles and caches one self-contained module per model.

Method: RODAS4, the stiffly accurate 6-stage, order-4(3) Rosenbrock method of Hairer & Wanner,
*Solving ODEs II* (1996), section IV.7, coefficients of their ``rodas.f`` (METH = 1), written in
the transformed form that needs one LU per step. The model is autonomous between events (time
enters only through parameters that events change), so the df/dt terms vanish. Step-size
control: the embedded third-order solution, a mixed absolute/relative RMS norm, and the
standard factor 0.9*err^(-1/4) limited to [0.2, 6].

Events are applied between integration segments: ``kind`` 0 adds ``value`` to a state, 1 sets a
parameter, 2 multiplies a state, 3 moves the fraction ``value`` of state ``index`` to state
``index2`` (radiotherapy/chemotherapy kill to a doomed pool). Outputs at a time that also has
events are recorded *before* the events (pre-dose troughs).

Statuses: 0 ok, 1 maximum number of steps reached, 2 non-finite state, 3 step size underflow.
Every function is compiled with numba's ``error_model="numpy"``: a division by zero in a
patient's right-hand side gives inf/NaN (a rejected step, then a status) instead of raising,
so one patient can never stop its batch.
"""

RODAS4_GAMMA = 0.25
A21 = 1.544
A31 = 0.9466785280815826
A32 = 0.2557011698983284
A41 = 3.314825187068521
A42 = 2.896124015972201
A43 = 0.9986419139977817
A51 = 1.221224509226641
A52 = 6.019134481288629
A53 = 12.53708332932087
A54 = -0.6878860361058950
C21 = -5.6688
C31 = -2.430093356833875
C32 = -0.2063599157091915
C41 = -0.1073529058151375
C42 = -9.594562251023355
C43 = -20.47028614809616
C51 = 7.496443313967647
C52 = -10.24680431464352
C53 = -33.99990352819905
C54 = 11.70890893206160
C61 = 8.083246795921522
C62 = -7.981132988064893
C63 = -31.52159432874371
C64 = 16.31930543123136
C65 = -6.058818238834054

STATUS_OK = 0
STATUS_MAX_STEPS = 1
STATUS_NON_FINITE = 2
STATUS_STEP_UNDERFLOW = 3


@njit(cache=True, nogil=True, error_model="numpy")
def _integrate_segment(y, p, t0, t1, h, atol, rtol, nonneg, max_steps, work, jv, w, dinv, steps):
    """Advance y from t0 to t1 in place. Returns (status, next step size, steps used).

    ``work`` (10 x n), ``jv``, ``w`` and ``dinv`` are scratch arrays owned by the caller, so
    that no segment allocates."""
    n = N_STATES
    f = work[0]
    u = work[1]
    rhs = work[2]
    k1 = work[3]
    k2 = work[4]
    k3 = work[5]
    k4 = work[6]
    k5 = work[7]
    k6 = work[8]
    ynew = work[9]
    t = t0
    span = t1 - t0
    h_min = 1e-12 * max(1.0, abs(t1))
    last_rejected = False
    last_non_finite = False
    while t < t1:
        if steps >= max_steps:
            return STATUS_MAX_STEPS, h, steps
        clipped = False
        h_try = h
        if t + h_try >= t1 - 1e-12 * span:
            h_try = t1 - t
            clipped = True
        if h_try < h_min:
            return (STATUS_NON_FINITE if last_non_finite else STATUS_STEP_UNDERFLOW), h, steps
        steps += 1
        model_rhs(y, p, f)
        model_jac(y, p, jv)
        fac = 1.0 / (RODAS4_GAMMA * h_try)
        if not model_factor(jv, fac, w, dinv):
            h = 0.25 * h_try
            last_rejected = True
            continue
        ih = 1.0 / h_try
        model_solve(w, dinv, f, k1)
        for i in range(n):
            u[i] = y[i] + A21 * k1[i]
        model_rhs(u, p, f)
        for i in range(n):
            rhs[i] = f[i] + ih * C21 * k1[i]
        model_solve(w, dinv, rhs, k2)
        for i in range(n):
            u[i] = y[i] + A31 * k1[i] + A32 * k2[i]
        model_rhs(u, p, f)
        for i in range(n):
            rhs[i] = f[i] + ih * (C31 * k1[i] + C32 * k2[i])
        model_solve(w, dinv, rhs, k3)
        for i in range(n):
            u[i] = y[i] + A41 * k1[i] + A42 * k2[i] + A43 * k3[i]
        model_rhs(u, p, f)
        for i in range(n):
            rhs[i] = f[i] + ih * (C41 * k1[i] + C42 * k2[i] + C43 * k3[i])
        model_solve(w, dinv, rhs, k4)
        for i in range(n):
            ynew[i] = y[i] + A51 * k1[i] + A52 * k2[i] + A53 * k3[i] + A54 * k4[i]
        model_rhs(ynew, p, f)
        for i in range(n):
            rhs[i] = f[i] + ih * (C51 * k1[i] + C52 * k2[i] + C53 * k3[i] + C54 * k4[i])
        model_solve(w, dinv, rhs, k5)
        for i in range(n):
            ynew[i] += k5[i]
        model_rhs(ynew, p, f)
        for i in range(n):
            rhs[i] = f[i] + ih * (
                C61 * k1[i] + C62 * k2[i] + C63 * k3[i] + C64 * k4[i] + C65 * k5[i]
            )
        model_solve(w, dinv, rhs, k6)
        err = 0.0
        for i in range(n):
            ynew[i] += k6[i]
            scale = atol[i] + rtol * max(abs(y[i]), abs(ynew[i]))
            err += (k6[i] / scale) ** 2
        err = math.sqrt(err / n)
        if not (err < 1e300):  # NaN or inf: reject hard
            last_non_finite = True
            h = 0.25 * h_try
            last_rejected = True
            continue
        last_non_finite = False
        if err == 0.0:
            factor = 6.0
        else:
            factor = min(6.0, max(0.2, 0.9 * err**-0.25))
        if err <= 1.0:
            t = t1 if clipped else t + h_try
            for i in range(n):
                value = ynew[i]
                if nonneg[i] and value < 0.0:
                    value = 0.0
                y[i] = value
            if last_rejected:
                factor = min(factor, 1.0)
            h_next = h_try * factor
            h = max(h_next, h) if clipped else h_next
            last_rejected = False
        else:
            h = h_try * factor
            last_rejected = True
    return STATUS_OK, h, steps


@njit(cache=True, nogil=True, error_model="numpy")
def _integrate_patient(
    y,
    p,
    t0,
    t_eval,
    ev_time,
    ev_kind,
    ev_index,
    ev_index2,
    ev_value,
    atol,
    rtol,
    h0,
    nonneg,
    max_steps,
    out,
):
    """One patient through all events and outputs; ``out[j]`` = state at ``t_eval[j]``."""
    work = np.empty((10, N_STATES))
    jv = np.empty(NNZ_J)
    w = np.empty(NNZ_W)
    dinv = np.empty(N_STATES)
    n_out = t_eval.shape[0]
    n_ev = ev_time.shape[0]
    j = 0
    e = 0
    t = t0
    h = h0
    steps = 0
    status = STATUS_OK
    while True:
        while j < n_out and t_eval[j] <= t:
            out[j, :] = y
            j += 1
        while e < n_ev and ev_time[e] <= t:
            kind = ev_kind[e]
            idx = ev_index[e]
            if kind == 0:
                y[idx] += ev_value[e]
            elif kind == 1:
                p[idx] = ev_value[e]
            elif kind == 2:
                y[idx] *= ev_value[e]
            else:
                moved = ev_value[e] * y[idx]
                y[idx] -= moved
                y[ev_index2[e]] += moved
            e += 1
        if j >= n_out:
            break
        t_next = t_eval[j]
        if e < n_ev and ev_time[e] < t_next:
            t_next = ev_time[e]
        status, h, steps = _integrate_segment(
            y, p, t, t_next, h, atol, rtol, nonneg, max_steps, work, jv, w, dinv, steps
        )
        if status != STATUS_OK:
            break
        for i in range(N_STATES):
            if not math.isfinite(y[i]):
                status = STATUS_NON_FINITE
        if status != STATUS_OK:
            break
        t = t_next
    for jj in range(j, n_out):
        out[jj, :] = np.nan
    return status, steps


@njit(cache=True, parallel=True, error_model="numpy")
def integrate_batch(
    y0,
    params,
    t0,
    t_eval,
    ev_time,
    ev_kind,
    ev_index,
    ev_index2,
    ev_value,
    atol,
    rtol,
    h0,
    nonneg,
    max_steps,
    out,
    status,
    n_steps,
):
    """Integrate every patient (rows of y0/params/ev_value) independently, in parallel."""
    for i in prange(y0.shape[0]):
        y = y0[i].copy()
        p = params[i].copy()
        status[i], n_steps[i] = _integrate_patient(
            y,
            p,
            t0,
            t_eval,
            ev_time,
            ev_kind,
            ev_index,
            ev_index2,
            ev_value[i],
            atol,
            rtol,
            h0,
            nonneg,
            max_steps,
            out[i],
        )


@njit(cache=True, parallel=True, error_model="numpy")
def quantities_batch(y, p, out):
    """Algebraic quantities for rows of y (states) and p (parameters)."""
    for i in prange(y.shape[0]):
        model_quantities(y[i], p[i], out[i])
