"""Drivers of the Trust Region Reflective state machine (:mod:`._trf`): a Python loop
and a compiled loop, as :mod:`._drive_lm` for Levenberg-Marquardt (and sharing its
first-class adapters and argument typing).

Both run the same compiled ``init``/``step``, so for the same functions they give the
same iterates and counts. They are the back end of the public ``least_squares(method=
"trf")``, not the front door: the arguments are taken as checked (``lb < ub``, ``x0``
within the bounds, tolerances and ``x_scale`` valid).
"""
import numpy as np
from numba import njit

from .._cache import BoundedCache
from .._minimize import _workspace as W
from . import _trf
from ._drive import (OPTIONS, adapters, args_type_of, compiled_loop, machine, raised_at,
                     relative_steps, run_python)
from ._losses import LOSSES

__all__ = ["solve_trf", "solve_trf_compiled", "trf_options", "strictly_feasible"]

_BY_CODE = {r.code: r for r in _trf.REASONS}
TRF = machine(_trf, "trf")


def trf_options(n, jac="2-point", bounds=(-np.inf, np.inf), loss="linear", f_scale=1.0,
                x_scale=None, ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=None,
                diff_step=None, dtype=np.float64):
    """The ``fopts``/``iopts`` arrays of :func:`._trf.init`, with scipy 1.17's defaults.

    Parameters
    ----------
    n : int
        Number of variables.
    jac : callable, "2-point" or "3-point"
    bounds : (lb, ub)
        Scalars or arrays of n values (``±inf`` for none).
    loss : str
        One of scipy's ``"linear"``, ``"soft_l1"``, ``"huber"``, ``"cauchy"``,
        ``"arctan"``.
    f_scale : float
    x_scale : None, float, array_like or "jac"
        ``None`` is 1 for trf (scipy 1.17's ``check_x_scale``).
    ftol, xtol, gtol : float
        ``None`` is 0, as in scipy.
    max_nfev : int, optional
        Default ``100 * n``.
    diff_step : float, optional
        Relative step of the differences (scipy's ``diff_step``).
    dtype : numpy dtype
        The residuals' (see :func:`._drive.relative_steps`).
    """
    if callable(jac):
        jac_mode = _trf.USER
    elif jac == "2-point":
        jac_mode = _trf.TWO_POINT
    elif jac == "3-point":
        jac_mode = _trf.THREE_POINT
    else:
        raise ValueError(f"jac must be callable, '2-point' or '3-point', got {jac!r}")
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}")
    lb, ub = (_vector(b, n) for b in bounds)
    jac_scale = isinstance(x_scale, str) and x_scale == "jac"
    if x_scale is None or jac_scale:
        scale = np.ones(n)
    else:
        scale = _vector(x_scale, n)
    if max_nfev is None:
        max_nfev = 100 * n
    tol = [0.0 if t is None else float(t) for t in (ftol, xtol, gtol)]
    fopts = np.concatenate([
        np.array(tol + [float(f_scale), np.nan if diff_step is None else diff_step,
                        *relative_steps(dtype)]),
        lb, ub, scale])
    iopts = np.array([max_nfev, jac_mode, LOSSES[loss], int(jac_scale)], dtype=np.int64)
    return fopts, iopts


def _vector(v, n):
    """``v`` (a number or n values) as n float64 values; the checked arrays of the front
    door as they are."""
    if type(v) is np.ndarray and v.dtype == np.float64 and v.shape == (n,):
        return v
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))


def _result(ws, iws, n, m):
    o = _trf.LAYOUT.offsets_of(n, m)[0]
    xo, fo, jo = iws[W.XR], iws[W.GR], iws[_trf.JAC]
    ao = _trf.active_offset(n, m)
    status = int(iws[_trf.STATUS])
    code = int(iws[W.REASON])
    reason = _BY_CODE.get(code)
    return {
        "raised_at": raised_at(ws, iws, n),
        "x": ws[xo:xo + n].copy(), "fun": ws[fo:fo + m].copy(),
        "jac": ws[jo:jo + m * n].reshape(n, m).T.copy(),
        "cost": float(ws[_trf.COST]), "grad": ws[o.g:o.g + n].copy(),
        "optimality": float(ws[_trf.OPTIMALITY]),
        "active_mask": iws[ao:ao + n].astype(int),
        "nfev": int(iws[W.NFEV]), "njev": int(iws[_trf.NJEV]), "nit": int(iws[W.NIT]),
        "status": status if reason is not None else -1,
        "message": reason.message if reason is not None else "The model raised.",
    }


