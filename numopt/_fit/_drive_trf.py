"""Drivers of the Trust Region Reflective state machine (:mod:`._trf`): a Python loop
and a compiled loop, as :mod:`._drive_lm` for Levenberg-Marquardt (and sharing its
first-class adapters and argument typing).

Both run the same compiled ``init``/``step``, so for the same functions they give the
same iterates and counts. They are the back end of the public ``least_squares(method=
"trf")``, not the front door: the arguments are taken as checked (``lb < ub``, ``x0``
within the bounds, tolerances and ``x_scale`` valid).
"""
import numpy as np
from numba import float64, njit, types

from .._cache import BoundedCache
from .._fingerprint import source_fingerprint
from .._minimize import _workspace as W
from .._minimize._drivers import entry_point
from .._minimize._standalone import jitable
from . import _trf
from ._drive_lm import _adapt, _args_type
from ._losses import LOSSES

__all__ = ["solve_trf", "solve_trf_compiled", "trf_options"]

_OPTIONS = dict(cache=True, error_model="numpy")
_BY_CODE = {r.code: r for r in _trf.REASONS}

_init_i = jitable(_trf.init)
_step_i = jitable(_trf.step)


def _compiled():
    """The compiled ``init``, ``step`` and loop, closures over the fingerprint of
    numopt's compiled sources (numba's disk cache checks only this file, see
    :mod:`numopt._fingerprint`)."""
    fp = source_fingerprint("_fit", "_minimize")

    def init(ws, iws, x0, m, fopts, iopts):
        fp  # noqa: B018 -- part of the cache key
        _init_i(ws, iws, x0, m, fopts, iopts)

    def step(ws, iws):
        fp  # noqa: B018
        _step_i(ws, iws)

    def loop(res, jacf, ws, iws, x0, m, fopts, iopts, args):
        fp  # noqa: B018
        _init_i(ws, iws, x0, m, fopts, iopts)
        n = x0.size
        while iws[W.TASK] != W.DONE:
            xo = iws[W.X]
            if iws[W.TASK] == _trf.JACOBIAN:
                jo = iws[_trf.JAC]
                jacf(ws[xo:xo + n], ws[jo:jo + m * n], args)
            else:
                go = iws[W.G]
                res(ws[xo:xo + n], ws[go:go + m], args)
            _step_i(ws, iws)

    init.__qualname__, step.__qualname__, loop.__qualname__ = ("trf_init", "trf_step",
                                                               "trf_loop")
    return njit(**_OPTIONS)(init), njit(**_OPTIONS)(step), loop


_init, _step, _loop = _compiled()


def trf_options(n, jac="2-point", bounds=(-np.inf, np.inf), loss="linear", f_scale=1.0,
                x_scale=None, ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=None,
                diff_step=None):
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
    lb, ub = (np.broadcast_to(np.asarray(b, dtype=np.float64), (n,)) for b in bounds)
    jac_scale = isinstance(x_scale, str) and x_scale == "jac"
    if x_scale is None or jac_scale:
        scale = np.ones(n)
    else:
        scale = np.broadcast_to(np.asarray(x_scale, dtype=np.float64), (n,))
    if max_nfev is None:
        max_nfev = 100 * n
    tol = [0.0 if t is None else float(t) for t in (ftol, xtol, gtol)]
    fopts = np.concatenate([
        np.array(tol + [float(f_scale), np.nan if diff_step is None else diff_step]),
        lb, ub, scale])
    iopts = np.array([max_nfev, jac_mode, LOSSES[loss], int(jac_scale)], dtype=np.int64)
    return fopts, iopts


def _result(ws, iws, n, m):
    o = _trf.LAYOUT.offsets(n, m)
    xo, fo, jo = iws[W.XR], iws[W.GR], iws[_trf.JAC]
    ao = _trf.active_offset(n, m)
    status = int(iws[_trf.STATUS])
    reason = _BY_CODE[int(iws[W.REASON])]
    return {
        "x": ws[xo:xo + n].copy(), "fun": ws[fo:fo + m].copy(),
        "jac": ws[jo:jo + m * n].reshape(n, m).T.copy(),
        "cost": float(ws[_trf.COST]), "grad": ws[o.g:o.g + n].copy(),
        "optimality": float(ws[_trf.OPTIMALITY]),
        "active_mask": iws[ao:ao + n].astype(int),
        "nfev": int(iws[W.NFEV]), "njev": int(iws[_trf.NJEV]), "nit": int(iws[W.NIT]),
        "status": status, "message": reason.message,
    }


