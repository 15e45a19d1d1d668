"""``numopt.minimize_batch``: many independent problems, each on its own workspace row.

A method's state machine (see :mod:`._workspace`) keeps a problem's whole state in one
row of a 2-D workspace, so a batch is a loop over rows:

- a compiled objective: one compiled call runs ``prange`` over the problems, each row
  driven by the same ``init``/``step`` as :func:`numopt.minimize`, so problem ``i``'s
  result is exactly ``minimize`` on problem ``i`` alone;
- a vectorised Python objective ``fun(X, *args) -> F``: a lockstep loop evaluates all
  problems that still want a point in one call, then steps every row in one compiled
  call; finished problems drop out of later evaluations;
- the first-order methods (``method="adam"``...): one ``numopt.optim`` optimizer over a
  ``(B, n)`` parameter steps every problem at once (:mod:`._firstorder_batch`);
- ``executor=``: the batch is split into chunks run on the executor's workers (a
  ``dask.distributed.Client`` or any ``concurrent.futures.Executor``) and gathered in
  order.
"""
import numpy as np
from numba import float64, int64, njit, prange, types

from .._cache import BoundedCache, ObjectCache
from .._result import BatchResult
from . import _finite_diff
from . import _prepare as prep
from . import _registry
from . import _workspace as W
from ._drivers import entry_point, fingerprint, first_class
from ._executor import run_chunks
from ._firstorder_batch import evaluator
from ._objective import (args_type, batch_fg_source, compile_clearly, dispatchers,
                         gradient_into, is_compiled, release_batch_source, reraise)
from ._prepare import slice_args
from ._standalone import jitable

__all__ = ["minimize_batch", "BatchResult"]

_OPTIONS = dict(cache=True, error_model="numpy")


# -- compiled objective: the batch adapter fg(x, g, args, i) ----------------------------------
# An objective's batch adapters, by its dispatcher: dropped with the objective, as they
# hold its compiled code only (the source's globals are released once it is compiled).
_batch_adapters = ObjectCache("minimize.batch_adapters", maxsize=256)
# Keyed on a method's own init/step functions and an args type: a few per method.
_batch_solvers = BoundedCache("minimize.batch_solvers", maxsize=256)


def _batch_fg(fun, jac, kind, fd, args, mask):
    """Compile ``fg(x, g, args, i)`` (:func:`._objective.batch_fg_source`) for the args'
    types, as a first-class function (adapters are compiled per objective and never
    cached on disk)."""
    atype = args_type(args)
    disp, jdisp = dispatchers(fun, jac, kind)
    rest = (jdisp, kind, fd, mask, atype)
    wap = _batch_adapters.lookup(disp, *rest)
    if wap is not None:
        return wap
    py_fg = batch_fg_source(fun, jac, kind, fd, mask)
    wap = compile_clearly(
        lambda: first_class(py_fg, float64(float64[::1], float64[::1], atype, int64)),
        fun, jac, kind, slice_args(args, mask, 0))
    release_batch_source(py_fg)
    return _batch_adapters.store(disp, *rest, value=wap)


def _compiled_batch_solver(name, init, step, args_type):
    key = (init, step, args_type)
    entry = _batch_solvers.get(key)
    if entry is not None:
        return entry
    init_i = jitable(init)
    step_i = jitable(step)
    raised, finish, reason = W.raised, W.finish, W.RAISED_REASON

    def solve_batch(fg, WS, IWS, X0, FOPTS, IOPTS, args):
        fp  # noqa: B018 -- part of the cache key
        n = X0.shape[1]
        for b in prange(X0.shape[0]):
            ws = WS[b]
            iws = IWS[b]
            # Zeroed here, in parallel, rather than by np.zeros on one thread: for 1e5
            # small problems the workspace is tens of MB of fresh pages.
            ws[:] = 0.0
            iws[:] = 0
            init_i(ws, iws, X0[b], FOPTS[b], IOPTS[b])
            while iws[W.TASK] == W.EVALUATE:
                xo = iws[W.X]
                go = iws[W.G]
                f = fg(ws[xo:xo + n], ws[go:go + n], args, np.int64(b))
                if raised(f):  # the objective raised: stop, the point stays at iws[W.X]
                    finish(iws, reason)
                else:
                    step_i(ws, iws, f)

    # The source compiled into this loop (the method's files, this one, the workspace
    # header...): an edit elsewhere recompiles nothing.
    fp = fingerprint(init, step, solve_batch)  # read by numba when it compiles solve_batch
    solve_batch.__qualname__ = f"solve_batch_{name}"
    dispatcher = njit(parallel=True, **_OPTIONS)(solve_batch)
    fg_type = types.FunctionType(float64(float64[::1], float64[::1], args_type, int64))
    sig = (fg_type, float64[:, ::1], int64[:, ::1], float64[:, ::1], float64[:, ::1],
           int64[:, ::1], args_type)
    entry = _batch_solvers[key] = entry_point(dispatcher, sig)
    return entry


