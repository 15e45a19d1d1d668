"""Drivers of the Levenberg-Marquardt state machine (:mod:`._lm`): a Python loop and a
compiled loop.

Both run the same compiled ``init``/``step`` and differ only in who evaluates the
residuals and the Jacobian, so for the same functions they give the same iterates,
``nfev`` and ``njev``. :func:`solve_lm` takes scipy's ``least_squares(method="lm")``
options and returns what its result holds; it is the back end the public
``least_squares`` is to call, not the front door (no argument checking beyond what the
state machine needs).
"""
import numpy as np
from numba import float64, njit, types

from .._cache import BoundedCache
from .._fingerprint import source_fingerprint
from .._minimize import _workspace as W
from . import _lm
from ._covariance import lm_covariance, scale_covariance
from .._minimize._standalone import jitable
from ._drive import (OPTIONS as _OPTIONS, adapters, args_type_of, compiled_loop, machine,
                     raised_at, relative_steps, run_python)

__all__ = ["solve_lm", "solve_lm_compiled", "fit_lm", "fit_lm_compiled", "lm_options"]

_BY_CODE = {r.code: r for r in _lm.REASONS}
LM = machine(_lm, "lm")
_run = LM.run


@jitable
def _covariance_of(ws, iws, m, ipvt_at, cov, absolute):
    """leastsq's covariance from the run's last QR (FINAL_JAC off) and curve_fit's
    scaling of it, into ``cov``; True where it could not be estimated."""
    n = cov.shape[0]
    info = iws[_lm.INFO]
    if 1 <= info <= 4 and iws[W.REASON] != W.RAISED_REASON:
        jo = iws[_lm.JAC]
        lm_covariance(ws[jo:jo + m * n].reshape((n, m)), iws[ipvt_at:ipvt_at + n], cov)
    else:
        cov[:, :] = np.nan
    fo = iws[W.GR]
    cost = 0.0
    for i in range(m):
        cost += ws[fo + i] * ws[fo + i]
    return scale_covariance(cov, cost, m, absolute)


def _make_fit():
    """curve_fit's fit in one compiled function: the loop, then the covariance
    (:func:`_covariance_of`); and the covariance alone after a Python loop. Closures
    over the sources' fingerprint, as the loop (see :func:`._drive.machine`)."""
    fp = source_fingerprint("_fit", "_minimize")

    def fit(res, jacf, ws, iws, x0, m, fopts, iopts, args, ipvt_at, cov, absolute):
        fp  # noqa: B018 -- part of the cache key
        _run(res, jacf, ws, iws, x0, m, fopts, iopts, args)
        return _covariance_of(ws, iws, m, ipvt_at, cov, absolute)

    def covariance(ws, iws, m, ipvt_at, cov, absolute):
        fp  # noqa: B018
        return _covariance_of(ws, iws, m, ipvt_at, cov, absolute)

    fit.__qualname__, covariance.__qualname__ = "lm_fit", "lm_covariance"
    return fit, njit(**_OPTIONS)(covariance)


_fit, _covariance = _make_fit()


