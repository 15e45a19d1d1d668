"""BFGS, as ``scipy.optimize.minimize(method="BFGS")`` (scipy 1.17 ``_minimize_bfgs``).

A reverse-communication state machine over the workspace of :mod:`._workspace`: each
``step`` consumes one evaluation. Iterations use the Moré-Thuente line search
(:mod:`._linesearch`) with scipy's first trial step and tolerances, and scipy's
inverse-Hessian update, in O(n^2) form:

.. math::
    H_{k+1} = (I - \\rho s y^T) H_k (I - \\rho y s^T) + \\rho s s^T
            = H_k - \\rho(s (H_k y)^T + (H_k y) s^T) + (\\rho^2 y^T H_k y + \\rho) s s^T.

When the Moré-Thuente search fails, scipy's ``_line_search_wolfe12`` retries with its
second line search, ``line_search_wolfe2`` (:mod:`._wolfe2`, with ``c1``, ``c2`` and
``amax=1e100``), and so does this; if that fails too the run stops with "precision loss"
(status 2). As scipy's ``ScalarFunction`` does, a trial point equal to the point evaluated
last (typically the second search's first step) is not evaluated again. That frame, the
line searches' starts and the handling of non-finite values are :mod:`._quasi_newton`'s,
shared with CG.

Differences from scipy, deliberate:

- A NaN from the objective (or +inf at x0) stops the run (reason ``NONFINITE``, status 5)
  at the best point evaluated (a trial point of the line search if it was lower than the
  iterate), with the value the objective returned there (at x0: the NaN or inf itself);
  scipy's line search would go on asking for other steps. +inf at a trial point is a value
  the line searches back away from, as in scipy, but a run that then fails ends the same
  way, status 5 at the best point, where scipy reports "precision loss" (status 2) at its
  last iterate. -inf ends the run as NaN does, at the best finite point (a line search
  would take it as the lowest value there is).
- The arithmetic (plain loops, the O(n^2) update above) is not numpy's (BLAS dot and
  matrix products), so iterates agree with scipy's to rounding, not bit for bit.
"""
import math
import sys

import numpy as np
from scipy.optimize import OptimizeWarning

from . import _quasi_newton as Q
from . import _reasons as R
from . import _workspace as W
from ._vector import vecnorm
from ._linesearch import CONVERGENCE, FG, LS_SIZE, dcsrch_step
from ._finite_diff import SQRT_EPS
from ._registry import (DISP, FINITE_DIFF_REL_STEP, RETURN_ALL, WORKERS, Method, Option,
                        Reporting, count_option, real_option)
from ._standalone import jitable, standalone
from ._wolfe2 import W2_SIZE, has_step, wolfe2_step

# Option arrays given to init (copied into the workspace).
GTOL, NORM, XRTOL, C1, C2, HESS0 = range(6)  # fopts (then hess_inv0 if HESS0 is 1)
MAXITER = 0                                # iopts

# The update uses the shared slots pk for the step s and xt for H y (see _consume).
LAYOUT = Q.layout(
    "bfgs",
    floats=("xrtol",),
    arrays=(("yk", "n"),        # gradient change y
            ("hk", "n * n"),    # inverse Hessian, row-major
            ("hv", "n")),       # a vector of the factored update
)
_I, _F, _offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets


# When rho y^T H y (1 for an H that fits the curvature along s) exceeds this, the
# expanded O(n^2) update below cancels terms of H's size to leave a far smaller H: it
# would keep rounding errors of eps * rho y^T H y relative to H, so the update is made
# in scipy's factored form instead, whose cancellations only multiply such errors.
_FACTORED = 1e8


def layout_params(n, fopts=None, iopts=None):
    """The parameters of :data:`LAYOUT` for ``n`` variables (the options do not matter)."""
    return (n,)


def sizes(n, fopts=None, iopts=None):
    """Lengths of ``ws`` and ``iws`` for ``n`` variables (the options do not matter)."""
    return LAYOUT.sizes(n)


def init(ws, iws, x0, fopts, iopts):
    n = x0.size
    o = _offsets(n)
    Q.start(ws, iws, o, x0, fopts[GTOL], fopts[NORM], fopts[C1], fopts[C2], iopts[MAXITER])
    ws[_F.xrtol] = fopts[XRTOL]
    custom = fopts[HESS0] != 0.0  # hess_inv0 follows in fopts, row by row
    for i in range(n):
        for j in range(n):
            if custom:
                ws[o.hk + i * n + j] = fopts[HESS0 + 1 + i * n + j]
            else:
                ws[o.hk + i * n + j] = 1.0 if i == j else 0.0