# -- vectorised Python objective: lockstep rounds ---------------------------------------------
# Keyed on a method's own step (or ("init", init)): a few per method.
_row_steppers = BoundedCache("minimize.row_steppers", maxsize=64)


def _row_stepper(step):
    """Compiled ``step`` of the given rows, with their objective values."""
    compiled = _row_steppers.get(step)
    if compiled is not None:
        return compiled
    step_i = jitable(step)

    def step_rows(WS, IWS, rows, F):
        fp  # noqa: B018 -- part of the cache key
        for k in prange(rows.size):
            step_i(WS[rows[k]], IWS[rows[k]], F[k])

    fp = fingerprint(step, step_rows)  # read by numba when it compiles step_rows
    step_rows.__qualname__ = f"step_rows_{step.__module__.rsplit('.', 1)[-1]}_{step.__name__}"
    compiled = _row_steppers[step] = njit(parallel=True, **_OPTIONS)(step_rows)
    return compiled


def _init_rows(init):
    key = ("init", init)
    compiled = _row_steppers.get(key)
    if compiled is not None:
        return compiled
    init_i = jitable(init)

    def init_rows(WS, IWS, X0, FOPTS, IOPTS):
        fp  # noqa: B018 -- part of the cache key
        for b in prange(X0.shape[0]):
            init_i(WS[b], IWS[b], X0[b], FOPTS[b], IOPTS[b])

    fp = fingerprint(init, init_rows)  # read by numba when it compiles init_rows
    init_rows.__qualname__ = f"init_rows_{init.__module__.rsplit('.', 1)[-1]}"
    compiled = _row_steppers[key] = njit(parallel=True, **_OPTIONS)(init_rows)
    return compiled


def _vectorised_fg(fun, jac, kind, fd, n):
    """``fgv(X, G, args) -> F`` for a vectorised Python objective (rows of X are problems).

    With finite differences the last of ``args`` is the step and bound array (rows'
    ``(b, 3, n)`` or shared ``(3, n)``), and every problem's difference quotient along
    coordinate ``k`` comes from one call at once, with the steps of
    :func:`._finite_diff.fd_plan`.
    """
    def values(X, args):
        return batch_values(fun(X, *args), X.shape[0])

    def pair(X, args):
        out = fun(X, *args)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError("with jac=True, a vectorised fun must return a pair (F, G); it "
                            f"returned {type(out).__name__}")
        return out

    if kind == "tuple":
        def fgv(X, G, args):
            F, grad = pair(X, args)
            gradient_into(G, grad, "fun (the gradients G of its (F, G), with jac=True)")
            return batch_values(F, X.shape[0])
    elif kind == "jac":
        def fgv(X, G, args):
            F = values(X, args)
            gradient_into(G, jac(X, *args))
            return F
    elif kind == "value-tuple":
        def fgv(X, G, args):
            return batch_values(pair(X, args)[0], X.shape[0])
    elif kind in ("value", "value-grad"):
        def fgv(X, G, args):
            return values(X, args)
    else:
        def fgv(X, G, args):
            args, P = args[:-1], args[-1]
            P = np.ascontiguousarray(np.broadcast_to(P, (X.shape[0], 3, n)))
            F = values(X, args)
            H, ONE = _finite_diff.plan_rows(X, P, fd.scheme, fd.mode)
            for k in range(n):
                x, h = X[:, k], H[:, k]
                if fd.method == "cs":
                    Xc = X.astype(np.complex128)
                    Xc[:, k] = x + 1j * h
                    G[:, k] = np.imag(np.asarray(fun(Xc, *args))).reshape(X.shape[0]) / h
                    continue
                X1 = X.copy()
                if fd.method == "2-point":
                    X1[:, k] = x + h
                    G[:, k] = (values(X1, args) - F) / (X1[:, k] - x)
                    continue
                # 3-point: central (x - h, x + h), or one-sided (x + h, x + 2h) by a bound
                one = ONE[:, k]
                X2 = X.copy()
                X1[:, k] = np.where(one, x + h, x - h)
                X2[:, k] = np.where(one, x + 2.0 * h, x + h)
                F1, F2 = values(X1, args), values(X2, args)
                G[:, k] = np.where(one, (-3.0 * F + 4.0 * F1 - F2) / (X2[:, k] - x),
                                   (F2 - F1) / (X2[:, k] - X1[:, k]))
            return F
    return fgv


