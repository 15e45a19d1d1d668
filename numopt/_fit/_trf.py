"""Trust Region Reflective, as scipy's ``least_squares(method="trf", tr_solver="exact")``.

A reverse-communication state machine over a flat workspace, with the header and tasks
of :mod:`._lm` (``RESIDUALS`` = ``W.EVALUATE``, ``JACOBIAN``, ``DONE``; the Jacobian at
``iws[JAC]``, column-major; ``JAC`` and ``M`` are the same slots as :mod:`._lm`'s, so
one driver loop runs either machine). ``init(ws, iws, x0, m, fopts, iopts)`` asks for
r(x0); ``step(ws, iws)`` consumes what was asked for and makes the next request.

The iterations are scipy 1.17's ``_lsq/trf.py`` in its order of operations:
``trf_no_bounds`` when every bound is infinite, ``trf_bounds`` otherwise (Coleman-Li
scaling ``v``, the augmented Jacobian ``[J D; diag(C)**0.5]``, ``theta = max(0.995,
1 - g_norm)``, ``select_step`` among the reflected, the truncated trust-region and the
Cauchy steps, ``make_strictly_feasible``), the exact subproblem by one SVD per
Jacobian (``solve_lsq_trust_region``), ``update_tr_radius`` and ``check_termination``.
Robust losses are :mod:`._losses`; ``x_scale`` is an array (``fopts``) or ``"jac"``
(``compute_jac_scale``, updated at every Jacobian).

Where the Jacobian comes from (``iopts[JAC_MODE]``): ``USER`` (the driver, counted in
``njev``), or ``TWO_POINT``/``THREE_POINT``: scipy's ``approx_derivative`` with its
steps, ``diff_step`` and its adjustment to the bounds (``_adjust_scheme_to_bounds``:
one-sided or shortened steps near a bound), requested as residual evaluations that do
not count in ``nfev``. As in scipy's trf, ``njev`` counts every Jacobian, differences
included.

Rounding: scipy's arithmetic is numpy's (BLAS ``ddot``/``dgemv``, pairwise sums, SIMD
powers); here dots and matrix-vector products go to BLAS through numba and sums are
numpy's pairwise ones, the SVD is the same LAPACK ``dgesdd``; the iterates agree with
scipy's to a few rounding units per step (see ``tests/fit/test_trf.py``).

The parts of an iteration (``_outer``, ``_ask_trial``, ``_trial``, ``_take_jacobian``)
return the part that follows instead of calling it, since numba compiles no mutual
recursion; the larger ones are :func:`~numopt._minimize._standalone.standalone` helpers,
compiled once (cold compile of ``step`` 16 s instead of 27 s).

Termination: ``iws[W.REASON]`` is ``REASON_BASE + status`` with scipy's status (0
``max_nfev``, 1 ``gtol``, 2 ``ftol``, 3 ``xtol``, 4 both), :data:`REASONS`.

References
----------
M. A. Branch, T. F. Coleman and Y. Li, "A Subspace, Interior, and Conjugate Gradient
Method for Large-Scale Bound-Constrained Minimization Problems", SIAM J. Sci. Comput.
21(1), 1999, 1-23.
"""
import math

import numpy as np

from .._minimize import _workspace as W
from .._minimize._layout import Layout
from .._minimize import _reasons
from .._minimize._standalone import jitable, standalone
from ._differences import scipy_step
from ._losses import LINEAR, loss_cost, loss_rho, pairwise_sum, scale_for_loss

__all__ = ["LAYOUT", "init", "step", "sizes", "REASONS", "REASON_BASE", "USER",
           "TWO_POINT", "THREE_POINT", "RESIDUALS", "JACOBIAN", "DONE", "JAC", "NJEV",
           "M", "active_offset", "OPTIMALITY", "COST", "STATUS"]

DONE = W.DONE
RESIDUALS = W.EVALUATE
JACOBIAN = 2

USER, TWO_POINT, THREE_POINT = 0, 1, 3     # as _lm's codes

# fopts: then lb (n), ub (n), x_scale (n). iopts as below.
FTOL, XTOL, GTOL, F_SCALE, DIFF_STEP = range(5)      # DIFF_STEP NaN: scipy's None
# scipy's relative steps of "2-point" and "3-point" (see numopt._fit._drive.relative_steps);
# then lb, ub and x_scale (n values each)
REL2, REL3, ARRAYS = 5, 6, 7
MAXFEV, JAC_MODE, LOSS, JAC_SCALE = range(4)

