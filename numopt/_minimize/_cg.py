"""Nonlinear conjugate gradients, as ``scipy.optimize.minimize(method="CG")``.

scipy 1.17 ``_minimize_cg``: Polak-Ribière with the "+" restart (Powell's
``beta >= 0``), and a sufficient-descent test on every step the line search proposes, as
a reverse-communication state machine over the workspace of :mod:`._workspace` (each
``step`` consumes one evaluation). From :math:`x_k` with gradient :math:`g_k` and
direction :math:`p_k` (:math:`p_0 = -g_0`), a step :math:`\\alpha` is accepted when it
satisfies the strong Wolfe conditions (``c1``, ``c2``) and, with

.. math::
    \\beta = \\max\\Big(0, \\frac{(g_{k+1} - g_k)^T g_{k+1}}{g_k^T g_k}\\Big), \\qquad
    p_{k+1} = -g_{k+1} + \\beta p_k,

either :math:`\\|g_{k+1}\\| \\le` ``gtol`` or :math:`p_{k+1}^T g_{k+1} \\le -0.01\\,
g_{k+1}^T g_{k+1}` (Gilbert and Nocedal's sufficient descent, which strong Wolfe alone
does not give Polak-Ribière+).

The line search is scipy's ``_line_search_wolfe12``: Moré-Thuente (:mod:`._linesearch`,
``amin=1e-100``, ``amax=1e100``, ``xtol=1e-14``); if it fails, or its step fails the
descent test, scipy's second search, ``line_search_wolfe2`` (:mod:`._wolfe2`, with
``amax=1e100``), which asks for the descent test at each step where strong Wolfe holds.
If both fail the run stops with "precision loss" (status 2). When the second search
runs out of iterations scipy takes its last step untested, and so does this.

Options
-------
gtol : float, default 1e-5
    Stop when the ``norm`` of the gradient is at most ``gtol``.
norm : float, default inf
    Order of the norm (``inf`` is the largest absolute value).
maxiter : int, default 200 * n
    Maximum number of iterations.
c1, c2 : float, default 1e-4 and 0.4
    Sufficient decrease and curvature parameters of the line searches,
    ``0 < c1 < c2 < 1`` (else ``ValueError``, scipy's message).

eps : float or array, default 1.49e-8
    Absolute finite-difference step with ``jac=None``.
finite_diff_rel_step : float or array, optional
    Relative step with ``jac="2-point"``, ``"3-point"`` or ``"cs"``.

``return_all`` adds scipy's ``allvecs`` and ``disp`` gives scipy's warning or message
(both handled by ``minimize``'s front door); ``workers`` is accepted and ignored.

Notes
-----
Statuses follow scipy's order of tests: 2 if the line searches failed; else 1 if
``maxiter`` iterations were made (even if the last one converged); else 3 if the gradient
norm, f or x is NaN; else 0. An objective that returns NaN or -inf (or +inf at x0) stops
the run (reason ``NONFINITE``, status 5) at the best point evaluated (a trial point of the
line search if it was lower than the iterate), with the value returned there (at x0: the
NaN or inf itself), where scipy's line searches would go on. +inf at a trial point is a
value the line searches back away from, as in scipy; a run that then fails ends the same
way (status 5 at the best point evaluated) where scipy reports "precision loss" at its
last iterate.

Counting as scipy does: scipy evaluates through a ``ScalarFunction`` that remembers the last
point; a trial point equal to the point evaluated last (typically the second search starting
where the first one ended) is not evaluated again, here either. ``nfev`` is therefore
scipy's; ``njev`` equals ``nfev`` (every evaluation gives f and g), where scipy's is smaller
when its second search evaluated f alone.

Dot products on the CPU are ``np.dot``'s own (:func:`_dot`: numba calls the BLAS
``ddot`` that scipy ships, whose kernel OpenBLAS picks for the CPU as numpy's does), so
that the iterates agree with scipy's bit for bit whatever the CPU (on every MGH problem
here: same x, nit and nfev). A GPU has no BLAS: there the sums follow OpenBLAS's AVX-512
kernel (:func:`_dot_model`), and only their last bits can differ from the CPU's. A ``norm`` other than +-inf sums ``|g|^norm`` in order, where numpy sums pairwise.

References
----------
J. C. Gilbert and J. Nocedal, "Global convergence properties of conjugate gradient methods
for optimization", SIAM J. Optim. 2 (1992) 21-42.
"""
import math
import sys