def batch_values(F, b, name="fun"):
    """A vectorised objective's values ``F`` for ``b`` problems, checked: real numbers,
    of shape ``(b,)`` (API.md 3). A ``(b, 1)`` column is refused too: for ``n = 1`` it
    is also the shape of a per-variable (elementwise) value, which is not a value."""
    a = np.asarray(F)
    if a.dtype.kind not in "fiub" or a.shape != (b,):
        what = f"shape {a.shape}" if a.dtype.kind in "fiub" else type(F).__name__
        raise ValueError(f"a vectorised {name} must return one value per problem, shape "
                         f"({b},), for X of shape ({b}, n); it returned {what}")
    return a.astype(np.float64, copy=False).reshape(b)


def _run_lockstep(spec, fgv, X0, FOPTS, IOPTS, args, mask, sizes):
    B, n = X0.shape
    WS = np.zeros((B, sizes[0]))
    IWS = np.zeros((B, sizes[1]), dtype=np.int64)
    _init_rows(spec.init)(WS, IWS, X0, FOPTS, IOPTS)
    step_rows = _row_stepper(spec.step_for(IOPTS))
    cols = np.arange(n)
    while True:
        rows = np.flatnonzero(IWS[:, W.TASK] == W.EVALUATE)
        if rows.size == 0:
            break
        X = WS[rows[:, None], IWS[rows, W.X][:, None] + cols]
        G = np.zeros((rows.size, n))
        F = fgv(X.copy(), G, slice_args(args, mask, rows))
        WS[rows[:, None], IWS[rows, W.G][:, None] + cols] = G
        step_rows(WS, IWS, rows, np.ascontiguousarray(F, dtype=np.float64))
    return WS, IWS