LAYOUT = Layout(
    "trf", params=("n", "m"),
    # "m" and "jac" first: the same slots as _lm's M and JAC
    ints=("m", "jac", "njev", "phase", "jac_mode", "bounded", "loss", "jac_scale",
          "maxfev", "col", "half", "status", "k"),
    floats=("ftol", "xtol", "gtol", "f_scale", "diff_step", "rel2", "rel3", "cost", "cost_new", "delta",
            "alpha", "g_norm", "theta", "pred", "step_h_norm", "actual", "dx", "half"),
    arrays=(("x", "n"), ("f", "m"), ("ftrue", "m"), ("fjac", "m * n"), ("jh", "m * n"),
            ("lb", "n"), ("ub", "n"), ("scale", "n"), ("scale_inv", "n"), ("g", "n"),
            ("v", "n"), ("dv", "n"), ("d", "n"), ("diag_h", "n"), ("g_h", "n"),
            ("uf", "n"), ("sv", "n"), ("vmat", "n * n"), ("xnew", "n"), ("fnew", "m"),
            ("stp", "n"), ("stph", "n"), ("xe", "n"), ("fd", "m"), ("fd2", "m"),
            ("h", "n"), ("rho0", "m"), ("rho1", "m"), ("rho2", "m")),
    int_arrays=(("one_sided", "n"), ("active", "n")),
)
_I, _F, _offsets, _int_offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets, LAYOUT.int_offsets
M, JAC, NJEV = _I.m, _I.jac, _I.njev
COST, OPTIMALITY, STATUS = _F.cost, _F.g_norm, _I.status


def active_offset(n, m):
    """Offset in ``iws`` of ``active_mask`` (n values, set at the end)."""
    return _int_offsets(n, m).active


# phases: what the pending request is for
_INITIAL, _JAC0, _JAC, _TRIAL = 0, 1, 2, 3

_EPS = float(np.finfo(np.float64).eps)
_NONE = -1      # no termination status yet
CALLBACK_STOP, NONFINITE = -2, -3   # numopt's statuses below scipy's (see finish)
# what comes next within a step: a request has been made, or a part of the loops
_ASKED, _OUTER, _INNER, _END = 0, 1, 2, 3

REASON_BASE = 50
REASONS = _reasons.group("TRF_")   # 50 + scipy's status; a callback's stop


def sizes(n, m):
    """Lengths ``(len(ws), len(iws))`` for n variables and m residuals."""
    return LAYOUT.sizes(n, m)


@jitable
def _vec(ws, at, k):
    return ws[at:at + k]


@jitable
def _norm(a):
    """numpy's ``norm(a)``: the root of ``a.a`` (not BLAS ``dnrm2``)."""
    return math.sqrt(np.dot(a, a))


@jitable
def _norm_inf(a):
    r = 0.0
    for i in range(a.size):
        t = abs(a[i])
        if t > r or t != t:
            r = t
    return r


def init(ws, iws, x0, m, fopts, iopts):
    """Set up the run from ``x0`` (n values, inside the bounds) and ask for r(x0).

    ``fopts``: ftol, xtol, gtol, f_scale, diff_step (NaN for none), then lb, ub and
    x_scale (n values each; x_scale unused with ``JAC_SCALE``). ``iopts``: max_nfev,
    the Jacobian source, the loss (:mod:`._losses`) and 1 for ``x_scale="jac"``.
    ``x0`` is moved strictly inside the bounds as scipy's ``least_squares`` does for
    trf (``make_strictly_feasible`` with ``rstep=1e-10``).
    """
    n = x0.size
    o = _offsets(n, m)
    iws[W.N] = n
    iws[M] = m
    iws[W.XR] = o.x
    iws[W.GR] = o.ftrue
    iws[JAC] = o.fjac
    iws[_I.maxfev] = iopts[MAXFEV]
    iws[_I.jac_mode] = iopts[JAC_MODE]
    iws[_I.loss] = iopts[LOSS]
    iws[_I.jac_scale] = iopts[JAC_SCALE]
    iws[_I.status] = _NONE
    iws[W.NIT] = 0
    iws[W.NFEV] = 0
    iws[NJEV] = 0
    ws[_F.ftol] = fopts[FTOL]
    ws[_F.xtol] = fopts[XTOL]
    ws[_F.gtol] = fopts[GTOL]
    ws[_F.f_scale] = fopts[F_SCALE]
    ws[_F.diff_step] = fopts[DIFF_STEP]
    ws[_F.rel2] = fopts[REL2]
    ws[_F.rel3] = fopts[REL3]
    ws[_F.half] = 0.5   # an exponent LLVM cannot see (see _solve_lsq_trust_region)
    bounded = 0
    for j in range(n):
        lb = fopts[ARRAYS + j]
        ub = fopts[ARRAYS + n + j]
        ws[o.lb + j] = lb
        ws[o.ub + j] = ub
        ws[o.scale + j] = fopts[ARRAYS + 2 * n + j]
        if lb != -np.inf or ub != np.inf:
            bounded = 1
    iws[_I.bounded] = bounded
    x = _vec(ws, o.x, n)
    x[:] = x0
    if bounded:
        _make_strictly_feasible(x, _vec(ws, o.lb, n), _vec(ws, o.ub, n), 1e-10)
    iws[_I.phase] = _INITIAL
    _ask_residuals(iws, o.x, o.ftrue)