import numpy as np
from numba.extending import overload, register_jitable
from scipy.optimize import OptimizeWarning

from . import _quasi_newton as Q
from . import _reasons as R
from . import _workspace as W
from ._vector import vecnorm
from ._linesearch import CONVERGENCE, FG, LS_SIZE, dcsrch_step
from ._finite_diff import SQRT_EPS
from ._registry import (DISP, FINITE_DIFF_REL_STEP, RETURN_ALL, WORKERS, Method, Option,
                        Reporting, count_option, real_option)
from ._wolfe2 import CHECK, W2_SIZE, fma, has_step, wolfe2_check, wolfe2_step

# Option arrays given to init (copied into the workspace).
GTOL, NORM, C1, C2 = range(4)      # fopts
MAXITER = 0                         # iopts

_SIGMA3 = 0.01      # scipy's sufficient-descent constant

LAYOUT = Q.layout(
    "cg",
    floats=("deltak",       # g_k . g_k
            "gnorm"),       # norm of g_k
    arrays=(("yk", "n"),    # gradient change g_new - g_k
            ("pn", "n")),   # candidate direction -g_new + beta p_k
)
_I, _F, _offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets


def layout_params(n, fopts=None, iopts=None):
    """The parameters of :data:`LAYOUT` for ``n`` variables (the options do not matter)."""
    return (n,)


def sizes(n, fopts=None, iopts=None):
    """Lengths of ``ws`` and ``iws`` for ``n`` variables (the options do not matter)."""
    return LAYOUT.sizes(n)


@register_jitable
def _dot_lane(ws, a, b, j, n16, n32):
    """Lane j (0-3) of OpenBLAS's 256-bit accumulator after its four registers are added."""
    acc = 0.0
    for k in range(4):
        lo = 0.0        # the 512-bit lanes 8k + j and 8k + j + 4, folded together
        hi = 0.0
        for i in range(8 * k + j, n32, 32):
            lo = fma(ws[a + i], ws[b + i], lo)
            hi = fma(ws[a + i + 4], ws[b + i + 4], hi)
        ak = lo + hi
        for i in range(n32 + 4 * k + j, n16, 16):
            ak = fma(ws[a + i], ws[b + i], ak)
        acc = ak if k == 0 else acc + ak
    return acc


def _dot(ws, a, b, n):
    """``np.dot(ws[a:a+n], ws[b:b+n])``. On the CPU, numpy's own (through numba's BLAS
    ``ddot``: summed in the order of the kernel OpenBLAS picks for this CPU, which no
    model of one kernel matches on every CPU); elsewhere (CUDA device code)
    :func:`_dot_model`. This body runs on numba's CUDA simulator."""
    return float(np.dot(ws[a:a + n], ws[b:b + n]))


@overload(_dot, target="cpu", jit_options={"no_cpython_wrapper": True})
def _dot_cpu(ws, a, b, n):
    def impl(ws, a, b, n):
        return np.dot(ws[a:a + n], ws[b:b + n])
    return impl


@overload(_dot, target="generic")
def _dot_generic(ws, a, b, n):
    return _dot_model