def _sizes(n, m):
    nws, niws = _trf.sizes(n, m)
    return np.zeros(nws), np.zeros(niws, dtype=np.int64)


def solve_trf(fun, x0, jac="2-point", bounds=(-np.inf, np.inf), args=(), loss="linear",
              f_scale=1.0, x_scale=None, ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=None,
              diff_step=None):
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
                               max_nfev, diff_step)
    # r(x0) sizes the workspace; init moves x0 inside the bounds first and asks for r
    # there, so it is evaluated at that point (once, as scipy does).
    lb = fopts[_trf.DIFF_STEP + 1:_trf.DIFF_STEP + 1 + n]
    ub = fopts[_trf.DIFF_STEP + 1 + n:_trf.DIFF_STEP + 1 + 2 * n]
    x1 = x0.copy()
    if np.any(np.isfinite(lb)) or np.any(np.isfinite(ub)):
        x1 = _strictly_feasible(x0, lb, ub)
    r0 = np.asarray(fun(x1.copy(), *args), dtype=np.float64).ravel()
    m = r0.size
    ws, iws = _sizes(n, m)
    _init(ws, iws, x0, m, fopts, iopts)
    first = True
    while iws[W.TASK] != W.DONE:
        xo = iws[W.X]
        x = ws[xo:xo + n].copy()
        if iws[W.TASK] == _trf.JACOBIAN:
            J = np.asarray(jac(x, *args), dtype=np.float64)
            if J.shape != (m, n):
                raise ValueError(f"jac returned shape {J.shape}, expected {(m, n)}")
            jo = iws[_trf.JAC]
            ws[jo:jo + m * n].reshape(n, m)[...] = J.T
        else:
            go = iws[W.G]
            ws[go:go + m] = r0 if first else np.asarray(fun(x, *args),
                                                        dtype=np.float64).ravel()
        first = False
        _step(ws, iws)
    return _result(ws, iws, n, m)


def _strictly_feasible(x0, lb, ub):
    """scipy's ``make_strictly_feasible(x0, lb, ub)`` (``rstep=1e-10``), as init does."""
    x = x0.copy()
    _feasible(x, lb.copy(), ub.copy())
    return x


@njit(**_OPTIONS)
def _feasible(x, lb, ub):
    _trf._make_strictly_feasible(x, lb, ub, 1e-10)


_loops = BoundedCache("_fit._drive_trf.loops", maxsize=32)


def _compiled_loop(args_type, key=None):
    """The loop's dispatcher for ``args`` of this numba type and its entry point."""
    key = args_type if key is None else key
    entry = _loops.get(key)
    if entry is None:
        fn_type = types.FunctionType(types.none(float64[::1], float64[::1], args_type))
        disp = njit(**_OPTIONS)(_loop)
        sig = (fn_type, fn_type, float64[::1], types.int64[::1], float64[::1], types.int64,
               float64[::1], types.int64[::1], args_type)
        entry = _loops[key] = (disp, entry_point(disp, sig))
    return entry


def solve_trf_compiled(fun, x0, jac="2-point", bounds=(-np.inf, np.inf), args=(),
                       loss="linear", f_scale=1.0, x_scale=None, ftol=1e-8, xtol=1e-8,
                       gtol=1e-8, max_nfev=None, diff_step=None):
    """:func:`solve_trf` with the whole loop compiled: ``fun`` (and a callable ``jac``)
    are numba ``@njit`` functions ``fun(x, *args) -> r``, ``jac(x, *args) -> J``.
    Same returns as :func:`solve_trf`."""
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    args = tuple(args)
    m = np.asarray(fun(x0.copy(), *args)).size
    fopts, iopts = trf_options(n, jac, bounds, loss, f_scale, x_scale, ftol, xtol, gtol,
                               max_nfev, diff_step)
    key, args_type = _args_type(args)
    res, jacf = _adapt(fun, jac if callable(jac) else None, args_type, key)
    ws, iws = _sizes(n, m)
    _compiled_loop(args_type, key)[1](res, jacf, ws, iws, x0, m, fopts, iopts, args)
    return _result(ws, iws, n, m)
