"""A ``curve_fit`` model ``f(x, *params)`` turned into residual functions.

scipy's ``curve_fit`` minimises the weighted residuals ``w * (f(xdata, *p) - ydata)``
(``w = 1 / sigma``), or ``L^-1 (f(xdata, *p) - ydata)`` where ``sigma`` is a covariance
matrix ``L L^T``. numopt adds the Poisson deviance residuals (:func:`deviance_residual`,
the maximum-likelihood estimator for counts) and parameters held fixed at their
``p0`` values (the solver sees only the free ones).

For a Python model the residuals are Python closures; for a numba ``@njit`` model,
compiled functions ``r(p, xdata, ydata, w, base, free)`` and ``J(...)`` that call the
model with its parameters spelled out (numba cannot unpack an array into arguments),
generated once per model, number of parameters, weighting and fixing and cached with
the model, so the fit's compiled loop calls them without leaving compiled code.
"""
import math

import numpy as np
from numba import njit
from scipy.linalg import solve_triangular

from .._cache import ObjectCache
from .._fingerprint import source_fingerprint
from .._minimize._objective import _disk_stamp
from .._minimize._standalone import jitable

__all__ = ["WEIGHTS", "CHOLESKY", "POISSON", "python_residuals", "compiled_residuals",
           "forward_substitution", "deviance_residual", "deviance_slope"]

# How the residuals are weighted
WEIGHTS, CHOLESKY, POISSON = "weights", "cholesky", "poisson"


@jitable
def forward_substitution(L, b):
    """``L^-1 b`` for a lower-triangular L (m, m) and b (m,) or (m, n)."""
    out = np.empty(b.shape)
    flat_b = b.reshape((b.shape[0], -1))
    flat = out.reshape((b.shape[0], -1))
    for c in range(flat_b.shape[1]):
        for i in range(L.shape[0]):
            s = flat_b[i, c]
            for k in range(i):
                s -= L[i, k] * flat[k, c]
            flat[i, c] = s / L[i, i]
    return out


@jitable
def deviance_residual(f, y):
    """The signed square root of a point's Poisson deviance ``2 (f - y - y log(f / y))``
    (``2 f`` for ``y = 0``), so that the sum of squares is the deviance, minimal where
    the Poisson likelihood of the counts ``y`` is maximal. Infinite where the model is
    not positive (the solver rejects such steps)."""
    if not f > 0.0:
        return math.inf
    if y > 0.0:
        d = 2.0 * (f - y - y * math.log(f / y))
    else:
        d = 2.0 * f
    r = math.sqrt(max(d, 0.0))
    return r if f >= y else -r


@jitable
def deviance_slope(f, y):
    """``d r / d f`` of :func:`deviance_residual`: ``(1 - y / f) / r``, whose limit where
    ``f = y`` (r = 0) is ``1 / sqrt(y)``."""
    r = deviance_residual(f, y)
    if r == 0.0:
        return 1.0 / math.sqrt(y) if y > 0.0 else 0.0
    return (1.0 - y / f) / r


@njit(cache=True, error_model="numpy")
def _deviance_residuals(f, y):
    r = np.empty(y.size)
    for i in range(y.size):
        r[i] = deviance_residual(f[i], y[i])
    return r


@njit(cache=True, error_model="numpy")
def _deviance_slopes(f, y):
    s = np.empty(y.size)
    for i in range(y.size):
        s[i] = deviance_slope(f[i], y[i])
    return s


def python_residuals(f, jac, xdata, ydata, transform, kind, base=None, free=None):
    """``(fun(p), jac(p))`` for a Python model (``jac`` None stays None). ``kind``:
    :data:`WEIGHTS` with ``transform`` None, a scalar or (m,) weights; :data:`CHOLESKY`
    with the lower Cholesky factor (m, m) of sigma; :data:`POISSON` (counts in
    ``ydata``). ``base`` and ``free``: all parameters and the indices of those the
    solver varies, where some are fixed."""
    if free is None:
        full = None
    else:
        def full(p):
            q = base.astype(np.result_type(base, p))
            q[free] = p
            return q
    model = f if full is None else (lambda x, *p: f(x, *full(np.asarray(p))))
    # no cast to float64: jac="cs" calls these with complex parameters
    if kind == POISSON:
        def fun(p):
            return _deviance_residuals(np.asarray(model(xdata, *p), np.float64).ravel(),
                                       ydata)
    elif kind == CHOLESKY:
        def fun(p):
            return solve_triangular(transform, np.asarray(model(xdata, *p)).ravel() - ydata,
                                    lower=True)
    elif transform is None:
        def fun(p):
            r = model(xdata, *p) - ydata
            return r if r.ndim == 1 else r.ravel()
    else:
        def fun(p):
            r = transform * (model(xdata, *p) - ydata)
            return r if r.ndim == 1 else r.ravel()
    if jac is None:
        return fun, None

    def model_jac(p):
        J = np.asarray(jac(xdata, *(p if full is None else full(p))))
        return J if free is None else J[:, free]
    if kind == POISSON:
        def jfun(p):
            fm = np.asarray(model(xdata, *p), np.float64).ravel()
            return _deviance_slopes(fm, ydata)[:, None] * model_jac(p)
    elif kind == CHOLESKY:
        def jfun(p):
            return solve_triangular(transform, model_jac(p), lower=True)
    elif transform is None:
        jfun = model_jac
    else:
        def jfun(p):
            return np.atleast_1d(transform)[:, None] * model_jac(p)
    return fun, jfun


