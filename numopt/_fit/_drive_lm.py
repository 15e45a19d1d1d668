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
from numba import float64, njit, types, typeof

from .._cache import BoundedCache, ObjectCache
from .._fingerprint import source_fingerprint
from .._minimize._drivers import entry_point, first_class
from .._minimize._objective import _bind as bind, _disk_stamp, catching
from .._minimize._standalone import jitable
from . import _lm
from ._covariance import lm_covariance, scale_covariance
from .._minimize import _workspace as W

__all__ = ["solve_lm", "solve_lm_compiled", "lm_options"]

_OPTIONS = dict(cache=True, error_model="numpy")
_BY_CODE = {r.code: r for r in _lm.REASONS}

_init_i = jitable(_lm.init)
_step_i = jitable(_lm.step)


def _compiled():
    """The compiled ``init``, ``step`` and loop, as closures over the fingerprint of
    numopt's compiled sources: numba's disk cache checks only this file's timestamp,
    and they inline code from :mod:`._lm` and :mod:`._minpack_linalg` (see
    :mod:`numopt._fingerprint`)."""
    fp = source_fingerprint("_fit", "_minimize")

    def init(ws, iws, x0, m, fopts, iopts):
        fp  # noqa: B018 -- part of the cache key
        _init_i(ws, iws, x0, m, fopts, iopts)

    def step(ws, iws):
        fp  # noqa: B018
        _step_i(ws, iws)

    # The compiled loop: residuals and Jacobian as first-class functions, so that it is
    # compiled (and cached) once per type of args, never per model.
    # An adapter returns W.RAISED where the model raised: the run stops with reason
    # RAISED, the point still at iws[W.X], and the front door raises the exception again.
    def run(res, jacf, ws, iws, x0, m, fopts, iopts, args):
        _init_i(ws, iws, x0, m, fopts, iopts)
        n = x0.size
        while iws[W.TASK] != W.DONE:
            xo = iws[W.X]
            if iws[W.TASK] == _lm.JACOBIAN:
                jo = iws[_lm.JAC]
                flag = jacf(ws[xo:xo + n], ws[jo:jo + m * n], args)
            else:
                go = iws[W.G]
                flag = res(ws[xo:xo + n], ws[go:go + m], args)
            if W.raised(flag):
                W.finish(iws, W.RAISED_REASON)
                break
            _step_i(ws, iws)

    run_i = jitable(run)

    def loop(res, jacf, ws, iws, x0, m, fopts, iopts, args):
        fp  # noqa: B018
        run_i(res, jacf, ws, iws, x0, m, fopts, iopts, args)

    # curve_fit's fit: the loop, then leastsq's covariance from the last QR (FINAL_JAC
    # off) and curve_fit's scaling of it; True where it could not be estimated.
    def fit(res, jacf, ws, iws, x0, m, fopts, iopts, args, ipvt_at, cov, absolute):
        fp  # noqa: B018
        run_i(res, jacf, ws, iws, x0, m, fopts, iopts, args)
        n = x0.size
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

    init.__qualname__, step.__qualname__ = "lm_init", "lm_step"
    loop.__qualname__, fit.__qualname__ = "lm_loop", "lm_fit"
    return njit(**_OPTIONS)(init), njit(**_OPTIONS)(step), loop, fit


_init, _step, _loop, _fit = _compiled()