def lm_options(n, jac, ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=None, x_scale=None,
               diff_step=None, epsfcn=None, factor=100.0, final_jac=True, diag=None,
               dtype=np.float64):
    """The ``fopts``/``iopts`` arrays of :func:`._lm.init`, with scipy's defaults.

    Parameters
    ----------
    n : int
        Number of variables.
    jac : callable, "2-point", "3-point" or "fdjac2"
        A callable Jacobian (MINPACK ``lmder``); scipy's forward or central differences
        (``least_squares``' ``"2-point"`` and ``"3-point"``); or MINPACK ``lmdif``'s
        (scipy's ``leastsq`` without ``Dfun``), whose evaluations count in ``nfev``.
    ftol, xtol, gtol, factor : float
        MINPACK's tolerances and initial step bound.
    max_nfev : int, optional
        MINPACK's ``maxfev``. Default: ``100 * n`` (scipy 1.16+ ``least_squares``), with
        ``"fdjac2"`` ``200 * (n + 1)`` (``leastsq``).
    x_scale : None, "jac" or array_like
        ``None`` or ``"jac"``: MINPACK's ``mode = 1`` (scaling by the Jacobian's column
        norms); an array (or scalar): ``mode = 2`` with ``diag = 1 / x_scale``.
    diff_step : float, optional
        scipy's relative step for ``"2-point"``.
    epsfcn : float, optional
        MINPACK's ``epsfcn`` for ``"fdjac2"`` (default machine epsilon, as ``leastsq``).
    final_jac : bool
        Evaluate the Jacobian at the solution at the end (scipy's result ``jac``).
    diag : array_like, optional
        MINPACK's ``diag`` itself (``leastsq``'s), instead of ``x_scale``.
    dtype : numpy dtype
        The residuals' (see :func:`._drive.relative_steps`).
    """
    if callable(jac):
        jac_mode = _lm.USER
    elif jac == "2-point":
        jac_mode = _lm.TWO_POINT
    elif jac == "3-point":
        jac_mode = _lm.THREE_POINT
    elif jac == "fdjac2":
        jac_mode = _lm.FDJAC2
    else:
        raise ValueError(f"jac must be callable, '2-point', '3-point' or 'fdjac2', "
                         f"got {jac!r}")
    if max_nfev is None:
        max_nfev = 200 * (n + 1) if jac_mode == _lm.FDJAC2 else 100 * n
    mode = 1
    if diag is not None:
        mode = 2
        diag = np.broadcast_to(np.asarray(diag, dtype=np.float64), (n,))
    elif x_scale is not None and not (isinstance(x_scale, str) and x_scale == "jac"):
        mode = 2
        diag = 1 / np.broadcast_to(np.asarray(x_scale, dtype=np.float64), (n,))
    else:
        diag = np.empty(0)
    fopts = np.concatenate([
        np.array([ftol, xtol, gtol, factor,
                  np.finfo(np.float64).eps if epsfcn is None else epsfcn,
                  np.nan if diff_step is None else diff_step, *relative_steps(dtype)],
                 dtype=np.float64),
        diag])
    iopts = np.array([max_nfev, mode, jac_mode, int(bool(final_jac))], dtype=np.int64)
    return fopts, iopts


def _result(ws, iws, n, m, user_jac):
    xo, fo, jo = iws[W.XR], iws[W.GR], iws[_lm.JAC]
    x = ws[xo:xo + n].copy()
    f = ws[fo:fo + m].copy()
    J = ws[jo:jo + m * n].reshape(n, m).T.copy()
    code = int(iws[W.REASON])
    reason = _BY_CODE.get(code)
    g = J.T @ f
    return {
        "raised_at": raised_at(ws, iws, n),   # where a compiled model raised, or None
        "x": x, "fun": f, "jac": J, "cost": 0.5 * float(f @ f), "grad": g,
        "optimality": float(np.abs(g).max()) if n else 0.0,
        "nfev": int(iws[W.NFEV]), "njev": int(iws[_lm.NJEV]) if user_jac else None,
        "nit": int(iws[W.NIT]), "info": int(iws[_lm.INFO]),
        "status": -1 if reason is None else reason.status,
        "message": ("Improper input parameters." if reason is None else reason.message),
    }


def solve_lm(fun, x0, jac="2-point", args=(), f0=None, **options):
    """Levenberg-Marquardt from Python: ``fun(x, *args)`` returns the m residuals.

    Parameters
    ----------
    fun : callable
    x0 : array_like, shape (n,)
    jac : callable, "2-point", "3-point" or "fdjac2"
        ``jac(x, *args)`` returns the ``(m, n)`` Jacobian; see :func:`lm_options`.
    args : tuple
    f0 : array_like, optional
        ``fun(x0, *args)`` where the caller has it already (not evaluated again).
    **options
        As :func:`lm_options`.

    Returns
    -------
    dict
        ``x, fun, jac, cost, grad, optimality, nfev, njev, nit, info, status, message``,
        scipy's ``least_squares`` fields (``njev`` is None without a callable ``jac``;
        ``info`` is MINPACK's, ``status`` scipy's mapping of it).
    """
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    r0 = np.asarray(fun(x0.copy(), *args) if f0 is None else f0, dtype=np.float64).ravel()
    m = r0.size
    fopts, iopts = lm_options(n, jac, **options)
    ws, iws = run_python(LM, fun, jac, x0, m, fopts, iopts, args, _lm.sizes(n, m), r0)
    return _result(ws, iws, n, m, callable(jac))


_loops = BoundedCache("_fit._drive_lm.loops", maxsize=32)   # keyed on args' numba type


def _compiled_loop(args_type, key, fit=False):
    """The compiled loop (with ``fit``, curve_fit's :func:`_fit`) for ``args`` of this
    numba type (see :func:`._drive.compiled_loop`)."""
    if fit:
        return compiled_loop(_loops, _fit, args_type, (key, True),
                             (types.int64, float64[:, ::1], types.boolean))
    return compiled_loop(_loops, LM.loop, args_type, (key, False))