@jitable
def _matvec(ws, h, v, out, n):
    """``out = H v`` for the row-major ``n x n`` block at ``ws[h]``, each entry summed
    over j in order (so bit for bit the plain loop), four rows at a time: one running
    sum waits on the previous addition, four independent ones keep the FPU busy (about
    3x faster at n = 100 than one row at a time)."""
    vv = ws[v:v + n]
    i = 0
    while i + 4 <= n:
        r0 = ws[h + i * n:h + i * n + n]
        r1 = ws[h + (i + 1) * n:h + (i + 1) * n + n]
        r2 = ws[h + (i + 2) * n:h + (i + 2) * n + n]
        r3 = ws[h + (i + 3) * n:h + (i + 3) * n + n]
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        for j in range(n):
            vj = vv[j]
            a0 += r0[j] * vj
            a1 += r1[j] * vj
            a2 += r2[j] * vj
            a3 += r3[j] * vj
        ws[out + i] = a0
        ws[out + i + 1] = a1
        ws[out + i + 2] = a2
        ws[out + i + 3] = a3
        i += 4
    while i < n:
        r0 = ws[h + i * n:h + i * n + n]
        acc = 0.0
        for j in range(n):
            acc += r0[j] * vv[j]
        ws[out + i] = acc
        i += 1


@jitable
def _start_search(ws, iws):
    """Set the direction p = -H g and start the line searches along it."""
    n = iws[W.N]
    o = _offsets(n)
    derphi0 = 0.0
    _matvec(ws, o.hk, o.gk, o.pk, n)
    for i in range(n):
        ws[o.pk + i] = -ws[o.pk + i]
    for i in range(n):
        derphi0 += ws[o.gk + i] * ws[o.pk + i]
    Q.start_search(ws, iws, o, derphi0, False)


@jitable
def _update_inverse_hessian(ws, n, hk, s, y, hy, v, rho):
    """H = (I - rho s y^T) H (I - rho y s^T) + rho s s^T, in O(n^2)."""
    _matvec(ws, hk, y, hy, n)
    yhy = 0.0
    for i in range(n):
        yhy += ws[y + i] * ws[hy + i]
    sv = ws[s:s + n]
    hyv = ws[hy:hy + n]
    if rho * yhy > _FACTORED:
        # W = H (I - rho y s^T) = H - (H y) s^T rho row by row, v = W^T y on the way;
        # then H = W - rho s v^T + rho s s^T. Each cancellation happens in one factor, as
        # in scipy's A1 @ H @ A2, so a badly scaled H is replaced accurately (with H = I
        # the products round as scipy's: in one dimension the same H, bit for bit).
        vv = ws[v:v + n]
        for j in range(n):
            vv[j] = 0.0
        for i in range(n):
            hyi, yi = hyv[i], ws[y + i]
            row = ws[hk + i * n:hk + i * n + n]
            for j in range(n):
                row[j] -= (hyi * sv[j]) * rho
                vv[j] += yi * row[j]
        for i in range(n):
            rs = rho * sv[i]
            row = ws[hk + i * n:hk + i * n + n]
            for j in range(n):
                row[j] = (row[j] - rs * vv[j]) + rs * sv[j]
        return
    c = rho * rho * yhy + rho
    for i in range(n):
        si, hyi = sv[i], hyv[i]
        row = ws[hk + i * n:hk + i * n + n]
        for j in range(n):
            row[j] += c * si * sv[j] - rho * (si * hyv[j] + hyi * sv[j])


def step(ws, iws, f):
    o = _offsets(iws[W.N])
    if Q.receive(ws, iws, o, f):
        _consume(ws, iws, f)
        while Q.again(ws, iws, o):
            _consume(ws, iws, ws[_F.fl])


