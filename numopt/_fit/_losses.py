"""scipy's robust loss functions for ``least_squares``, compiled.

Each loss is scipy's ``rho(z)`` of ``z = (f / f_scale)**2`` with its first two
derivatives, in the order of operations of scipy 1.17 ``_lsq/least_squares.py``
(``huber``, ``soft_l1``, ``cauchy``, ``arctan``, ``construct_loss_function``), and
``_lsq/common.py``'s ``scale_for_robust_loss_function``. numpy computes the arrays'
powers and ``log1p``/``arctan`` with its SIMD kernels, numba with libm: the values agree
to a rounding unit, not always bit for bit.
"""
import math

import numpy as np

from .._minimize._standalone import jitable

__all__ = ["LINEAR", "SOFT_L1", "HUBER", "CAUCHY", "ARCTAN", "LOSSES", "loss_rho",
           "loss_cost", "scale_for_loss", "pairwise_sum"]

LINEAR, SOFT_L1, HUBER, CAUCHY, ARCTAN = range(5)
LOSSES = {"linear": LINEAR, "soft_l1": SOFT_L1, "huber": HUBER, "cauchy": CAUCHY,
          "arctan": ARCTAN}

_EPS = float(np.finfo(np.float64).eps)


@jitable
def _pairwise_leaf(a, lo, n):
    """numpy's ``pairwise_sum_DOUBLE`` for n <= 128 values from ``a[lo]``."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@jitable
def pairwise_sum(a):
    """``np.sum(a)`` for a contiguous 1-d float64 array, bit for bit: numpy's pairwise
    summation (eight accumulators up to 128 values; above, the halves, split at a
    multiple of 8, summed alike and added). The recursion runs on explicit stacks,
    which numba compiles without a declared signature."""
    n = a.size
    if n <= 128:
        return _pairwise_leaf(a, 0, n)
    vals = np.empty(128)
    wlo = np.empty(192, dtype=np.int64)
    wn = np.empty(192, dtype=np.int64)
    nv = 0
    nw = 1
    wlo[0] = 0
    wn[0] = n
    while nw > 0:
        nw -= 1
        lo, k = wlo[nw], wn[nw]
        if k < 0:        # both halves done: add them
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
        elif k <= 128:
            vals[nv] = _pairwise_leaf(a, lo, k)
            nv += 1
        else:
            n2 = k // 2
            n2 -= n2 % 8
            wlo[nw], wn[nw] = 0, -1
            wlo[nw + 1], wn[nw + 1] = lo + n2, k - n2
            wlo[nw + 2], wn[nw + 2] = lo, n2
            nw += 3
    return vals[0]


@jitable
def _rho_z(loss, z):
    """scipy's ``rho(z)``, ``rho'(z)``, ``rho''(z)`` of one ``z``, before ``f_scale``."""
    if loss == HUBER:
        if z <= 1.0:
            return z, 1.0, 0.0
        return 2.0 * math.sqrt(z) - 1.0, z ** -0.5, -0.5 * z ** -1.5
    if loss == SOFT_L1:
        t = 1.0 + z
        return 2.0 * (math.sqrt(t) - 1.0), t ** -0.5, -0.5 * t ** -1.5
    if loss == CAUCHY:
        t = 1.0 + z
        return math.log1p(z), 1.0 / t, -1.0 / (t * t)
    if loss == ARCTAN:
        t = 1.0 + z * z
        return math.atan(z), 1.0 / t, -2.0 * z / (t * t)
    return z, 1.0, 0.0


@jitable
def loss_rho(loss, f_scale, f, rho0, rho1, rho2):
    """scipy's ``loss_function(f)``: ``rho[0]`` times ``f_scale**2``, ``rho[1]``, and
    ``rho[2]`` over ``f_scale**2``, into the three arrays."""
    c = f_scale * f_scale
    for i in range(f.size):
        q = f[i] / f_scale
        a, b, d = _rho_z(loss, q * q)
        rho0[i] = a * c
        rho1[i] = b
        rho2[i] = d / c


@jitable
def loss_cost(loss, f_scale, f, work):
    """scipy's ``loss_function(f, cost_only=True)``: ``0.5 f_scale**2 sum(rho(z))``
    (``work``: m values of scratch); ``0.5 f.f`` for the linear loss."""
    if loss == LINEAR:
        return 0.5 * np.dot(f, f)
    for i in range(f.size):
        q = f[i] / f_scale
        work[i] = _rho_z(loss, q * q)[0]
    return 0.5 * (f_scale * f_scale) * pairwise_sum(work)


@jitable
def scale_for_loss(J, m, n, f, rho1, rho2):
    """scipy's ``scale_for_robust_loss_function``, in place: rows of ``J`` (flat,
    column-major, m by n) and ``f`` scaled by ``sqrt(max(rho' + 2 rho'' f**2, eps))``,
    ``f`` also by ``rho'`` over that."""
    for i in range(m):
        s = rho1[i] + 2.0 * rho2[i] * (f[i] * f[i])
        if s < _EPS:
            s = _EPS
        s = math.sqrt(s)
        f[i] *= rho1[i] / s
        for j in range(n):
            J[j * m + i] *= s
