"""``minimize_batch`` for the first-order methods: one optimizer over all problems.

The update rules of :mod:`numopt.optim` are element-wise and their per-step scalars
depend only on the step count, so one optimizer over a ``(B, n)`` parameter takes
every problem's step at once (one threaded loop on the CPU, one kernel on the GPU),
and problem ``i`` follows exactly the trajectory ``minimize(method=...)`` gives it
alone. Each round:

1. evaluate the problems still running: a ``prange`` over chunks of rows (compiled
   objective), one call on the running rows (vectorised Python objective), or one
   CUDA thread per row (``device="cuda"``);
2. :func:`settle` each of them: record the iterate, apply the stopping
   tests, and freeze a problem that stops (its gradient row is zeroed, so plain SGD
   no longer moves it; its result is already recorded);
3. one ``optimizer.step()`` over the whole buffer.

Stopped rows are still stepped by the optimizer (the rules have no per-row mask):
the cost is the element-wise update of those rows, never an objective evaluation.
"""
import math

import numpy as np
from numba import float64, int64, njit, prange, types, uint8
from numba.extending import register_jitable

from .._params import Parameter
from . import _workspace as W
from ._drivers import entry_point, fingerprint, first_class
from ._objective import args_type, compile_clearly
from ._prepare import slice_args

__all__ = ["run_batch"]

_OPTIONS = dict(cache=True, error_model="numpy")


# Inlined at the IR level: as an ordinary call its dozen arrays travel as some hundred
# scalar arguments, which made settling a row of a batch 5 times slower.
@register_jitable(inline="always")
def settle(b, f, x, g, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, steps, maxiter, gtol):
    """Take problem ``b``'s evaluation ``f, g`` at its iterate ``x`` after ``steps``
    steps; return True if it keeps going.

    Row ``b`` of ``XB, GB, FB`` is the best finite iterate seen (``FB`` starts at
    +inf); ``XR, GR, FR`` receive the result when the problem stops, and ``NIT``,
    ``NFEV`` and ``REASON`` are its counters and stop reason. A non-finite value or
    gradient stops the problem at its best finite point (reason 5), or at ``x`` itself
    if that is ``x0``; otherwise ``max|g| <= gtol`` stops it at ``x`` with reason 0 and
    ``steps >= maxiter`` with reason 1. One definition serves :func:`._firstorder._run`
    (row 0 of a batch of one), the ``prange`` here and its CUDA kernel.
    """
    n = x.size
    NFEV[b] += 1
    gmax = 0.0
    finite = math.isfinite(f)
    if finite:
        for i in range(n):
            a = abs(g[i])
            if a > gmax:
                gmax = a
            elif a != a:
                gmax = a
                break
        finite = math.isfinite(gmax)
    if not finite:
        if steps == 0:  # no finite iterate at all: report x0 as it is
            for i in range(n):
                XR[b, i] = x[i]
                GR[b, i] = g[i]
            FR[b] = f
        else:  # the best finite point seen
            for i in range(n):
                XR[b, i] = XB[b, i]
                GR[b, i] = GB[b, i]
            FR[b] = FB[b]
        REASON[b] = 5
        return False
    if f < FB[b]:
        FB[b] = f
        for i in range(n):
            XB[b, i] = x[i]
            GB[b, i] = g[i]
    NIT[b] = steps
    if gmax <= gtol or steps >= maxiter:
        for i in range(n):
            XR[b, i] = x[i]
            GR[b, i] = g[i]
        FR[b] = f
        REASON[b] = 0 if gmax <= gtol else 1
        return False
    return True


@register_jitable(inline="always")
def stop_row(b, G, ACTIVE):
    """Freeze problem ``b``: no more evaluations, and a zero gradient for its row."""
    ACTIVE[b] = 0
    for i in range(G.shape[1]):
        G[b, i] = 0.0


# -- CPU, compiled objective ---------------------------------------------------------------------
# Rows per call of the per-objective row loop. The cached driver reaches that loop
# through a first-class function pointer, whose arguments travel by value; once per row
# that doubled a cheap objective's round, once per chunk it costs nothing.
CHUNK = 512
_row_loops = {}