@standalone
def _consume(ws, iws, f):
    """One evaluation's worth of work: f, and the gradient at gt, at the trial point."""
    n = iws[W.N]
    o = _offsets(n)
    if iws[_I.phase] == Q.INITIAL:
        ws[W.FR] = f
        g2 = 0.0
        for i in range(n):
            ws[o.gk + i] = ws[o.gt + i]
            g2 += ws[o.gk + i] * ws[o.gk + i]
        ws[_F.old_fval] = f + math.sqrt(g2) / 2
        gnorm = vecnorm(ws, o.gk, n, ws[_F.norm])
        if gnorm <= ws[_F.gtol]:
            W.finish(iws, R.CONVERGED)
        elif gnorm != gnorm:
            W.finish(iws, R.NAN_RESULT)
        elif iws[_I.maxiter] <= 0:
            W.finish(iws, R.MAXITER)
        else:
            _start_search(ws, iws)
        return

    # A trial point of the line search.
    derphi = 0.0
    for i in range(n):
        derphi += ws[o.gt + i] * ws[o.pk + i]
    if iws[_I.phase] == Q.SEARCH:
        stp, task = dcsrch_step(ws[o.ls:o.ls + LS_SIZE], f, derphi)
        if task == FG:
            Q.request(ws, iws, o, stp, Q.SEARCH)
            return
        if task != CONVERGENCE:
            Q.start_wolfe2(ws, iws, o, False)
            return
    else:
        stp, task = wolfe2_step(ws[o.l2:o.l2 + W2_SIZE], f, derphi)
        if task == FG:
            Q.request(ws, iws, o, stp, Q.SEARCH2)
            return
        if not has_step(task):
            W.finish(iws, R.PRECISION_LOSS)
            return
        # CONVERGENCE, or (as scipy) the last step of a search that ran out of iterations

    # Accept the step: s = stp * p, x += s, y = g_new - g.
    iws[W.NIT] += 1
    ws[_F.old_fval] = ws[_F.phi0]
    ws[W.FR] = f
    sy = 0.0
    s2 = 0.0
    x2 = 0.0
    for i in range(n):
        s_i = stp * ws[o.pk + i]
        y_i = ws[o.gt + i] - ws[o.gk + i]
        ws[o.xk + i] = ws[o.xk + i] + s_i
        ws[o.pk + i] = s_i
        ws[o.yk + i] = y_i
        ws[o.gk + i] = ws[o.gt + i]
        sy += y_i * s_i
        s2 += s_i * s_i
        x2 += ws[o.xk + i] * ws[o.xk + i]
    gnorm = vecnorm(ws, o.gk, n, ws[_F.norm])
    xrtol = ws[_F.xrtol]
    if gnorm <= ws[_F.gtol] or math.sqrt(s2) <= xrtol * (xrtol + math.sqrt(x2)):
        W.finish(iws, R.CONVERGED)
        return
    if not math.isfinite(f):
        W.finish(iws, R.PRECISION_LOSS)
        return
    rho = 1000.0 if sy == 0.0 else 1.0 / sy
    _update_inverse_hessian(ws, n, o.hk, o.pk, o.yk, o.xt, o.hv, rho)
    if iws[W.NIT] >= iws[_I.maxiter]:
        W.finish(iws, R.MAXITER)
    elif gnorm != gnorm:
        W.finish(iws, R.NAN_RESULT)
    else:
        _start_search(ws, iws)


def _pack(o, n, lower, upper):
    gtol, norm, xrtol, c1, c2 = (real_option(o[k], k, "BFGS")
                                 for k in ("gtol", "norm", "xrtol", "c1", "c2"))
    if not (0 < c1 < c2 < 1):   # scipy's line searches raise this
        raise ValueError("'c1' and 'c2' do not satisfy'0 < c1 < c2 < 1'.")
    maxiter = 200 * n if o["maxiter"] is None else count_option(o["maxiter"], "maxiter", "BFGS")
    h0 = _hess_inv0(o["hess_inv0"], n)
    fopts = np.array([gtol, norm, xrtol, c1, c2, h0 is not None], dtype=np.float64)
    if h0 is not None:
        fopts = np.concatenate([fopts, h0.ravel()])
    return fopts, np.array([maxiter], dtype=np.int64)


def _hess_inv0(h0, n):
    """scipy's check of ``hess_inv0``: a symmetric positive definite (n, n) matrix."""
    if h0 is None:
        return None
    h0 = np.asarray(h0, dtype=np.float64)
    if h0.shape != (n, n):
        raise ValueError(f"'hess_inv0' must have shape ({n}, {n}), got {h0.shape}")
    try:
        ok = np.array_equal(h0, h0.T) and np.linalg.cholesky(h0) is not None
    except np.linalg.LinAlgError:
        ok = False
    if not ok:
        raise ValueError("'hess_inv0' matrix isn't positive definite.")
    return h0


def extras(ws, iws, n, dtype):
    """scipy's extra result field: ``hess_inv``, the final inverse-Hessian estimate."""
    hk = _offsets(n).hk
    return {"hess_inv": ws[hk:hk + n * n].reshape(n, n).copy()}


METHOD = Method(
    name="BFGS", reference="scipy.optimize._optimize._minimize_bfgs",
    options=(
        Option("gtol", "real", 1e-5,
               "Stop when the `norm` of the gradient is at most `gtol`.", tol=True),
        Option("norm", "real", np.inf,
               "Order of the gradient norm (`inf`: the largest absolute value)."),
        Option("maxiter", "count", None, "Maximum number of iterations (`None`: `200 * n`)."),
        Option("xrtol", "real", 0.0,
               "Stop when the step is at most `xrtol * (xrtol + norm(x))`."),
        Option("c1", "real", 1e-4,
               "Wolfe conditions' sufficient-decrease parameter, `0 < c1 < c2 < 1`."),
        Option("c2", "real", 0.9, "Wolfe conditions' curvature parameter, `0 < c1 < c2 < 1`."),
        Option("eps", "step", SQRT_EPS, "Absolute finite-difference step with `jac=None` (a "
               "scalar or one per variable)."),
        DISP, RETURN_ALL, FINITE_DIFF_REL_STEP,
        Option("hess_inv0", "array", None, "Initial inverse Hessian: a symmetric positive "
               "definite `(n, n)` matrix (`None`: the identity)."),
        WORKERS,
    ),
    pack=_pack, module=sys.modules[__name__], sizes=sizes, init=init, step=step,
    extras=extras, fd_options=True, reporting=Reporting(warning=OptimizeWarning),
)