# -- the front door -----------------------------------------------------------------------------
def minimize_batch(fun, x0, args=(), method="L-BFGS-B", jac=None, bounds=None, tol=None,
                   options=None, device="cpu", executor=None):
    """Minimize many independent problems at once.

    Parameters
    ----------
    fun : callable
        Either a single-problem compiled objective (``@numopt.objective`` or numba
        ``@njit``, as for :func:`numopt.minimize`), run in parallel over the problems;
        or a vectorised Python function ``fun(X, *args) -> F`` with ``X`` of shape
        ``(b, n)`` (the problems still running) and ``F`` of shape ``(b,)``.
    x0 : array_like, shape (B, n)
        One starting point per problem.
    args : tuple
        Arrays whose leading dimension is B are sliced per problem (row ``i`` goes to
        problem ``i``); other arguments are shared.
    method : str
        "L-BFGS-B" (the default), "BFGS", "CG", "Nelder-Mead", "LBFGS", or a first-order
        optimizer of :mod:`numopt.optim` by its lowercase name ("adam", "sgd", ...; one
        optimizer steps all problems at once, see :mod:`._firstorder_batch`).
    jac : callable, True, None or {"2-point", "3-point", "cs"}
        As :func:`numopt.minimize` (finite differences with scipy's steps and options;
        "cs" not on a GPU); for a vectorised objective ``jac(X, *args)`` returns
        ``(b, n)`` gradients and ``jac=True`` means ``fun`` returns ``(F, G)``.
    bounds : sequence or ``scipy.optimize.Bounds``, optional
        Shared by all problems (``n`` pairs) or per problem (``lb``/``ub`` of shape
        ``(B, n)`` in a ``Bounds``).
    tol : float, optional
    options : dict, optional
        The method's options, shared by all problems.
    device : {"cpu", "cuda"}
    executor : dask.distributed.Client or concurrent.futures.Executor, optional
        Run chunks of the batch on its workers.

    Returns
    -------
    BatchResult
    """
    X0, out_dtype = prep.prepare_rows(x0)
    B, n = X0.shape
    args = args if isinstance(args, tuple) else (args,)
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    spec = _registry.get(method)
    if spec.init is None and spec.batch is None:
        raise NotImplementedError(f"method {spec.name} has no batch driver")
    if B == 0:  # nothing to solve: an empty result of the right shapes
        empty = np.empty(0, dtype=np.int64)
        return BatchResult(x=np.empty((0, n), dtype=out_dtype), fun=np.empty(0),
                           jac=np.empty((0, n)), nit=empty, nfev=empty, reason=empty,
                           uses_gradient=spec.uses_gradient)
    if executor is not None:
        return run_chunks(executor, minimize_batch, fun, X0, args, method, jac, bounds, tol,
                          options, device, out_dtype)
    opts = prep.merged_options(spec, options, tol)
    mask = prep.per_problem(args, B)
    if spec.batch is not None:
        return _first_order_batch(spec, opts, fun, jac, bounds, X0, args, mask, device,
                                  out_dtype)
    lower, upper, per_problem = _bounds_rows(spec, bounds, B, n)
    FOPTS, IOPTS = _pack_rows(spec, opts, lower, upper, B, n)
    sizes = _row_sizes(spec, n, FOPTS, IOPTS)
    compiled = is_compiled(fun)
    jac, kind = prep.gradient(spec, fun, jac)
    fd, args, mask = _with_steps(kind, spec, jac, opts, args, mask, lower, upper, per_problem,
                                 B, n)
    fev = prep.evaluations(fd, n)
    if device == "cuda":
        from ._batch_cuda import run_cuda

        WS, IWS = run_cuda(spec, fun, jac, kind, fd, X0, FOPTS, IOPTS, args, mask, sizes)
    elif compiled:
        fg = _batch_fg(fun, jac, kind, fd, args, mask)
        solve = _compiled_batch_solver(spec.name, spec.init, spec.step_for(IOPTS),
                                       fg.signature().args[2])  # the adapter's args type
        WS = np.empty((B, sizes[0]))
        IWS = np.empty((B, sizes[1]), dtype=np.int64)
        solve(fg, WS, IWS, X0, FOPTS, IOPTS, args)
        _reraise_rows(IWS[:, W.REASON], lambda b: WS[b, IWS[b, W.X]:IWS[b, W.X] + n],
                      fun, jac, kind, fd, args, mask)
    else:
        fgv = _vectorised_fg(fun, jac, kind, fd, n)
        WS, IWS = _run_lockstep(spec, fgv, X0, FOPTS, IOPTS, args, mask, sizes)
    return _batch_result(WS, IWS, n, out_dtype, fev, spec)


def _first_order_batch(spec, opts, fun, jac, bounds, X0, args, mask, device, out_dtype):
    """The first-order methods: one optimizer over all problems (see
    :mod:`._firstorder_batch`)."""
    B, n = X0.shape
    if bounds is not None:
        _warn_no_bounds(spec)
    hyper, control = spec.pack(opts, n, None, None)
    jac, kind = prep.gradient(spec, fun, jac)
    fd, args, mask = _with_steps(kind, spec, jac, opts, args, mask, None, None, False, B, n)
    compiled = is_compiled(fun)
    if device == "cuda":
        from ._batch_cuda import check_cuda_objective

        check_cuda_objective(fun)
    fgv = None if compiled else _vectorised_fg(fun, jac, kind, fd, n)
    evaluate = evaluator(fun, jac, kind, fd, args, mask, compiled, device, fgv=fgv)
    XR, GR, FR, NIT, NFEV, REASON = spec.batch(hyper, control, X0, evaluate, device)
    _reraise_rows(REASON, lambda b: XR[b], fun, jac, kind, fd, args, mask)
    fev = prep.evaluations(fd, n)
    return BatchResult(x=XR.astype(out_dtype), fun=FR, jac=GR, nit=NIT, nfev=NFEV * fev,
                       reason=REASON, uses_gradient=True)


def _reraise_rows(reason, point, fun, jac, kind, fd, args, mask):
    """Raise the exception of the first problem whose objective raised in compiled code
    (reason ``W.RAISED_REASON``; ``point(b)`` is where), naming that problem."""
    rows = np.flatnonzero(reason == W.RAISED_REASON)
    if rows.size:
        b = int(rows[0])
        reraise(fun, jac, kind, fd, slice_args(args, mask, b), point(b), problem=b)