@jitable
def _ask_residuals(iws, x, out):
    iws[W.X] = x
    iws[W.G] = out
    iws[W.TASK] = RESIDUALS


# --- bounds (scipy _lsq/common.py) ---------------------------------------------------

@jitable
def _find_active(x, lb, ub, rtol, active):
    """scipy's ``find_active_constraints``: -1 at a lower bound, 1 at an upper one."""
    for i in range(x.size):
        a = 0
        if rtol == 0.0:
            if x[i] <= lb[i]:
                a = -1
            if x[i] >= ub[i]:
                a = 1
        else:
            lower = x[i] - lb[i]
            upper = ub[i] - x[i]
            lt = rtol * max(1.0, abs(lb[i]))
            ut = rtol * max(1.0, abs(ub[i]))
            if np.isfinite(lb[i]) and lower <= min(upper, lt):
                a = -1
            if np.isfinite(ub[i]) and upper <= min(lower, ut):
                a = 1
        active[i] = a


@jitable
def _make_strictly_feasible(x, lb, ub, rstep):
    """scipy's ``make_strictly_feasible``, in place."""
    n = x.size
    active = np.empty(n, dtype=np.int64)
    _find_active(x, lb, ub, rstep, active)
    for i in range(n):
        if active[i] == -1:
            if rstep == 0.0:
                x[i] = np.nextafter(lb[i], ub[i])
            else:
                x[i] = lb[i] + rstep * max(1.0, abs(lb[i]))
        elif active[i] == 1:
            if rstep == 0.0:
                x[i] = np.nextafter(ub[i], lb[i])
            else:
                x[i] = ub[i] - rstep * max(1.0, abs(ub[i]))
        if x[i] < lb[i] or x[i] > ub[i]:
            x[i] = 0.5 * (lb[i] + ub[i])


@jitable
def _cl_scaling(x, g, lb, ub, v, dv):
    """scipy's ``CL_scaling_vector``: Coleman-Li's ``v`` and its derivative ``dv``."""
    for i in range(x.size):
        v[i] = 1.0
        dv[i] = 0.0
        if g[i] < 0.0 and np.isfinite(ub[i]):
            v[i] = ub[i] - x[i]
            dv[i] = -1.0
        if g[i] > 0.0 and np.isfinite(lb[i]):
            v[i] = x[i] - lb[i]
            dv[i] = 1.0


@jitable
def _in_bounds(x, lb, ub):
    for i in range(x.size):
        if not (x[i] >= lb[i] and x[i] <= ub[i]):
            return False
    return True


@jitable
def _step_to_bound(x, s, lb, ub, hits):
    """scipy's ``step_size_to_bound``: the least t >= 0 putting ``x + t s`` on a bound,
    and in ``hits`` the variables that reach it (-1 lower, 1 upper, 0 none)."""
    n = x.size
    steps = np.full(n, np.inf)
    for i in range(n):
        if s[i] != 0.0:
            steps[i] = max((lb[i] - x[i]) / s[i], (ub[i] - x[i]) / s[i])
    t = np.min(steps)
    for i in range(n):
        sg = 0
        if s[i] > 0.0:
            sg = 1
        elif s[i] < 0.0:
            sg = -1
        hits[i] = sg if steps[i] == t else 0
    return t


@jitable
def _intersect_trust_region(x, s, delta):
    """scipy's ``intersect_trust_region``: the roots t of ``||x + t s|| = delta``."""
    a = np.dot(s, s)
    b = np.dot(x, s)
    c = np.dot(x, x) - delta * delta
    d = math.sqrt(b * b - a * c)
    q = -(b + math.copysign(d, b))
    t1 = q / a
    t2 = c / q
    if t1 < t2:
        return t1, t2
    return t2, t1


# --- quadratic models ----------------------------------------------------------------

@jitable
def _evaluate_quadratic(Jh, g, s, diag, use_diag):
    """scipy's ``evaluate_quadratic``: ``0.5 s (J^T J + diag) s + g s``."""
    Js = np.dot(Jh, s)
    q = np.dot(Js, Js)
    if use_diag:
        q += np.dot(s * diag, s)
    return 0.5 * q + np.dot(s, g)