def lm_options(n, jac, ftol=1e-8, xtol=1e-8, gtol=1e-8, max_nfev=None, x_scale=None,
               diff_step=None, epsfcn=None, factor=100.0, final_jac=True, diag=None):
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
                  np.nan if diff_step is None else diff_step], dtype=np.float64),
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
    io = _lm.LAYOUT.int_offsets(n, m)
    qo = _lm.LAYOUT.offsets(n, m).qtf
    po = iws[W.X]
    return {
        # MINPACK's last QR (scipy's leastsq infodict) where FINAL_JAC was not asked for;
        # the point where a compiled model raised (reason RAISED).
        "ipvt": iws[io.ipvt:io.ipvt + n].copy(), "qtf": ws[qo:qo + n].copy(),
        "raised_at": ws[po:po + n].copy() if code == W.RAISED_REASON else None,
        "x": x, "fun": f, "jac": J, "cost": 0.5 * float(f @ f), "grad": g,
        "optimality": float(np.linalg.norm(g, ord=np.inf)),
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
    ws = np.zeros(_lm.sizes(n, m)[0])
    iws = np.zeros(_lm.sizes(n, m)[1], dtype=np.int64)
    _init(ws, iws, x0, m, fopts, iopts)
    first = True
    while iws[W.TASK] != W.DONE:
        xo = iws[W.X]
        x = ws[xo:xo + n].copy()
        if iws[W.TASK] == _lm.JACOBIAN:
            J = np.atleast_2d(np.asarray(jac(x, *args), dtype=np.float64))
            if J.shape != (m, n):
                raise ValueError(f"jac returned shape {J.shape}, expected {(m, n)}")
            jo = iws[_lm.JAC]
            ws[jo:jo + m * n].reshape(n, m)[...] = J.T
        else:
            go = iws[W.G]
            # r(x0) is already known: scipy's VectorFunction does not evaluate it again
            ws[go:go + m] = r0 if first else np.asarray(fun(x, *args), dtype=np.float64).ravel()
        first = False
        _step(ws, iws)
    return _result(ws, iws, n, m, callable(jac))


_loops = BoundedCache("_fit._drive_lm.loops", maxsize=32)   # keyed on args' numba type


def _compiled_loop(args_type, key=None, fit=False):
    """The loop's dispatcher for ``args`` of this numba type and the entry point of its
    one overload, which a call reaches without numba's typing of the arguments (``key``:
    what stands for the type in the cache, see :func:`_args_type`); with ``fit``,
    curve_fit's loop (see :func:`fit_lm_compiled`)."""
    key = args_type if key is None else key
    entry = _loops.get((key, fit))
    if entry is None:   # (a BoundedCache may drop it: then compiled again)
        fn_type = types.FunctionType(float64(float64[::1], float64[::1], args_type))
        sig = (fn_type, fn_type, float64[::1], types.int64[::1], float64[::1], types.int64,
               float64[::1], types.int64[::1], args_type)
        if fit:
            sig = sig + (types.int64, float64[:, ::1], types.boolean)
        disp = njit(**_OPTIONS)(_fit if fit else _loop)
        entry = _loops[(key, fit)] = (disp, entry_point(disp, sig))
    return entry


_adapters = ObjectCache("_fit._drive_lm.adapters")   # dropped with the model

# Placeholders: each adapter is a copy of a template below whose globals bind these
# names to one model's dispatchers (see numopt._minimize._objective._bind).
model = model_jac = inner = None


# The copies are bounded by both sizes: a model returning the wrong length must not write
# past its slot of the workspace (compiled code checks no bounds).
def _residuals_template(x, r, args):
    out = model(x, *args)
    for i in range(min(r.size, out.size)):
        r[i] = out[i]
    return 0.0


def _jacobian_template(x, J, args):
    out = model_jac(x, *args)
    n = x.size
    m = J.size // n
    for j in range(min(n, out.shape[1])):
        for i in range(min(m, out.shape[0])):
            J[j * m + i] = out[i, j]
    return 0.0


def _no_jacobian(x, J, args):   # never asked for: the Jacobian comes by differences
    return 0.0


def _guard(stamp):
    """The adapter the loop calls: the global ``inner`` (compiled) whose exceptions
    become ``W.RAISED`` (they cannot cross the loop's first-class call). ``stamp``
    names the model's code and version: numba keys a cached closure on its cells'
    contents, so each model keeps its own adapter in numba's disk cache."""
    def adapter(x, out, args):
        stamp  # noqa: B018 -- part of the disk cache's key
        return catching(inner, x, out, args)
    return adapter


def _compile_adapter(template, sig, stamp, **names):
    """``template`` with ``names`` bound, compiled behind :func:`_guard`; cached on disk
    unless ``stamp`` is None."""
    inner_ = njit(error_model="numpy", no_cpython_wrapper=True)(bind(template, **names))
    guard = bind(_guard(stamp), inner=inner_, catching=catching)
    wap = first_class(guard, sig, cache=stamp is not None)
    # The compiled code calls the model's machine code: the cached adapter must not keep
    # the model alive through these globals.
    for name in names:
        inner_.py_func.__globals__[name] = None
    guard.__globals__["inner"] = None
    return wap


def _adapt(fun, jac, args_type, key=None, stamp=None):
    """First-class adapters ``res(x, r, args)`` and ``jac(x, J, args)`` (J flat,
    column-major) for njit functions ``fun(x, *args) -> r`` and ``jac(x, *args) -> J``,
    returning ``W.RAISED`` where the model raised. They are cached on disk where the
    model is (numba ``cache=True``), or where the caller gives a ``stamp`` that names
    the functions' code and version (see :func:`_guard`)."""
    key = args_type if key is None else key
    pair = _adapters.lookup(fun, jac, key)
    if pair is not None:
        return pair
    sig = float64(float64[::1], float64[::1], args_type)
    if stamp is None:
        stamp = _disk_stamp(fun, jac) if jac is not None else _disk_stamp(fun)

    def tag(kind):
        return None if stamp is None else f"{kind}|{stamp}"
    res = _compile_adapter(_residuals_template, sig, tag("res"), model=fun)
    if jac is None:
        jacf = _compile_adapter(_no_jacobian, sig, "nojac")
    else:
        jacf = _compile_adapter(_jacobian_template, sig, tag("jac"), model_jac=jac)
    return _adapters.store(fun, jac, key, value=(res, jacf))


_args_types = BoundedCache("_fit._drive_lm.args_types", maxsize=256)


def _args_type(args):
    """``(key, type)``: numba's type of ``args``, and a cheap key that stands for it in
    the caches here. ``numba.typeof`` takes about 50 us for a tuple of two arrays, and
    hashing a numba type some more, longer than a small fit: tuples of arrays and floats
    are typed once per kind (what numba's array type depends on: dtype, ndim, layout,
    writeable, aligned)."""
    key = []
    for a in args:
        if type(a) is np.ndarray:
            f = a.flags
            key.append((a.dtype, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable,
                        f.aligned))
        elif type(a) is float:
            key.append(float)
        else:
            at = typeof(args)
            return at, at
    key = tuple(key)
    at = _args_types.get(key)
    if at is None:
        at = _args_types[key] = typeof(args)
    return key, at


def solve_lm_compiled(fun, x0, jac="2-point", args=(), f0=None, stamp=None, m=None,
                      **options):
    """:func:`solve_lm` with the whole loop compiled: ``fun`` (and a callable ``jac``)
    are numba ``@njit`` functions ``fun(x, *args) -> r``, ``jac(x, *args) -> J``.
    ``stamp``: a string naming their code and version, for functions that numba does
    not cache on disk themselves but whose adapters may be (see :func:`_adapt`);
    ``m``, the number of residuals where the caller knows it (then ``fun`` is not
    called from Python, which would compile it).
    Same returns as :func:`solve_lm`."""
    x0 = np.array(x0, dtype=np.float64).ravel()
    n = x0.size
    args = tuple(args)
    if m is None:
        m = np.asarray(fun(x0.copy(), *args) if f0 is None else f0).size
    fopts, iopts = lm_options(n, jac, **options)
    key, args_type = _args_type(args)
    res, jacf = _adapt(fun, jac if callable(jac) else None, args_type, key, stamp)
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
    key, args_type = _args_type(args)
    res, jacf = _adapt(fun, jac if callable(jac) else None, args_type, key, stamp)
    nw, niw = _lm.sizes(n, m)
    ws = np.zeros(nw)
    iws = np.zeros(niw, dtype=np.int64)
    cov = np.empty((n, n))
    ipvt_at = _lm.LAYOUT.int_offsets(n, m).ipvt
    failed = _compiled_loop(args_type, key, fit=True)[1](
        res, jacf, ws, iws, x0, m, fopts, iopts, args, ipvt_at, cov, bool(absolute_sigma))
    xo, fo, jo = iws[W.XR], iws[W.GR], iws[_lm.JAC]
    qo = _lm.LAYOUT.offsets(n, m).qtf
    code = int(iws[W.REASON])
    return {"x": ws[xo:xo + n].copy(), "fun": ws[fo:fo + m].copy(),
            "fjac": ws[jo:jo + m * n].reshape(n, m).copy(),
            "ipvt": iws[ipvt_at:ipvt_at + n].copy(), "qtf": ws[qo:qo + n].copy(),
            "nfev": int(iws[W.NFEV]), "njev": int(iws[_lm.NJEV]), "info": int(iws[_lm.INFO]),
            "raised_at": (ws[iws[W.X]:iws[W.X] + n].copy() if code == W.RAISED_REASON
                          else None),
            "cov": cov, "cov_failed": bool(failed)}