@register_jitable
def _dot_model(ws, a, b, n):
    """``np.dot(ws[a:a+n], ws[b:b+n])`` in the order OpenBLAS's SkylakeX ``ddot`` sums it.

    That kernel (``ddot_microk_skylakex-2.c``, single-threaded below 10000 elements) runs
    over the first ``n & -16`` elements with fused multiply-adds into 32 lanes (4 AVX-512
    accumulators, 32 elements per round), folds them into 16 lanes, adds one more
    16-element round if there is one, and reduces; the rest is a sequential fused
    multiply-add (so for n < 16 the whole sum is). Each lane is an independent chain,
    computed here one after the other.
    """
    n16 = n & -16
    n32 = n16 & -32
    s = 0.0
    if n16:
        s = ((_dot_lane(ws, a, b, 0, n16, n32) + _dot_lane(ws, a, b, 2, n16, n32))
             + (_dot_lane(ws, a, b, 1, n16, n32) + _dot_lane(ws, a, b, 3, n16, n32)))
    for i in range(n16, n):
        s = fma(ws[b + i], ws[a + i], s)
    return s


def init(ws, iws, x0, fopts, iopts):
    Q.start(ws, iws, _offsets(x0.size), x0, fopts[GTOL], fopts[NORM], fopts[C1], fopts[C2],
            iopts[MAXITER])


@register_jitable
def _new_direction(ws, n):
    """scipy's ``polak_ribiere_powell_step`` for the gradient at gt: pn = -g_new + beta p_k
    with beta = max(0, (g_new - g_k) . g_new / (g_k . g_k))."""
    o = _offsets(n)
    for i in range(n):
        ws[o.yk + i] = ws[o.gt + i] - ws[o.gk + i]
    beta = _dot(ws, o.yk, o.gt, n) / ws[_F.deltak]
    beta = beta if beta > 0 else 0.0     # Python's max(0, beta): 0 for NaN too
    for i in range(n):
        ws[o.pn + i] = -ws[o.gt + i] + beta * ws[o.pk + i]


@register_jitable
def _descent_condition(ws, iws, stp):
    """scipy's ``descent_condition`` for the step whose gradient is at gt."""
    n = iws[W.N]
    o = _offsets(n)
    _new_direction(ws, n)
    if vecnorm(ws, o.gt, n, ws[_F.norm]) <= ws[_F.gtol]:
        return True
    return _dot(ws, o.pn, o.gt, n) <= -_SIGMA3 * _dot(ws, o.gt, o.gt, n)


@register_jitable
def _terminate(ws, iws):
    """The loop has ended without a line search failure: scipy's statuses, in its order."""
    n = iws[W.N]
    if iws[W.NIT] >= iws[_I.maxiter]:
        W.finish(iws, R.MAXITER)
        return
    nan = ws[_F.gnorm] != ws[_F.gnorm] or ws[W.FR] != ws[W.FR]
    xk = _offsets(n).xk
    for i in range(n):
        nan = nan or ws[xk + i] != ws[xk + i]
    W.finish(iws, R.NAN_RESULT if nan else R.CONVERGED)


@register_jitable
def _iterate(ws, iws):
    """scipy's loop test, then the start of an iteration: the first line search."""
    if not (ws[_F.gnorm] > ws[_F.gtol] and iws[W.NIT] < iws[_I.maxiter]):
        _terminate(ws, iws)
        return
    n = iws[W.N]
    o = _offsets(n)
    ws[_F.deltak] = _dot(ws, o.gk, o.gk, n)
    Q.start_search(ws, iws, o, _dot(ws, o.gk, o.pk, n), True)


@register_jitable
def _accept(ws, iws, stp, f):
    """Take the step: x += stp p, the new direction, and the next iteration."""
    n = iws[W.N]
    o = _offsets(n)
    _new_direction(ws, n)
    for i in range(n):
        ws[o.xk + i] = ws[o.xk + i] + stp * ws[o.pk + i]
        ws[o.pk + i] = ws[o.pn + i]
        ws[o.gk + i] = ws[o.gt + i]
    iws[W.NIT] += 1
    ws[_F.old_fval] = ws[_F.phi0]
    ws[W.FR] = f
    ws[_F.gnorm] = vecnorm(ws, o.gk, n, ws[_F.norm])
    _iterate(ws, iws)