@jitable
def _build_quadratic_1d(Jh, g, s, diag, s0, use_s0):
    """scipy's ``build_quadratic_1d`` (with ``diag``): ``a t**2 + b t + c`` along s."""
    v = np.dot(Jh, s)
    a = np.dot(v, v)
    a += np.dot(s * diag, s)
    a *= 0.5
    b = np.dot(g, s)
    c = 0.0
    if use_s0:
        u = np.dot(Jh, s0)
        b += np.dot(u, v)
        c = 0.5 * np.dot(u, u) + np.dot(g, s0)
        b += np.dot(s0 * diag, s)
        c += 0.5 * np.dot(s0 * diag, s0)
    return a, b, c


@jitable
def _minimize_quadratic_1d(a, b, lb, ub, c):
    """scipy's ``minimize_quadratic_1d``: the least of ``t (a t + b) + c`` on [lb, ub]
    (the first of lb, ub and the vertex, in that order, on ties)."""
    tb = lb
    yb = lb * (a * lb + b) + c
    y = ub * (a * ub + b) + c
    if y < yb:
        tb, yb = ub, y
    if a != 0.0:
        e = -0.5 * b / a
        if lb < e < ub:
            y = e * (a * e + b) + c
            if y < yb:
                tb, yb = e, y
    return tb, yb


# --- the trust-region subproblem -----------------------------------------------------

@jitable
def _phi(alpha, suf, s, delta):
    denom = s * s + alpha
    p = suf / denom
    p_norm = _norm(p)
    phi = p_norm - delta
    # numpy's denom**3 is its SIMD pow; libm's pow agrees with it more often than
    # two products do (95% against 74% of random values).
    t = suf * suf / denom ** 3.0
    return phi, -pairwise_sum(t) / p_norm


@jitable
def _solve_lsq_trust_region(n, m, uf, s, V, delta, alpha, half):
    """scipy's ``solve_lsq_trust_region`` (More 1977 by one SVD ``J = U S V^T``):
    ``(p, alpha)`` with ``(J^T J + alpha I) p = -J^T f`` and ``||p|| <= delta``.

    scipy's ``(alpha_lower * alpha_upper)**0.5`` is numpy's scalar power, libm's
    ``pow``, which is not always the square root rounded; ``half`` is 0.5 read from
    the workspace, so that LLVM does not turn the power into ``sqrt``."""
    suf = s * uf
    full_rank = False
    if m >= n:
        full_rank = s[s.size - 1] > _EPS * m * s[0]
    if full_rank:
        p = -np.dot(V, uf / s)
        if _norm(p) <= delta:
            return p, 0.0
    alpha_upper = _norm(suf) / delta
    alpha_lower = 0.0
    if full_rank:
        phi, phi_prime = _phi(0.0, suf, s, delta)
        alpha_lower = -phi / phi_prime
    if not full_rank and alpha == 0.0:
        alpha = max(0.001 * alpha_upper, (alpha_lower * alpha_upper) ** half)
    for _ in range(10):
        if alpha < alpha_lower or alpha > alpha_upper:
            alpha = max(0.001 * alpha_upper, (alpha_lower * alpha_upper) ** half)
        phi, phi_prime = _phi(alpha, suf, s, delta)
        if phi < 0.0:
            alpha_upper = alpha
        ratio = phi / phi_prime
        alpha_lower = max(alpha_lower, alpha - ratio)
        alpha -= (phi + delta) * ratio / delta
        if abs(phi) < 0.01 * delta:
            break
    p = -np.dot(V, suf / (s * s + alpha))
    p *= delta / _norm(p)
    return p, alpha