def _bounds_rows(spec, bounds, B, n):
    """Each problem's bounds, ``(lower, upper, per_problem)``: ``(B, n)`` arrays (``None``
    without bounds, or for a method that cannot use them, which warns) and whether they
    differ from problem to problem."""
    if bounds is None:
        return None, None, False
    if not spec.bounds:
        _warn_no_bounds(spec)
        return None, None, False
    if hasattr(bounds, "lb") and (np.ndim(bounds.lb) == 2 or np.ndim(bounds.ub) == 2):
        try:
            lb = np.asarray(bounds.lb, dtype=np.float64)
            ub = np.asarray(bounds.ub, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"bounds must be real numbers (or None): {e}") from None
        try:
            lower = np.broadcast_to(lb, (B, n)).copy()
            upper = np.broadcast_to(ub, (B, n)).copy()
        except ValueError:
            raise ValueError(f"per-problem bounds must have shape (B, n) = ({B}, {n}) for x0 "
                             f"of shape ({B}, {n}) (or broadcast to it); got Bounds with lb of "
                             f"shape {lb.shape} and ub of shape {ub.shape}") from None
        if np.any(lower > upper):
            raise ValueError("An upper bound is less than the corresponding lower bound.")
        lower, upper = prep.nan_bounds(lower, upper, spec)
        return lower, upper, True
    lo, up = prep.bounds_arrays(bounds, n, spec)
    return np.broadcast_to(lo, (B, n)), np.broadcast_to(up, (B, n)), False


def _pack_rows(spec, opts, lower, upper, B, n):
    """Option arrays for every problem (a row each: bounds may differ per problem)."""
    rows = [spec.pack(opts, n, None if lower is None else lower[b],
                      None if upper is None else upper[b]) for b in range(B if lower is not None else 1)]
    FOPTS = np.ascontiguousarray(np.broadcast_to(np.stack([r[0] for r in rows]), (B, rows[0][0].size)))
    IOPTS = np.ascontiguousarray(np.broadcast_to(np.stack([r[1] for r in rows]), (B, rows[0][1].size)))
    return FOPTS, IOPTS


def _with_steps(kind, spec, jac, opts, args, mask, lower, upper, per_problem, B, n):
    """``(fd, args, mask)``: with finite differences (``kind == "fd"``), the
    :class:`._finite_diff.FiniteDiff` and the args and mask extended by the step and bound
    array (one per problem when the bounds are); else ``(None, args, mask)``."""
    if kind != "fd":
        return None, args, mask
    if per_problem:
        fd, steps = prep.finite_differences(kind, spec, jac, opts, n, lower, upper, rows=B)
    else:
        fd, steps = prep.finite_differences(kind, spec, jac, opts, n,
                                            None if lower is None else lower[0],
                                            None if upper is None else upper[0])
    return fd, args + (steps,), mask + (per_problem,)


def _warn_no_bounds(spec):
    # Two frames below minimize_batch: this helper and its caller.
    prep.warn_unused(spec, spec.name, bounds=True, depth=2)


def _row_sizes(spec, n, FOPTS, IOPTS):
    """Workspace lengths that fit every problem: per-problem bounds can make the rows'
    options, and so their sizes (L-BFGS-B without bounds needs less), differ."""
    if (IOPTS == IOPTS[0]).all():
        return spec.sizes(n, FOPTS[0], IOPTS[0])
    _, first = np.unique(IOPTS, axis=0, return_index=True)
    rows = [spec.sizes(n, FOPTS[i], IOPTS[i]) for i in first]
    return max(r[0] for r in rows), max(r[1] for r in rows)


def _batch_result(WS, IWS, n, dtype, fev, spec):
    B = WS.shape[0]
    cols = np.arange(n)
    x = WS[np.arange(B)[:, None], IWS[:, W.XR][:, None] + cols].astype(dtype)
    jac = WS[np.arange(B)[:, None], IWS[:, W.GR][:, None] + cols].copy()
    if not spec.uses_gradient:
        jac[:] = np.nan
    return BatchResult(x=x, fun=WS[:, W.FR].copy(), jac=jac, nit=IWS[:, W.NIT].copy(),
                       nfev=IWS[:, W.NFEV] * fev, reason=IWS[:, W.REASON].copy(),
                       uses_gradient=spec.uses_gradient)
