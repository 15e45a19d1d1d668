"""The covariance of fitted parameters, as scipy's ``curve_fit`` estimates it.

Two estimates of ``(J^T J)^-1`` at the solution, plain loops and numpy calls that numba
compiles (for the compiled fits, and one fit per thread of a batch) and that run as they
are from Python:

- :func:`lm_covariance`, from MINPACK's QR factorisation with column pivoting that the
  Levenberg-Marquardt run leaves behind (scipy's ``leastsq`` ``cov_x``): ``J P = Q R``
  gives ``(J^T J)^-1 = P R^-1 R^-T P^T``, NaN where ``R`` is singular;
- :func:`svd_covariance`, the Moore-Penrose inverse from the SVD of the final Jacobian,
  singular values below ``eps * max(m, n) * s_max`` discarded (``curve_fit`` after
  ``least_squares``).

:func:`scale_covariance` then applies ``curve_fit``'s ``absolute_sigma=False`` scaling
by the reduced chi-square.
"""
import numpy as np
from numba import njit

from .._minimize._standalone import jitable

__all__ = ["lm_covariance", "svd_covariance", "scale_covariance", "svd_cov", "scale_cov"]

_EPS = np.finfo(np.float64).eps


@jitable
def lm_covariance(fjac, ipvt, cov):
    """``cov`` (n, n) from MINPACK's ``fjac`` as scipy's ``leastsq`` returns it (shape
    (n, m): row j holds column j of the factored Jacobian, ``R`` in its upper part) and
    ``ipvt`` (0-based pivots). Returns False (``cov`` filled with NaN) where ``R`` has a
    zero on its diagonal, as LAPACK's ``trtri`` reports a singular matrix."""
    n = fjac.shape[0]
    for j in range(n):
        if fjac[j, j] == 0.0:
            cov[:, :] = np.nan
            return False
    # R^-1, upper triangular, by columns: R Rinv[:, j] = e_j, back substitution.
    rinv = np.zeros((n, n))
    for j in range(n):
        rinv[j, j] = 1.0 / fjac[j, j]
        for i in range(j - 1, -1, -1):
            s = 0.0
            for k in range(i + 1, j + 1):
                s += fjac[k, i] * rinv[k, j]   # R[i, k] = fjac[k, i]
            rinv[i, j] = -s / fjac[i, i]
    # (J^T J)^-1 = P Rinv Rinv^T P^T: row k of Rinv is row ipvt[k] of P Rinv.
    for a in range(n):
        for b in range(n):
            s = 0.0
            for k in range(max(a, b), n):
                s += rinv[a, k] * rinv[b, k]
            cov[ipvt[a], ipvt[b]] = s
    return True


@jitable
def svd_covariance(J, cov):
    """``cov`` (n, n): the pseudo-inverse of ``J^T J`` from the SVD of ``J`` (m, n),
    singular values at or below ``eps * max(m, n) * s[0]`` left out (scipy's
    ``curve_fit`` after ``least_squares``)."""
    m, n = J.shape
    _, s, vt = np.linalg.svd(np.ascontiguousarray(J), full_matrices=False)
    threshold = _EPS * max(m, n) * s[0]
    for a in range(n):
        for b in range(n):
            v = 0.0
            for k in range(s.size):
                if s[k] > threshold:
                    v += vt[k, a] * vt[k, b] / (s[k] * s[k])
            cov[a, b] = v


@jitable
def scale_covariance(cov, cost, m, absolute_sigma):
    """``curve_fit``'s treatment of ``cov`` in place (``cost``: the sum of squared
    weighted residuals, m of them). Returns True where scipy warns that the covariance
    could not be estimated (``cov`` then all infinite)."""
    n = cov.shape[0]
    bad = False
    for a in range(n):
        for b in range(n):
            if cov[a, b] != cov[a, b]:
                bad = True
    if bad:
        cov[:, :] = np.inf
        return True
    if absolute_sigma:
        return False
    if m > n:
        s_sq = cost / (m - n)
        for a in range(n):
            for b in range(n):
                cov[a, b] = cov[a, b] * s_sq
        return False
    cov[:, :] = np.inf
    return True


_OPTIONS = dict(cache=True, error_model="numpy")


@njit(**_OPTIONS)
def _svd_cov(J):
    cov = np.empty((J.shape[1], J.shape[1]))
    svd_covariance(J, cov)
    return cov


@njit(**_OPTIONS)
def _scale_cov(cov, cost, m, absolute_sigma):
    return scale_covariance(cov, cost, m, absolute_sigma)


def scale_cov(cov, cost, m, absolute_sigma):
    """:func:`scale_covariance` from Python (``cov`` a float64 (n, n) array)."""
    return _scale_cov(cov, float(cost), int(m), bool(absolute_sigma))


def svd_cov(J):
    """:func:`svd_covariance` from Python: a new (n, n) array."""
    return _svd_cov(np.ascontiguousarray(J, dtype=np.float64))