@jitable
def _select_step(x, Jh, diag_h, g_h, p, p_h, d, delta, lb, ub, theta):
    """scipy's ``select_step``: the best of the trust-region step cut back to the
    bounds, its reflection and the Cauchy step; ``(step, step_h, -model value)``."""
    n = x.size
    xp = x + p
    if _in_bounds(xp, lb, ub):
        return p, p_h, -_evaluate_quadratic(Jh, g_h, p_h, diag_h, True)
    hits = np.empty(n, dtype=np.int64)
    p_stride = _step_to_bound(x, p, lb, ub, hits)
    r_h = p_h.copy()
    for i in range(n):
        if hits[i] != 0:
            r_h[i] = -r_h[i]
    r = d * r_h
    p = p * p_stride
    p_h = p_h * p_stride
    x_on_bound = x + p
    to_tr = _intersect_trust_region(p_h, r_h, delta)[1]
    to_bound = _step_to_bound(x_on_bound, r, lb, ub, hits)
    r_stride = min(to_bound, to_tr)
    if r_stride > 0:
        r_stride_l = (1 - theta) * p_stride / r_stride
        if r_stride == to_bound:
            r_stride_u = theta * to_bound
        else:
            r_stride_u = to_tr
    else:
        r_stride_l = 0.0
        r_stride_u = -1.0
    if r_stride_l <= r_stride_u:
        a, b, c = _build_quadratic_1d(Jh, g_h, r_h, diag_h, p_h, True)
        r_stride, r_value = _minimize_quadratic_1d(a, b, r_stride_l, r_stride_u, c)
        r_h = r_h * r_stride
        r_h += p_h
        r = r_h * d
    else:
        r_value = np.inf
    p = p * theta
    p_h = p_h * theta
    p_value = _evaluate_quadratic(Jh, g_h, p_h, diag_h, True)
    ag_h = -g_h
    ag = d * ag_h
    to_tr = delta / _norm(ag_h)
    to_bound = _step_to_bound(x, ag, lb, ub, hits)
    if to_bound < to_tr:
        ag_stride = theta * to_bound
    else:
        ag_stride = to_tr
    a, b, _ = _build_quadratic_1d(Jh, g_h, ag_h, diag_h, p_h, False)
    ag_stride, ag_value = _minimize_quadratic_1d(a, b, 0.0, ag_stride, 0.0)
    ag_h = ag_h * ag_stride
    ag = ag * ag_stride
    if p_value < r_value and p_value < ag_value:
        return p, p_h, -p_value
    if r_value < p_value and r_value < ag_value:
        return r, r_h, -r_value
    return ag, ag_h, -ag_value


# --- finite differences (scipy _numdiff.approx_derivative) ---------------------------

@jitable
def _fd_steps(ws, iws, o, n):
    """The steps ``h`` (and, for 3-point, the one-sided flags) at x: scipy's
    ``_compute_absolute_step`` and ``_adjust_scheme_to_bounds``."""
    io = _int_offsets(n, iws[M])
    three = iws[_I.jac_mode] == THREE_POINT
    eps = ws[_F.rel3] if three else ws[_F.rel2]
    rel = ws[_F.diff_step]
    for j in range(n):
        xj = ws[o.x + j]
        h = scipy_step(xj, rel, eps)
        one_sided = 0
        if iws[_I.bounded]:
            lower = xj - ws[o.lb + j]
            upper = ws[o.ub + j] - xj
            if three:
                h = abs(h)
                if not (lower >= h and upper >= h):
                    if upper >= lower:
                        h = min(h, 0.5 * upper)
                    else:
                        h = -min(h, 0.5 * lower)
                    one_sided = 1
                    min_dist = min(upper, lower)
                    if abs(h) <= min_dist:
                        h = min_dist
                        one_sided = 0
            else:
                xh = xj + h
                fitting = abs(h) <= max(lower, upper)
                if (xh < ws[o.lb + j] or xh > ws[o.ub + j]) and fitting:
                    h = -h
                if not fitting:
                    h = upper if upper >= lower else -lower
        ws[o.h + j] = h
        iws[io.one_sided + j] = one_sided


@jitable
def _ask_jacobian(ws, iws, phase):
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    iws[_I.phase] = phase
    if iws[_I.jac_mode] == USER:
        iws[W.X] = o.x
        iws[W.TASK] = JACOBIAN
        return
    _fd_steps(ws, iws, o, n)
    for j in range(n):
        ws[o.xe + j] = ws[o.x + j]
    iws[_I.col] = 0
    _ask_column(ws, iws, o, 0)


@jitable
def _ask_column(ws, iws, o, j):
    xj = ws[o.x + j]
    h = ws[o.h + j]
    iws[_I.half] = 0
    if iws[_I.jac_mode] == THREE_POINT:
        io = _int_offsets(iws[W.N], iws[M])
        # scipy's order: x - h then x + h, or (one-sided) x + h then x + 2h
        if iws[io.one_sided + j]:
            ws[o.xe + j] = xj + h
        else:
            ws[o.xe + j] = xj - h
        _ask_residuals(iws, o.xe, o.fd2)
        return
    ws[o.xe + j] = xj + h
    ws[_F.dx] = (xj + h) - xj
    _ask_residuals(iws, o.xe, o.fd)