def solve_trf(fun, x0, jac="2-point", bounds=(-np.inf, np.inf), args=(), loss="linear",
              f_scale=1.0, x_scale=None, ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=None,
              diff_step=None, f0=None, callback=None, dtype=np.float64):
    """Trust Region Reflective from Python: ``fun(x, *args)`` returns the m residuals.

    Parameters
    ----------
    fun : callable
    x0 : array_like, shape (n,)
        Within the bounds; moved strictly inside them as scipy does.
    jac : callable, "2-point" or "3-point"
        ``jac(x, *args)`` returns the ``(m, n)`` Jacobian.
    bounds, loss, f_scale, x_scale, ftol, xtol, gtol, max_nfev, diff_step
        As scipy's ``least_squares``; see :func:`trf_options`.
    args : tuple
    f0 : array_like, optional
        The residuals at x0 moved strictly inside the bounds, where the caller has them
        (not evaluated again).
    dtype : numpy dtype
        The residuals' (float32 residuals take float32's difference steps).
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration, as scipy's trf calls it
        (an ``OptimizeResult`` with ``x, fun, nit, nfev, cost``); returning True stops
        the run with status -2 (the front door turns scipy's ``StopIteration`` into it).

    Returns
    -------
    dict
        scipy's result fields ``x, fun, jac, cost, grad, optimality, active_mask, nfev,
        njev, status, message`` (``fun`` the raw residuals; ``jac`` and ``grad`` those
        of the loss-scaled problem, as scipy returns them), and ``nit``.
    """
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    fopts, iopts = trf_options(n, jac, bounds, loss, f_scale, x_scale, ftol, xtol, gtol,
                               max_nfev, diff_step, dtype)
    # r(x0) sizes the workspace; init moves x0 inside the bounds first and asks for r
    # there, so it is evaluated at that point (once, as scipy does).
    if f0 is None:
        lb = fopts[_trf.ARRAYS:_trf.ARRAYS + n]
        ub = fopts[_trf.ARRAYS + n:_trf.ARRAYS + 2 * n]
        x1 = x0.copy()
        if np.any(np.isfinite(lb)) or np.any(np.isfinite(ub)):
            x1 = strictly_feasible(x0, lb, ub)
        f0 = fun(x1, *args)
    r0 = np.asarray(f0, dtype=np.float64).ravel()
    m = r0.size
    hook = None if callback is None else _iteration_hook(callback, n, m)
    ws, iws = run_python(TRF, fun, jac, x0, m, fopts, iopts, args, _trf.sizes(n, m), r0,
                         on_iteration=hook)
    return _result(ws, iws, n, m)


def _iteration_hook(callback, n, m):
    """``on_iteration`` for :func:`._drive.run_python`: scipy's intermediate result of
    the iteration just completed, and the end of the run (status -2) on request."""
    from .._result import OptimizeResult

    def hook(ws, iws):
        o = _trf.LAYOUT.offsets_of(n, m)[0]
        res = OptimizeResult(x=ws[o.x:o.x + n].copy(), fun=ws[o.ftrue:o.ftrue + m].copy(),
                             nit=int(iws[W.NIT]), nfev=int(iws[W.NFEV]))
        res["cost"] = float(ws[_trf.COST])
        if callback(res):
            _stop(ws, iws)
            return True
        return False
    return hook


@njit(**OPTIONS)
def _stop(ws, iws):
    """End the run as scipy's trf does when the callback stops it: status -2, the active
    constraints found at the current x."""
    iws[_trf.STATUS] = _trf.CALLBACK_STOP
    _trf.finish(ws, iws)


def strictly_feasible(x0, lb, ub):
    """scipy's ``make_strictly_feasible(x0, lb, ub)`` (``rstep=1e-10``), as init does."""
    x = x0.copy()
    _feasible(x, lb.copy(), ub.copy())
    return x


@njit(**OPTIONS)
def _feasible(x, lb, ub):
    _trf._make_strictly_feasible(x, lb, ub, 1e-10)


_loops = BoundedCache("_fit._drive_trf.loops", maxsize=32)   # keyed on args' numba type


def solve_trf_compiled(fun, x0, jac="2-point", bounds=(-np.inf, np.inf), args=(),
                       loss="linear", f_scale=1.0, x_scale=None, ftol=1e-8, xtol=1e-8,
                       gtol=1e-8, max_nfev=None, diff_step=None, f0=None, stamp=None, m=None,
                       dtype=np.float64):
    """:func:`solve_trf` with the whole loop compiled: ``fun`` (and a callable ``jac``)
    are numba ``@njit`` functions ``fun(x, *args) -> r``, ``jac(x, *args) -> J``;
    ``f0``, ``stamp`` and ``m`` as for :func:`._drive_lm.solve_lm_compiled`. Same
    returns as :func:`solve_trf`."""
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    args = tuple(args)
    if m is None:
        m = np.asarray(fun(x0.copy(), *args) if f0 is None else f0).size
    fopts, iopts = trf_options(n, jac, bounds, loss, f_scale, x_scale, ftol, xtol, gtol,
                               max_nfev, diff_step, dtype)
    key, args_type = args_type_of(args)
    res, jacf = adapters(fun, jac if callable(jac) else None, args_type, key, stamp)
    nw, niw = _trf.sizes(n, m)
    ws, iws = np.zeros(nw), np.zeros(niw, dtype=np.int64)
    compiled_loop(_loops, TRF.loop, args_type, key)[1](res, jacf, ws, iws, x0, m, fopts,
                                                       iopts, args)
    return _result(ws, iws, n, m)