def _rows_fg(py_fg, args_type):
    """``fg_rows(X, G, F, ACTIVE, args, lo)``: ``F[k] = fg(X[k], G[k], args, lo + k)``
    for the running rows ``k`` of the chunk ``X, G, F, ACTIVE`` (rows ``lo...`` of the
    batch), ``fg`` being the batch adapter of :func:`._batch.batch_fg_source`, inlined.

    Compiled per objective, like the adapter, and kept tiny (a loop and a call) so that
    a new objective compiles in a fraction of a second; the loop over chunks and the
    stopping tests are compiled once per args type and cached (:func:`_chunk_driver`).
    """
    key = (py_fg, args_type)
    if key in _row_loops:
        return _row_loops[key]
    fg = register_jitable(inline="always")(py_fg)

    def fg_rows(X, G, F, ACTIVE, args, lo):
        for k in range(X.shape[0]):
            if ACTIVE[k]:
                F[k] = fg(X[k], G[k], args, lo + k)

    wap = first_class(fg_rows, _rows_type(args_type).signature)
    _row_loops[key] = wap
    return wap


def _rows_type(args_type):
    m2 = float64[:, ::1]
    return types.FunctionType(types.void(m2, m2, float64[::1], uint8[::1], args_type, int64))


_drivers = {}