# -- compiled -------------------------------------------------------------------------------------
_generated = ObjectCache("_fit._models.compiled", maxsize=256)

# ``q``: every parameter (the fixed ones from ``base``, the free ones from ``p``).
_PARAMETERS = """
    q = p
    if {fixed}:
        q = base.copy()
        for k in range(free.size):
            q[free[k]] = p[k]
"""

_RESIDUALS = """
def residuals(p, xdata, ydata, w, base, free):
{parameters}
    out = np.asarray(model(xdata, {params})).ravel()
    if {kind} == 1:
        return forward_substitution(w, out - ydata)
    r = np.empty(ydata.size)
    for i in range(ydata.size):
        if {kind} == 2:
            r[i] = deviance_residual(out[i], ydata[i])
        else:
            r[i] = w[i] * (out[i] - ydata[i])
    return r
"""

_JACOBIAN = """
def jacobian(p, xdata, ydata, w, base, free):
{parameters}
    J = np.asarray(model_jac(xdata, {params}))
    if {kind} == 1:
        Jf = forward_substitution(w, J)
    else:
        Jf = np.empty(J.shape)
        if {kind} == 2:
            out = np.asarray(model(xdata, {params})).ravel()
            for i in range(J.shape[0]):
                s = deviance_slope(out[i], ydata[i])
                for j in range(J.shape[1]):
                    Jf[i, j] = s * J[i, j]
        else:
            for i in range(J.shape[0]):
                for j in range(J.shape[1]):
                    Jf[i, j] = w[i] * J[i, j]
    if not {fixed}:
        return Jf
    Jp = np.empty((J.shape[0], free.size))
    for k in range(free.size):
        for i in range(J.shape[0]):
            Jp[i, k] = Jf[i, free[k]]
    return Jp
"""
_KIND_CODES = {WEIGHTS: 0, CHOLESKY: 1, POISSON: 2}

# A pointwise model (numopt.pointwise) is called point by point: ``{xi}`` is
# ``xdata[i]`` or, for k variables, the column ``xdata[:, i]``.
_POINTWISE_RESIDUALS = """
def residuals(p, xdata, ydata, w, base, free):
{parameters}
    m = ydata.size
    out = np.empty(m)
    for i in range(m):
        out[i] = model({xi}, {params})
    if {kind} == 1:
        return forward_substitution(w, out - ydata)
    for i in range(m):
        if {kind} == 2:
            out[i] = deviance_residual(out[i], ydata[i])
        else:
            out[i] = w[i] * (out[i] - ydata[i])
    return out
"""

_POINTWISE_JACOBIAN = """
def jacobian(p, xdata, ydata, w, base, free):
{parameters}
    m = ydata.size
    n = q.size
    J = np.empty((m, n))
    for i in range(m):
        model_jac({xi}, {params}, J[i])
    if {kind} == 1:
        J = forward_substitution(w, J)
    else:
        for i in range(m):
            s = w[i]
            if {kind} == 2:
                s = deviance_slope(model({xi}, {params}), ydata[i])
            for j in range(n):
                J[i, j] *= s
    if not {fixed}:
        return J
    Jp = np.empty((m, free.size))
    for k in range(free.size):
        for i in range(m):
            Jp[i, k] = J[i, free[k]]
    return Jp
"""


def compiled_residuals(model, model_jac, n, kind, fixed, pointwise_ndim=0):
    """Compiled ``residuals(p, xdata, ydata, w, base, free)`` and (for a compiled
    ``model_jac``, else None) ``jacobian(...)`` for a model of n parameters, and a
    stamp naming their code and version for the disk cache of the fit's adapters (None
    where the model is not cached on disk, see :func:`._drive.adapters`). ``w``: the
    weights (m,) (ones without sigma: ``1 * r`` is ``r`` exactly), or the lower Cholesky
    factor (m, m) of sigma, unused for :data:`POISSON`; ``base`` (n,) and ``free``
    (int64) the parameters and the indices varied where ``fixed``. ``pointwise_ndim``:
    for a model of one point (``numopt.pointwise``: ``model`` and ``model_jac`` its
    function and partials), the number of dimensions of xdata (1 or 2)."""
    key = (n, kind, fixed, pointwise_ndim)
    hit = _generated.lookup(model, model_jac, *key)
    if hit is not None:
        return hit
    fmt = dict(params=", ".join(f"q[{j}]" for j in range(n)), kind=_KIND_CODES[kind],
               fixed=bool(fixed), parameters=_PARAMETERS.format(fixed=bool(fixed)),
               xi="xdata[i]" if pointwise_ndim == 1 else "xdata[:, i]")
    templates = (_POINTWISE_RESIDUALS, _POINTWISE_JACOBIAN) if pointwise_ndim else \
        (_RESIDUALS, _JACOBIAN)
    scope = {"np": np, "model": model, "model_jac": model_jac,
             "forward_substitution": forward_substitution,
             "deviance_residual": deviance_residual, "deviance_slope": deviance_slope}
    exec(templates[0].format(**fmt), scope)
    res = njit(error_model="numpy")(scope["residuals"])
    jacf = None
    if model_jac is not None:
        exec(templates[1].format(**fmt), scope)
        jacf = njit(error_model="numpy")(scope["jacobian"])
    disk = _disk_stamp(model) if model_jac is None else _disk_stamp(model, model_jac)
    stamp = None if disk is None else \
        f"curve_fit|{key}|{source_fingerprint('_fit')}|{disk}"
    return _generated.store(model, model_jac, *key, value=(res, jacf, stamp))
