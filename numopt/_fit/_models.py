"""A ``curve_fit`` model ``f(x, *params)`` turned into residual functions.

scipy's ``curve_fit`` minimises the weighted residuals ``w * (f(xdata, *p) - ydata)``
(``w = 1 / sigma``), or ``L^-1 (f(xdata, *p) - ydata)`` where ``sigma`` is a covariance
matrix ``L L^T``. For a Python model these are Python closures; for a numba ``@njit``
model, compiled functions ``r(p, xdata, ydata, w)`` and ``J(p, xdata, ydata, w)`` that
call the model with its n parameters spelled out (numba cannot unpack an array into
arguments), generated once per model, n and weighting and cached with the model, so the
fit's compiled loop calls them without leaving compiled code.
"""
import numpy as np
from numba import njit
from scipy.linalg import solve_triangular

from .._cache import ObjectCache
from .._fingerprint import source_fingerprint
from .._minimize._objective import _disk_stamp
from .._minimize._standalone import jitable

__all__ = ["python_residuals", "compiled_residuals", "forward_substitution"]


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


def python_residuals(f, jac, xdata, ydata, transform):
    """``(fun(p), jac(p))`` for a Python model; ``transform`` None, the weights (scalar
    or (m,)), or the lower Cholesky factor (m, m) of sigma. ``jac`` None stays None."""
    # no cast to float64: jac="cs" calls these with complex parameters
    if transform is None:
        def fun(p):
            return (f(xdata, *p) - ydata).ravel()
    elif transform.ndim <= 1:
        def fun(p):
            return (transform * (f(xdata, *p) - ydata)).ravel()
    else:
        def fun(p):
            return solve_triangular(transform, np.asarray(f(xdata, *p)).ravel() - ydata,
                                    lower=True)
    if jac is None:
        return fun, None
    if transform is None:
        def jfun(p):
            return np.asarray(jac(xdata, *p))
    elif transform.ndim <= 1:
        def jfun(p):
            return np.atleast_1d(transform)[:, None] * np.asarray(jac(xdata, *p))
    else:
        def jfun(p):
            return solve_triangular(transform, np.asarray(jac(xdata, *p)), lower=True)
    return fun, jfun


_generated = ObjectCache("_fit._models.compiled", maxsize=256)

_RESIDUALS = """
def residuals(p, xdata, ydata, w):
    out = np.asarray(model(xdata, {params})).ravel()
    if {full}:
        return forward_substitution(w, out - ydata)
    r = np.empty(ydata.size)
    for i in range(ydata.size):
        r[i] = w[i] * (out[i] - ydata[i])
    return r
"""

_JACOBIAN = """
def jacobian(p, xdata, ydata, w):
    J = np.asarray(model_jac(xdata, {params}))
    if {full}:
        return forward_substitution(w, J)
    out = np.empty(J.shape)
    for i in range(J.shape[0]):
        for j in range(J.shape[1]):
            out[i, j] = w[i] * J[i, j]
    return out
"""


def compiled_residuals(model, model_jac, n, full):
    """Compiled ``residuals(p, xdata, ydata, w)`` and (for a compiled ``model_jac``,
    else None) ``jacobian(p, xdata, ydata, w)`` for n parameters, and a stamp naming
    their code and version for the disk cache of the fit's adapters (None where the
    model is not cached on disk, see :func:`._drive_lm.solve_lm_compiled`). ``w``: the
    weights (m,) (ones without sigma: ``1 * r`` is ``r`` exactly), or with ``full`` the
    lower Cholesky factor (m, m) of sigma."""
    hit = _generated.lookup(model, model_jac, n, full)
    if hit is not None:
        return hit
    params = ", ".join(f"p[{j}]" for j in range(n))
    scope = {"np": np, "model": model, "model_jac": model_jac,
             "forward_substitution": forward_substitution}
    exec(_RESIDUALS.format(params=params, full=bool(full)), scope)
    res = njit(error_model="numpy")(scope["residuals"])
    jacf = None
    if model_jac is not None:
        exec(_JACOBIAN.format(params=params, full=bool(full)), scope)
        jacf = njit(error_model="numpy")(scope["jacobian"])
    disk = _disk_stamp(model) if model_jac is None else _disk_stamp(model, model_jac)
    stamp = None if disk is None else \
        f"curve_fit|{n}|{bool(full)}|{source_fingerprint('_fit')}|{disk}"
    return _generated.store(model, model_jac, n, full, value=(res, jacf, stamp))