@register_jitable
def _consume(ws, iws, f):
    """One evaluation's worth of work: f, and the gradient at gt, at the trial point."""
    n = iws[W.N]
    o = _offsets(n)
    phase = iws[_I.phase]
    if phase == Q.INITIAL:
        ws[W.FR] = f
        for i in range(n):
            ws[o.gk + i] = ws[o.gt + i]
            ws[o.pk + i] = -ws[o.gt + i]
        # dx ~ 1 for the first step
        ws[_F.old_fval] = f + math.sqrt(_dot(ws, o.gk, o.gk, n)) / 2
        ws[_F.gnorm] = vecnorm(ws, o.gk, n, ws[_F.norm])
        _iterate(ws, iws)
        return
    derphi = _dot(ws, o.gt, o.pk, n)
    if phase == Q.SEARCH:
        stp, task = dcsrch_step(ws[o.ls:o.ls + LS_SIZE], f, derphi)
        if task == FG:
            Q.request(ws, iws, o, stp, Q.SEARCH)
        elif task == CONVERGENCE and _descent_condition(ws, iws, stp):
            _accept(ws, iws, stp, f)
        else:
            Q.start_wolfe2(ws, iws, o, True)
        return
    stp, task = wolfe2_step(ws[o.l2:o.l2 + W2_SIZE], f, derphi)
    if task == CHECK:
        stp, task = wolfe2_check(ws[o.l2:o.l2 + W2_SIZE], _descent_condition(ws, iws, stp))
    if task == FG:
        Q.request(ws, iws, o, stp, Q.SEARCH2)
    elif has_step(task):
        _accept(ws, iws, stp, f)
    else:
        W.finish(iws, R.PRECISION_LOSS)


def step(ws, iws, f):
    o = _offsets(iws[W.N])
    if Q.receive(ws, iws, o, f):
        _consume(ws, iws, f)
        while Q.again(ws, iws, o):
            _consume(ws, iws, ws[_F.fl])


def _pack(o, n, lower, upper):
    gtol, norm, c1, c2 = (real_option(o[k], k, "CG") for k in ("gtol", "norm", "c1", "c2"))
    if not (0 < c1 < c2 < 1):
        raise ValueError("'c1' and 'c2' do not satisfy'0 < c1 < c2 < 1'.")
    maxiter = 200 * n if o["maxiter"] is None else count_option(o["maxiter"], "maxiter", "CG")
    fopts = np.array([gtol, norm, c1, c2], dtype=np.float64)
    return fopts, np.array([maxiter], dtype=np.int64)


METHOD = Method(
    name="CG", reference="scipy.optimize._optimize._minimize_cg",
    options=(
        Option("gtol", "real", 1e-5,
               "Stop when the `norm` of the gradient is at most `gtol`.", tol=True),
        Option("norm", "real", np.inf,
               "Order of the gradient norm (`inf`: the largest absolute value)."),
        Option("maxiter", "count", None, "Maximum number of iterations (`None`: `200 * n`)."),
        Option("c1", "real", 1e-4,
               "Wolfe conditions' sufficient-decrease parameter, `0 < c1 < c2 < 1`."),
        Option("c2", "real", 0.4, "Wolfe conditions' curvature parameter, `0 < c1 < c2 < 1`."),
        Option("eps", "step", SQRT_EPS, "Absolute finite-difference step with `jac=None` (a "
               "scalar or one per variable)."),
        DISP, RETURN_ALL, FINITE_DIFF_REL_STEP, WORKERS,
    ),
    pack=_pack, module=sys.modules[__name__], sizes=sizes, init=init, step=step,
    fd_options=True, reporting=Reporting(warning=OptimizeWarning),
)