def _chunk_driver(args_type):
    """``eval_rows(fg_rows, X, G, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, ACTIVE, F,
    args, steps, maxiter, gtol) -> running``: evaluate the running rows chunk by chunk
    in a ``prange`` and :func:`settle` each; compiled once per args type and cached."""
    if args_type in _drivers:
        return _drivers[args_type]
    fp = fingerprint()
    chunk = CHUNK
    raised, raised_reason = W.raised, W.RAISED_REASON

    def eval_rows(fg_rows, X, G, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, ACTIVE, F, args,
                  steps, maxiter, gtol):
        fp  # noqa: B018 -- part of the cache key
        B = X.shape[0]
        running = 0
        for c in prange((B + chunk - 1) // chunk):
            lo = np.int64(c) * chunk
            hi = min(lo + chunk, B)
            fg_rows(X[lo:hi], G[lo:hi], F[lo:hi], ACTIVE[lo:hi], args, lo)
            for b in range(lo, hi):
                if ACTIVE[b] and raised(F[b]):  # the objective raised at X[b]
                    for i in range(X.shape[1]):
                        XR[b, i] = X[b, i]
                    REASON[b] = raised_reason
                    stop_row(b, G, ACTIVE)
                elif ACTIVE[b]:
                    if settle(b, F[b], X[b], G[b], XR, GR, FR, XB, GB, FB, NIT, NFEV,
                              REASON, steps, maxiter, gtol):
                        running += 1
                    else:
                        stop_row(b, G, ACTIVE)
        return running

    eval_rows.__qualname__ = "eval_rows_firstorder"
    dispatcher = njit(parallel=True, **_OPTIONS)(eval_rows)
    m2, v1, i1 = float64[:, ::1], float64[::1], int64[::1]
    entry = entry_point(dispatcher, (_rows_type(args_type), m2, m2, m2, m2, v1, m2, m2, v1, i1,
                                     i1, i1, uint8[::1], v1, args_type, int64, int64, float64))
    _drivers[args_type] = entry
    return entry


# -- CPU, vectorised Python objective ----------------------------------------------------------
@njit(parallel=True, **_OPTIONS)
def _settle_rows(rows, F, X, G, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, ACTIVE, steps,
                 maxiter, gtol):
    """Settle the evaluated ``rows`` (values ``F``); return how many keep running."""
    running = 0
    for k in prange(rows.size):
        b = rows[k]
        if settle(b, F[k], X[b], G[b], XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, steps,
                  maxiter, gtol):
            running += 1
        else:
            stop_row(b, G, ACTIVE)
    return running


# -- GPU ---------------------------------------------------------------------------------------
_kernels = {}


def _cuda_kernel(fun, kind, fd, mask):
    from ._batch_cuda import device_objective

    key = (fun.py_func, kind, fd, mask)
    if key in _kernels:
        return _kernels[key]
    namespace, extra, row = device_objective(fun, kind, fd, mask)
    namespace.update(settle=settle, stop_row=stop_row)
    src = ("def kernel(X, G, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, ACTIVE, RUNNING, "
           f"steps, maxiter, gtol{extra}):\n"
           "    b = cuda.grid(1)\n"
           "    if b < X.shape[0] and ACTIVE[b]:\n"
           f"        f = fg_d(X[b], G[b]{row})\n"
           "        if settle(b, f, X[b], G[b], XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, "
           "steps, maxiter, gtol):\n"
           "            cuda.atomic.add(RUNNING, 0, 1)\n"
           "        else:\n"
           "            stop_row(b, G, ACTIVE)\n")
    exec(src, namespace)  # noqa: S102 -- generated from the arity only, no user text
    kernel = namespace["cuda"].jit(namespace["kernel"])
    _kernels[key] = kernel
    return kernel


# -- the driver ----------------------------------------------------------------------------------
def run_batch(cls, hyper, control, X0, evaluate, device="cpu"):
    """Run ``cls`` on every problem of the batch; ``evaluate`` is one of the closures
    :func:`evaluator` builds.

    Returns
    -------
    XR, GR, FR, NIT, NFEV, REASON : host arrays, one row or entry per problem
        The result iterate, its gradient and value, the steps and evaluations taken and
        the termination reason (see :func:`settle`).
    """
    maxiter, gtol = control
    B, n = X0.shape
    if device == "cuda":
        from numba import cuda

        put = cuda.to_device
    else:
        put = np.copy
    p = Parameter(put(X0))
    opt = cls([p], **hyper)
    p.grad = put(np.zeros((B, n)))
    X, G = p.data, p.grad  # the optimizer's own buffers: evaluated and updated in place
    XR, GR, XB, GB = (put(np.zeros((B, n))) for _ in range(4))
    FR, FB = put(np.zeros(B)), put(np.full(B, np.inf))
    NIT, NFEV, REASON = (put(np.zeros(B, dtype=np.int64)) for _ in range(3))
    ACTIVE = put(np.ones(B, dtype=np.uint8))
    state = (X, G, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, ACTIVE)
    steps = 0
    while evaluate(state, steps, maxiter, gtol):
        opt.step()
        steps += 1
    out = (XR, GR, FR, NIT, NFEV, REASON)
    if device == "cuda":
        out = tuple(a.copy_to_host() for a in out)
    return out


def evaluator(fun, kind, fd, args, mask, compiled, device, fg=None, fgv=None):
    """``evaluate(state, steps, maxiter, gtol) -> running`` for :func:`run_batch`.

    ``fg`` is the batch adapter's Python function (CPU, compiled objective), ``fgv``
    the vectorised Python objective's ``fgv(X, G, args) -> F``.
    """
    if device == "cuda":
        from numba import cuda

        from .. import config

        kernel = _cuda_kernel(fun, kind, fd, mask)
        d_args = [cuda.to_device(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a
                  for a in args]
        tpb = config.CUDA_THREADS_PER_BLOCK

        def evaluate(state, steps, maxiter, gtol):
            B = state[0].shape[0]
            running = cuda.to_device(np.zeros(1, dtype=np.int64))
            kernel[(B + tpb - 1) // tpb, tpb](*state, running, steps, maxiter, gtol, *d_args)
            return int(running.copy_to_host()[0])
    elif compiled:
        atype = args_type(args)
        fg_rows = compile_clearly(lambda: _rows_fg(fg, atype), fun, None, kind,
                                  slice_args(args, mask, 0))
        eval_rows = _chunk_driver(atype)
        F = None

        def evaluate(state, steps, maxiter, gtol):
            nonlocal F
            if F is None:
                F = np.empty(state[0].shape[0])
            return eval_rows(fg_rows, *state, F, args, steps, maxiter, gtol)
    else:
        def evaluate(state, steps, maxiter, gtol):
            X, G, ACTIVE = state[0], state[1], state[-1]
            rows = np.flatnonzero(ACTIVE)
            if rows.size == 0:
                return 0
            Gs = np.zeros((rows.size, X.shape[1]))
            F = fgv(X[rows], Gs, slice_args(args, mask, rows))  # X[rows] is a copy
            G[rows] = Gs
            return _settle_rows(rows, np.ascontiguousarray(F, dtype=np.float64), *state,
                                steps, maxiter, gtol)
    return evaluate