@jitable
def _take_column(ws, iws, o, n, m):
    """Store a difference quotient; True once the Jacobian is complete."""
    j = iws[_I.col]
    c = o.fjac + j * m
    xj = ws[o.x + j]
    h = ws[o.h + j]
    if iws[_I.jac_mode] == THREE_POINT:
        io = _int_offsets(n, m)
        one_sided = iws[io.one_sided + j] != 0
        if iws[_I.half] == 0:
            iws[_I.half] = 1
            ws[o.xe + j] = xj + 2 * h if one_sided else xj + h
            _ask_residuals(iws, o.xe, o.fd)
            return False
        if one_sided:
            dx = (xj + 2 * h) - xj
            for i in range(m):
                ws[c + i] = ((-3.0 * ws[o.ftrue + i] + 4 * ws[o.fd2 + i])
                             - ws[o.fd + i]) / dx
        else:
            dx = (xj + h) - (xj - h)
            for i in range(m):
                ws[c + i] = (ws[o.fd + i] - ws[o.fd2 + i]) / dx
    else:
        dx = ws[_F.dx]
        for i in range(m):
            ws[c + i] = (ws[o.fd + i] - ws[o.ftrue + i]) / dx
    ws[o.xe + j] = xj
    j += 1
    if j < n:
        iws[_I.col] = j
        _ask_column(ws, iws, o, j)
        return False
    return True


# --- the iterations ------------------------------------------------------------------

def step(ws, iws):
    """Consume the evaluation asked for, and make the next request (or stop)."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    phase = iws[_I.phase]
    if phase == _INITIAL:
        iws[W.NFEV] = 1
        _ask_jacobian(ws, iws, _JAC0)
        return
    if phase == _TRIAL:
        _run(ws, iws, _trial(ws, iws))
        return
    if iws[_I.jac_mode] != USER and not _take_column(ws, iws, o, n, m):
        return
    iws[NJEV] += 1
    _take_jacobian(ws, iws, phase == _JAC0)
    if phase == _JAC:
        iws[W.NIT] += 1
    if not W.all_finite(ws, o.fjac, m * n):   # the SVD would fail on it
        ws[_F.g_norm] = math.nan   # no first-order optimality to report
        iws[_I.status] = NONFINITE
        finish(ws, iws)
        return
    _run(ws, iws, _OUTER)


@jitable
def _run(ws, iws, action):
    """Go through scipy's loops until the next request: each part returns the part
    that follows it (numba compiles no mutual recursion)."""
    while action != _ASKED:
        if action == _OUTER:
            action = _outer(ws, iws)
        elif action == _INNER:
            action = _inner(ws, iws)
        else:
            action = _end_outer(ws, iws)


@jitable
def _compute_jac_scale(ws, iws, o, n, m, first):
    """scipy's ``compute_jac_scale``: the column norms of J (numpy's column sums:
    sequential for a C-ordered callable Jacobian, pairwise for a difference one, which
    scipy builds transposed), at least the previous ones after the first."""
    col = np.empty(m)
    for j in range(n):
        c = o.fjac + j * m
        if iws[_I.jac_mode] == USER:
            t = 0.0
            for i in range(m):
                t += ws[c + i] * ws[c + i]
        else:
            for i in range(m):
                col[i] = ws[c + i] * ws[c + i]
            t = pairwise_sum(col)
        s = math.sqrt(t)
        if first:
            if s == 0.0:
                s = 1.0
        else:
            s = max(s, ws[o.scale_inv + j])
        ws[o.scale_inv + j] = s
        ws[o.scale + j] = 1 / s


@standalone
def _take_jacobian(ws, iws, first):
    """A new Jacobian at x: the loss's scaling of J and f, the gradient and (``"jac"``)
    the scale; at the first, the cost, the scale and the first radius."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    f = _vec(ws, o.f, m)
    ftrue = _vec(ws, o.ftrue, m)
    f[:] = ftrue
    loss = iws[_I.loss]
    if loss != LINEAR:
        rho0 = _vec(ws, o.rho0, m)
        rho1 = _vec(ws, o.rho1, m)
        rho2 = _vec(ws, o.rho2, m)
        loss_rho(loss, ws[_F.f_scale], f, rho0, rho1, rho2)
        if first:
            ws[_F.cost] = 0.5 * pairwise_sum(rho0)
        scale_for_loss(_vec(ws, o.fjac, m * n), m, n, f, rho1, rho2)
    elif first:
        ws[_F.cost] = 0.5 * np.dot(f, f)
    g = _vec(ws, o.g, n)
    if iws[_I.jac_mode] == USER:
        # scipy's J.T.dot(f) with J as the callable returned it, row-major: the
        # transpose of such a copy (in jh, free until the SVD) takes BLAS's same kernel
        Jc = _vec(ws, o.jh, m * n).reshape((m, n))
        Jc[:] = _vec(ws, o.fjac, m * n).reshape((n, m)).T
        g[:] = np.dot(Jc.T, f)
    else:
        g[:] = np.dot(_vec(ws, o.fjac, m * n).reshape((n, m)), f)
    if iws[_I.jac_scale]:
        _compute_jac_scale(ws, iws, o, n, m, first)
    elif first:
        for j in range(n):
            ws[o.scale_inv + j] = 1 / ws[o.scale + j]
    if not first:
        return
    x = _vec(ws, o.x, n)
    scale_inv = _vec(ws, o.scale_inv, n)
    if iws[_I.bounded]:
        v = _vec(ws, o.v, n)
        dv = _vec(ws, o.dv, n)
        _cl_scaling(x, g, _vec(ws, o.lb, n), _vec(ws, o.ub, n), v, dv)
        for j in range(n):
            if dv[j] != 0.0:
                v[j] *= scale_inv[j]
        delta = _norm(x * scale_inv / np.sqrt(v))
    else:
        delta = _norm(x * scale_inv)
    ws[_F.delta] = 1.0 if delta == 0.0 else delta
    ws[_F.alpha] = 0.0