def solve_lm_compiled(fun, x0, jac="2-point", args=(), f0=None, stamp=None, m=None,
                      **options):
    """:func:`solve_lm` with the whole loop compiled: ``fun`` (and a callable ``jac``)
    are numba ``@njit`` functions ``fun(x, *args) -> r``, ``jac(x, *args) -> J``.
    ``stamp``: a string naming their code and version, for functions that numba does
    not cache on disk themselves but whose adapters may be (see :func:`._drive.adapters`);
    ``m``, the number of residuals where the caller knows it (then ``fun`` is not
    called from Python, which would compile it).
    Same returns as :func:`solve_lm`."""
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    args = tuple(args)
    if m is None:
        m = np.asarray(fun(x0.copy(), *args) if f0 is None else f0).size
    fopts, iopts = lm_options(n, jac, **options)
    key, args_type = args_type_of(args)
    res, jacf = adapters(fun, jac if callable(jac) else None, args_type, key, stamp)
    ws = np.zeros(_lm.sizes(n, m)[0])
    iws = np.zeros(_lm.sizes(n, m)[1], dtype=np.int64)
    _compiled_loop(args_type, key)[1](res, jacf, ws, iws, x0, m, fopts, iopts, args)
    return _result(ws, iws, n, m, callable(jac))


def fit_lm_compiled(fun, x0, jac, args, m, absolute_sigma, stamp=None, **options):
    """curve_fit's Levenberg-Marquardt fit in one compiled call: the run of
    :func:`solve_lm_compiled` (``final_jac`` off, as ``leastsq``), then the covariance
    from its last QR factorisation, scaled as ``curve_fit`` does.

    Returns
    -------
    dict
        ``x, fun`` (the residuals), ``fjac`` (MINPACK's, (n, m) as ``leastsq``'s
        infodict), ``ipvt`` (0-based), ``qtf``, ``nfev, njev, info, raised_at`` as
        :func:`solve_lm`, ``cov`` (n, n) and ``cov_failed`` (True where scipy warns that
        the covariance could not be estimated).
    """
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    fopts, iopts = lm_options(n, jac, final_jac=False, **options)
    key, args_type = args_type_of(args)
    res, jacf = adapters(fun, jac if callable(jac) else None, args_type, key, stamp)
    nw, niw = _lm.sizes(n, m)
    ws = np.zeros(nw)
    iws = np.zeros(niw, dtype=np.int64)
    cov = np.empty((n, n))
    ipvt_at = _lm.LAYOUT.offsets_of(n, m)[1].ipvt
    failed = _compiled_loop(args_type, key, fit=True)[1](
        res, jacf, ws, iws, x0, m, fopts, iopts, args, ipvt_at, cov, bool(absolute_sigma))
    return _fit_result(ws, iws, n, m, ipvt_at, cov, failed)


def fit_lm(fun, x0, jac, args, absolute_sigma, f0=None, copy_x=True, **options):
    """:func:`fit_lm_compiled` for a Python model: the Python loop, then the same
    compiled covariance; the same returns. ``copy_x``: see :func:`._drive.run_python`."""
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    r0 = np.asarray(fun(x0.copy(), *args) if f0 is None else f0, dtype=np.float64).ravel()
    m = r0.size
    fopts, iopts = lm_options(n, jac, final_jac=False, **options)
    ws, iws = run_python(LM, fun, jac, x0, m, fopts, iopts, args, _lm.sizes(n, m), r0,
                         copy_x=copy_x)
    cov = np.empty((n, n))
    ipvt_at = _lm.LAYOUT.offsets_of(n, m)[1].ipvt
    failed = _covariance(ws, iws, m, ipvt_at, cov, bool(absolute_sigma))
    return _fit_result(ws, iws, n, m, ipvt_at, cov, failed)


def _fit_result(ws, iws, n, m, ipvt_at, cov, failed):
    xo, fo, jo = iws[W.XR], iws[W.GR], iws[_lm.JAC]
    qo = _lm.LAYOUT.offsets_of(n, m)[0].qtf
    return {"x": ws[xo:xo + n].copy(), "fun": ws[fo:fo + m].copy(),
            "fjac": ws[jo:jo + m * n].reshape(n, m).copy(),
            "ipvt": iws[ipvt_at:ipvt_at + n].copy(), "qtf": ws[qo:qo + n].copy(),
            "nfev": int(iws[W.NFEV]), "njev": int(iws[_lm.NJEV]), "info": int(iws[_lm.INFO]),
            "raised_at": raised_at(ws, iws, n), "cov": cov, "cov_failed": bool(failed)}