@standalone
def _outer(ws, iws):
    """The top of scipy's outer loop: optimality and the stopping tests, then the
    scaled ("hat") problem and its SVD, and the first trial step."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    bounded = iws[_I.bounded]
    x = _vec(ws, o.x, n)
    g = _vec(ws, o.g, n)
    v = _vec(ws, o.v, n)
    dv = _vec(ws, o.dv, n)
    lb = _vec(ws, o.lb, n)
    ub = _vec(ws, o.ub, n)
    scale = _vec(ws, o.scale, n)
    scale_inv = _vec(ws, o.scale_inv, n)
    if bounded:
        _cl_scaling(x, g, lb, ub, v, dv)
        g_norm = _norm_inf(g * v)
    else:
        g_norm = _norm_inf(g)
    ws[_F.g_norm] = g_norm
    if g_norm < ws[_F.gtol]:
        iws[_I.status] = 1
    if iws[_I.status] != _NONE or iws[W.NFEV] == iws[_I.maxfev]:
        finish(ws, iws)
        return _ASKED
    d = _vec(ws, o.d, n)
    diag_h = _vec(ws, o.diag_h, n)
    g_h = _vec(ws, o.g_h, n)
    JT = _vec(ws, o.fjac, m * n).reshape((n, m))
    jh = _vec(ws, o.jh, m * n).reshape((m, n))
    f = _vec(ws, o.f, m)
    if bounded:
        for j in range(n):
            if dv[j] != 0.0:
                v[j] *= scale_inv[j]
        d[:] = np.sqrt(v) * scale
        diag_h[:] = g * dv * scale
        rows = m + n
    else:
        d[:] = scale
        rows = m
    g_h[:] = d * g
    A = np.zeros((rows, n))
    for i in range(m):
        for j in range(n):
            A[i, j] = JT[j, i] * d[j]
    if _jh_by_columns(iws):
        _vec(ws, o.jh, m * n).reshape((n, m))[:] = A[:m].T
    else:
        jh[:] = A[:m]
    faug = np.zeros(rows)
    faug[:m] = f
    if bounded:
        for j in range(n):
            A[m + j, j] = math.sqrt(diag_h[j])
    U, s, VT = np.linalg.svd(A, full_matrices=False)
    k = s.size
    iws[_I.k] = k
    _vec(ws, o.uf, k)[:] = np.dot(U.T, faug)
    _vec(ws, o.sv, k)[:] = s
    V = _vec(ws, o.vmat, n * k).reshape((n, k))
    V[:] = VT.T
    ws[_F.theta] = max(0.995, 1 - g_norm)
    ws[_F.actual] = -1.0
    return _INNER


@jitable
def _jh_by_columns(iws):
    """Whether scipy's ``J_h`` is column-major: ``J * d`` keeps the layout of a
    difference Jacobian, built transposed, where bounds do not copy it into the
    (row-major) augmented matrix. Its layout picks BLAS's kernel, hence the rounding
    of the model's value."""
    return iws[_I.bounded] == 0 and iws[_I.jac_mode] != USER


@jitable
def _inner(ws, iws):
    """scipy's inner loop test: another trial while no reduction and evaluations
    remain, else on to the end of the outer iteration."""
    if ws[_F.actual] <= 0.0 and iws[W.NFEV] < iws[_I.maxfev]:
        _ask_trial(ws, iws)
        return _ASKED
    return _END


@standalone
def _ask_trial(ws, iws):
    """The trust-region step (reflected and cut back to the bounds, when bounded),
    and r at the trial point."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    k = iws[_I.k]
    x = _vec(ws, o.x, n)
    uf = _vec(ws, o.uf, k)
    s = _vec(ws, o.sv, k)
    V = _vec(ws, o.vmat, n * k).reshape((n, k))
    jh = _vec(ws, o.jh, m * n).reshape((m, n))
    d = _vec(ws, o.d, n)
    g_h = _vec(ws, o.g_h, n)
    diag_h = _vec(ws, o.diag_h, n)
    delta = ws[_F.delta]
    p_h, alpha = _solve_lsq_trust_region(n, m, uf, s, V, delta, ws[_F.alpha],
                                       ws[_F.half])
    ws[_F.alpha] = alpha
    xnew = _vec(ws, o.xnew, n)
    if iws[_I.bounded]:
        lb = _vec(ws, o.lb, n)
        ub = _vec(ws, o.ub, n)
        p = d * p_h
        st, st_h, pred = _select_step(x, jh, diag_h, g_h, p, p_h, d, delta, lb, ub,
                                      ws[_F.theta])
        xnew[:] = x + st
        _make_strictly_feasible(xnew, lb, ub, 0.0)
    else:
        st_h = p_h
        if _jh_by_columns(iws):
            jh_f = _vec(ws, o.jh, m * n).reshape((n, m)).T
            pred = -_evaluate_quadratic(jh_f, g_h, st_h, diag_h, False)
        else:
            pred = -_evaluate_quadratic(jh, g_h, st_h, diag_h, False)
        st = d * st_h
        xnew[:] = x + st
    _vec(ws, o.stp, n)[:] = st
    _vec(ws, o.stph, n)[:] = st_h
    ws[_F.pred] = pred
    iws[_I.phase] = _TRIAL
    _ask_residuals(iws, o.xnew, o.fnew)


@standalone
def _trial(ws, iws):
    """After r(x_new): the cost, the ratio of reductions, the new radius and the
    ``ftol``/``xtol`` tests (scipy's ``update_tr_radius``, ``check_termination``)."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    iws[W.NFEV] += 1
    fnew = _vec(ws, o.fnew, m)
    step_h_norm = _norm(_vec(ws, o.stph, n))
    ws[_F.step_h_norm] = step_h_norm
    delta = ws[_F.delta]
    for i in range(m):
        if not np.isfinite(fnew[i]):
            ws[_F.delta] = 0.25 * step_h_norm
            return _INNER
    cost_new = loss_cost(iws[_I.loss], ws[_F.f_scale], fnew, _vec(ws, o.rho0, m))
    ws[_F.cost_new] = cost_new
    cost = ws[_F.cost]
    actual = cost - cost_new
    ws[_F.actual] = actual
    pred = ws[_F.pred]
    if pred > 0:
        ratio = actual / pred
    elif pred == actual == 0:
        ratio = 1.0
    else:
        ratio = 0.0
    delta_new = delta
    if ratio < 0.25:
        delta_new = 0.25 * step_h_norm
    elif ratio > 0.75 and step_h_norm > 0.95 * delta:
        delta_new = delta * 2.0
    step_norm = _norm(_vec(ws, o.stp, n))
    x_norm = _norm(_vec(ws, o.x, n))
    ftol_ok = actual < ws[_F.ftol] * cost and ratio > 0.25
    xtol = ws[_F.xtol]
    xtol_ok = step_norm < xtol * (xtol + x_norm)
    if ftol_ok or xtol_ok:
        iws[_I.status] = 4 if ftol_ok and xtol_ok else (2 if ftol_ok else 3)
        return _END
    ws[_F.alpha] *= delta / delta_new
    ws[_F.delta] = delta_new
    return _INNER


@jitable
def _end_outer(ws, iws):
    """Accept x_new if the cost went down (and ask for the Jacobian there)."""
    if ws[_F.actual] > 0.0:
        n, m = iws[W.N], iws[M]
        o = _offsets(n, m)
        for j in range(n):
            ws[o.x + j] = ws[o.xnew + j]
        for i in range(m):
            ws[o.ftrue + i] = ws[o.fnew + i]
        ws[_F.cost] = ws[_F.cost_new]
        _ask_jacobian(ws, iws, _JAC)
        return _ASKED
    iws[W.NIT] += 1
    return _OUTER


@jitable
def finish(ws, iws):
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    io = _int_offsets(n, m)
    status = iws[_I.status]
    if status == _NONE:
        status = 0
    iws[_I.status] = status
    ws[W.FR] = ws[_F.cost]
    if iws[_I.bounded]:
        _find_active(_vec(ws, o.x, n), _vec(ws, o.lb, n), _vec(ws, o.ub, n),
                     ws[_F.xtol], iws[io.active:io.active + n])
    else:
        for j in range(n):
            iws[io.active + j] = 0
    if status >= 0:
        W.finish(iws, REASON_BASE + status)
    elif status == NONFINITE:
        W.finish(iws, _reasons.TRF_NONFINITE_JAC)
    else:
        W.finish(iws, _reasons.TRF_CALLBACK_STOP)
