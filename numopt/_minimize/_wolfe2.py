"""scipy's second line search (``scalar_search_wolfe2``) as a compiled state machine.

scipy's BFGS and CG try the Moré-Thuente search first (:mod:`._linesearch`); when it
fails, or (CG) when its step fails an extra acceptance test, ``_line_search_wolfe12``
retries with ``line_search_wolfe2``: the bracketing search of Nocedal and Wright
(Algorithm 3.5) with their ``zoom`` (Algorithm 3.6), which interpolates with a cubic
through three points, else a quadratic, else bisects. This module is that search,
operation by operation as scipy 1.17 ``_linesearch.py`` writes it
(``scalar_search_wolfe2``, ``_zoom``, ``_cubicmin``, ``_quadmin``), rewritten for reverse
communication like :mod:`._linesearch`: it never calls the objective.

All state lives in one float64 array ``ls`` of length :data:`W2_SIZE`; the functions
allocate nothing and raise nothing. The entry points and the scalar helpers are numba
dispatchers (cached on disk); the helpers that take the state array are
``register_jitable``, so that they run as plain Python under numba's CUDA simulator
(where a CPU dispatcher cannot take its fake arrays) and compile for any target.

Protocol::

    ls = np.empty(W2_SIZE)
    stp, task = wolfe2_start(ls, phi0, derphi0, old_phi0, c1, c2, amax, extra=True)
    while True:
        if task == FG:                    # phi and phi' at stp, please
            stp, task = wolfe2_step(ls, phi(stp), derphi(stp))
        elif task == CHECK:               # strong Wolfe holds at stp: your extra test?
            stp, task = wolfe2_check(ls, extra_condition(stp))
        else:
            break
    # CONVERGENCE: stp satisfies strong Wolfe (and the extra test)
    # WARNING_MAXITER: scipy returns stp anyway (see below); other codes: no step

Every request asks for both ``phi`` and ``phi'``; where scipy evaluates ``phi`` alone the
derivative is simply not used. ``CHECK`` is scipy's ``extra_condition`` hook, which scipy
calls only where the strong Wolfe conditions hold: the caller decides, and the search
goes on exactly as scipy's does after the callable's answer. Without ``extra=True`` the
search never asks and accepts such steps at once (``extra_condition=None``).

Notes
-----
Outcomes, as scipy reports them (``alpha_star, phi_star, phi0, derphi_star``):

- ``CONVERGENCE``: ``stp``, ``phi(stp)``, ``phi0``, ``phi'(stp)``.
- ``WARNING_MAXITER``: ``maxiter`` doublings of the step found neither a bracket nor a
  point satisfying the conditions. scipy still returns the last step it evaluated (with
  ``derphi_star=None``) and its callers take it: ``stp`` is that step and
  :func:`has_step` is true.
- ``WARNING_ROUNDING`` (the step became 0), ``WARNING_AMAX`` (the step passed ``amax``)
  and ``WARNING_ZOOM`` (``zoom`` made 11 trials without success): no step.
- ``ERROR_C1_C2``: ``0 < c1 < c2 < 1`` does not hold, where scipy raises ``ValueError``.

``old_phi0`` (scipy's ``None`` is NaN here, which gives the same first step) sets the
first trial step ``min(1, 1.01 * 2 * (phi0 - old_phi0) / derphi0)`` (1 if that is
negative), then ``min(., amax)``; ``amax=inf`` is scipy's ``amax=None``.

scipy's ``_cubicmin`` and ``_quadmin`` compute under ``np.errstate(...='raise')`` and
give up (``None``) on any overflow, division by zero or invalid operation; here every
operation is tested for the same three events instead. Two more details are reproduced
so that the trial steps agree bit for bit with scipy on this kind of machine:
``_cubicmin`` solves its 2x2 system with ``np.dot``, which OpenBLAS computes with a fused
multiply-add per row (:func:`fma`), and its squares are ``x ** 2``, which is libm's
``pow`` (not always ``x * x``, which LLVM would substitute for ``pow(x, 2.0)``: the
exponents are read from the state array to keep it from doing so).

References
----------
J. Nocedal and S. J. Wright, *Numerical Optimization*, 1999, pp. 59-61.
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._standalone import jitable

_OPTIONS = dict(cache=True, error_model="numpy")

# Indices into the state array ``ls``.
_STP = 0        # the step requested last (evaluated, once step() returns), or the final step
_PHI = 1        # phi and phi' at _STP, as last given
_DERPHI = 2
_TASK = 3       # last task returned
_STAGE = 4      # what the next call must be (see _AT_*)
_PHI0 = 5       # phi(0), phi'(0)
_DERPHI0 = 6
_C1 = 7
_C2 = 8
_AMAX = 9
_EXTRA = 10     # 1.0: ask the caller (CHECK) where strong Wolfe holds
_MAXITER = 11   # bracketing iterations (scipy's maxiter, 10)
_I = 12         # bracketing iteration
_ALPHA0 = 13    # bracketing: previous and current step, with phi (and phi' at alpha0)
_ALPHA1 = 14
_PHI_A0 = 15
_PHI_A1 = 16
_DERPHI_A0 = 17
_DERPHI_A1 = 18
_A_LO = 19      # zoom: the bracket ends, with phi (and phi' at a_lo) ...
_A_HI = 20
_PHI_LO = 21
_PHI_HI = 22
_DERPHI_LO = 23
_A_REC = 24     # ... the point discarded last (for the cubic) ...
_PHI_REC = 25
_ZI = 26        # ... and the zoom iteration
_NFEV = 27      # evaluations received
_TWO = 28       # 2.0 and 3.0, read at run time (see the module notes)
_THREE = 29
W2_SIZE = 30

# Stages: what the search waits for.
_AT_ALPHA1 = 0.0        # phi at the bracketing step alpha1
_AT_ZOOM = 1.0          # phi at the zoom step a_j
_CHECK_ALPHA1 = 2.0     # the caller's verdict at alpha1
_CHECK_ZOOM = 3.0       # the caller's verdict at a_j
_FINISHED = 4.0

_ZOOM_MAXITER = 10      # scipy's _zoom

# Task codes. FG and CHECK ask the caller for something; every other code is terminal.
FG = 0
CONVERGENCE = 1
CHECK = 2
WARNING_MAXITER = 3
WARNING_ROUNDING = 4
WARNING_AMAX = 5
WARNING_ZOOM = 6
ERROR_C1_C2 = 7

#: What scipy says (its LineSearchWarning or ValueError), by task code.
TASK_MESSAGES = {
    FG: "FG",
    CONVERGENCE: "CONVERGENCE",
    CHECK: "CHECK",
    WARNING_MAXITER: "The line search algorithm did not converge",
    WARNING_ROUNDING: "Rounding errors prevent the line search from converging",
    WARNING_AMAX: "The line search algorithm could not find a solution less than or equal to amax",
    WARNING_ZOOM: "The line search algorithm did not converge",
    ERROR_C1_C2: "'c1' and 'c2' do not satisfy'0 < c1 < c2 < 1'.",
}


@njit(**_OPTIONS)
def has_step(task):
    """True where scipy returns a step: ``CONVERGENCE`` and ``WARNING_MAXITER``."""
    return task == CONVERGENCE or task == WARNING_MAXITER


# -- arithmetic as scipy's numpy does it ---------------------------------------------------

@intrinsic
def _llvm_fma(typingctx, a, b, c):
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)
    return sig, codegen


@njit(**_OPTIONS)
def fma(a, b, c):
    """``a * b + c`` rounded once (IEEE fused multiply-add, correctly rounded everywhere).

    OpenBLAS's ``ddot`` and ``dgemv`` kernels, behind ``np.dot``, accumulate with fused
    multiply-adds: for vectors shorter than 16 ``np.dot(x, y)`` is
    ``s = fma(x[i], y[i], s)`` in order, and a 2x2 matrix times a vector is
    ``fma(a[i, 0], v[0], a[i, 1] * v[1])`` per row.
    """
    return _llvm_fma(a, b, c)


@njit(**_OPTIONS)
def _raised(r, x, y):
    """Whether ``r = x op y`` raises under ``np.errstate(all='raise')`` (underflow aside):
    an infinite result from finite operands (overflow, division by zero) or a NaN from
    non-NaN ones (invalid)."""
    if r != r:
        return x == x and y == y
    if math.isinf(r):
        return math.isfinite(x) and math.isfinite(y)
    return False


@njit(**_OPTIONS)
def _raised3(r, x, y, z):
    """:func:`_raised` for ``r = fma(x, y, z)``."""
    if r != r:
        return x == x and y == y and z == z
    if math.isinf(r):
        return math.isfinite(x) and math.isfinite(y) and math.isfinite(z)
    return False


@njit(**_OPTIONS)
def _quadmin(a, fa, fpa, b, fb):
    """scipy's ``_quadmin``: the minimiser of the quadratic through ``(a, fa)`` with slope
    ``fpa`` and ``(b, fb)``. Returns ``(xmin, ok)``; ``ok`` False is scipy's ``None``."""
    bad = False
    t = a * 1.0
    db = b - t
    bad |= _raised(db, b, t)
    u = fb - fa
    bad |= _raised(u, fb, fa)
    v = fpa * db
    bad |= _raised(v, fpa, db)
    num = u - v
    bad |= _raised(num, u, v)
    den = db * db
    bad |= _raised(den, db, db)
    B = num / den
    bad |= _raised(B, num, den)
    w = 2.0 * B
    bad |= _raised(w, 2.0, B)
    q = fpa / w
    bad |= _raised(q, fpa, w)
    xmin = a - q
    bad |= _raised(xmin, a, q)
    if bad or not math.isfinite(xmin):
        return 0.0, False
    return xmin, True


@njit(**_OPTIONS)
def _cubicmin(a, fa, fpa, b, fb, c, fc, two, three):
    """scipy's ``_cubicmin``: the minimiser of the cubic through ``(a, fa)`` with slope
    ``fpa``, ``(b, fb)`` and ``(c, fc)``. Returns ``(xmin, ok)``; ``ok`` False is scipy's
    ``None``. ``two`` and ``three`` are the exponents 2.0 and 3.0."""
    bad = False
    C = fpa
    db = b - a
    bad |= _raised(db, b, a)
    dc = c - a
    bad |= _raised(dc, c, a)
    # denom = (db * dc) ** 2 * (db - dc)
    p = db * dc
    bad |= _raised(p, db, dc)
    p2 = math.pow(p, two)
    bad |= _raised(p2, p, two)
    e = db - dc
    bad |= _raised(e, db, dc)
    denom = p2 * e
    bad |= _raised(denom, p2, e)
    # d1 = [[dc**2, -db**2], [-dc**3, db**3]]
    d00 = math.pow(dc, two)
    bad |= _raised(d00, dc, two)
    d01 = math.pow(db, two)
    bad |= _raised(d01, db, two)
    d01 = -d01
    d10 = math.pow(dc, three)
    bad |= _raised(d10, dc, three)
    d10 = -d10
    d11 = math.pow(db, three)
    bad |= _raised(d11, db, three)
    # the right-hand side [fb - fa - C * db, fc - fa - C * dc]
    s = fb - fa
    bad |= _raised(s, fb, fa)
    t = C * db
    bad |= _raised(t, C, db)
    v0 = s - t
    bad |= _raised(v0, s, t)
    s = fc - fa
    bad |= _raised(s, fc, fa)
    t = C * dc
    bad |= _raised(t, C, dc)
    v1 = s - t
    bad |= _raised(v1, s, t)
    # [A, B] = np.dot(d1, v), one fused multiply-add per row
    t = d01 * v1
    bad |= _raised(t, d01, v1)
    A = fma(d00, v0, t)
    bad |= _raised3(A, d00, v0, t)
    t = d11 * v1
    bad |= _raised(t, d11, v1)
    B = fma(d10, v0, t)
    bad |= _raised3(B, d10, v0, t)
    r = A / denom
    bad |= _raised(r, A, denom)
    A = r
    r = B / denom
    bad |= _raised(r, B, denom)
    B = r
    # radical = B * B - 3 * A * C
    bb = B * B
    bad |= _raised(bb, B, B)
    a3 = 3.0 * A
    bad |= _raised(a3, 3.0, A)
    ac = a3 * C
    bad |= _raised(ac, a3, C)
    radical = bb - ac
    bad |= _raised(radical, bb, ac)
    # xmin = a + (-B + sqrt(radical)) / (3 * A)
    sq = math.sqrt(radical) if radical >= 0.0 else math.nan
    bad |= _raised(sq, radical, 0.0)
    top = -B + sq
    bad |= _raised(top, B, sq)
    frac = top / a3
    bad |= _raised(frac, top, a3)
    xmin = a + frac
    bad |= _raised(xmin, a, frac)
    if bad or not math.isfinite(xmin):
        return 0.0, False
    return xmin, True


# -- the search ------------------------------------------------------------------------------

@njit(**_OPTIONS)
def _pymin(a, b):
    # Python's min(a, b): the first argument unless the second compares smaller.
    return b if b < a else a


@jitable
def _request(ls, stp, stage):
    ls[_STP] = stp
    ls[_STAGE] = stage
    ls[_TASK] = FG
    return stp, FG


@jitable
def _finish(ls, task):
    """Terminal: ``stp`` stays the step evaluated last."""
    ls[_STAGE] = _FINISHED
    ls[_TASK] = task
    return ls[_STP], task


@jitable
def _zoom_trial(ls):
    """The next zoom step: cubic, else quadratic, else bisection (scipy's ``_zoom`` loop head)."""
    a_lo = ls[_A_LO]
    a_hi = ls[_A_HI]
    dalpha = a_hi - a_lo
    if dalpha < 0:
        a, b = a_hi, a_lo
    else:
        a, b = a_lo, a_hi
    use_quad = True
    a_j = 0.0
    if ls[_ZI] > 0:
        cchk = 0.2 * dalpha
        a_j, ok = _cubicmin(a_lo, ls[_PHI_LO], ls[_DERPHI_LO], a_hi, ls[_PHI_HI],
                            ls[_A_REC], ls[_PHI_REC], ls[_TWO], ls[_THREE])
        use_quad = (not ok) or (a_j > b - cchk) or (a_j < a + cchk)
    if use_quad:
        qchk = 0.1 * dalpha
        a_j, ok = _quadmin(a_lo, ls[_PHI_LO], ls[_DERPHI_LO], a_hi, ls[_PHI_HI])
        if (not ok) or (a_j > b - qchk) or (a_j < a + qchk):
            a_j = a_lo + 0.5 * dalpha
    return _request(ls, a_j, _AT_ZOOM)


@jitable
def _zoom_start(ls, a_lo, a_hi, phi_lo, phi_hi, derphi_lo):
    ls[_A_LO] = a_lo
    ls[_A_HI] = a_hi
    ls[_PHI_LO] = phi_lo
    ls[_PHI_HI] = phi_hi
    ls[_DERPHI_LO] = derphi_lo
    ls[_PHI_REC] = ls[_PHI0]
    ls[_A_REC] = 0.0
    ls[_ZI] = 0.0
    return _zoom_trial(ls)


@jitable
def _zoom_next(ls):
    zi = ls[_ZI] + 1.0
    ls[_ZI] = zi
    if zi > _ZOOM_MAXITER:
        return _finish(ls, WARNING_ZOOM)
    return _zoom_trial(ls)


@jitable
def _zoom_move_lo(ls):
    """a_j has sufficient decrease and a lower phi but is not accepted: it becomes a_lo."""
    a_j = ls[_STP]
    derphi_aj = ls[_DERPHI]
    if derphi_aj * (ls[_A_HI] - ls[_A_LO]) >= 0:
        ls[_PHI_REC] = ls[_PHI_HI]
        ls[_A_REC] = ls[_A_HI]
        ls[_A_HI] = ls[_A_LO]
        ls[_PHI_HI] = ls[_PHI_LO]
    else:
        ls[_PHI_REC] = ls[_PHI_LO]
        ls[_A_REC] = ls[_A_LO]
    ls[_A_LO] = a_j
    ls[_PHI_LO] = ls[_PHI]
    ls[_DERPHI_LO] = derphi_aj
    return _zoom_next(ls)


@jitable
def _zoom_eval(ls):
    a_j = ls[_STP]
    phi_aj = ls[_PHI]
    if (phi_aj > ls[_PHI0] + ls[_C1] * a_j * ls[_DERPHI0]) or (phi_aj >= ls[_PHI_LO]):
        ls[_PHI_REC] = ls[_PHI_HI]
        ls[_A_REC] = ls[_A_HI]
        ls[_A_HI] = a_j
        ls[_PHI_HI] = phi_aj
        return _zoom_next(ls)
    if abs(ls[_DERPHI]) <= -ls[_C2] * ls[_DERPHI0]:
        if ls[_EXTRA] == 0.0:
            return _finish(ls, CONVERGENCE)
        ls[_STAGE] = _CHECK_ZOOM
        ls[_TASK] = CHECK
        return a_j, CHECK
    return _zoom_move_lo(ls)


@jitable
def _bracket_advance(ls):
    """phi'(alpha1) is known and alpha1 not accepted: zoom if phi' >= 0, else double."""
    alpha0 = ls[_ALPHA0]
    alpha1 = ls[_ALPHA1]
    derphi_a1 = ls[_DERPHI_A1]
    if derphi_a1 >= 0:
        return _zoom_start(ls, alpha1, alpha0, ls[_PHI_A1], ls[_PHI_A0], derphi_a1)
    alpha2 = _pymin(2 * alpha1, ls[_AMAX])
    ls[_ALPHA0] = alpha1
    ls[_ALPHA1] = alpha2
    ls[_PHI_A0] = ls[_PHI_A1]
    ls[_DERPHI_A0] = derphi_a1
    ls[_I] += 1.0
    return _request(ls, alpha2, _AT_ALPHA1)


@jitable
def _bracket_eval(ls):
    """phi(alpha1) is known: the body of scipy's ``for i in range(maxiter)`` loop."""
    i = ls[_I]
    alpha0 = ls[_ALPHA0]
    alpha1 = ls[_ALPHA1]
    phi_a1 = ls[_PHI]
    ls[_PHI_A1] = phi_a1
    if i >= ls[_MAXITER]:
        # the loop ran out: scipy returns alpha1 as it is (derphi_star=None)
        return _finish(ls, WARNING_MAXITER)
    if alpha1 == 0:
        return _finish(ls, WARNING_ROUNDING)
    if alpha0 > ls[_AMAX]:
        return _finish(ls, WARNING_AMAX)
    phi0 = ls[_PHI0]
    derphi0 = ls[_DERPHI0]
    if (phi_a1 > phi0 + ls[_C1] * alpha1 * derphi0) or ((phi_a1 >= ls[_PHI_A0]) and i > 0):
        return _zoom_start(ls, alpha0, alpha1, ls[_PHI_A0], phi_a1, ls[_DERPHI_A0])
    derphi_a1 = ls[_DERPHI]
    ls[_DERPHI_A1] = derphi_a1
    if abs(derphi_a1) <= -ls[_C2] * derphi0:
        if ls[_EXTRA] == 0.0:
            return _finish(ls, CONVERGENCE)
        ls[_STAGE] = _CHECK_ALPHA1
        ls[_TASK] = CHECK
        return alpha1, CHECK
    return _bracket_advance(ls)


@jitable
def wolfe2_start(ls, phi0, derphi0, old_phi0, c1=1e-4, c2=0.9, amax=np.inf, maxiter=10,
                 extra=False):
    """Start a search (scipy's ``scalar_search_wolfe2`` up to its first ``phi`` call).

    Parameters
    ----------
    ls : ndarray of float64, shape (W2_SIZE,)
        State array, overwritten.
    phi0, derphi0 : float
        Value and derivative at step 0 (``derphi0 < 0`` for a descent direction; scipy
        does not check it, and neither does this).
    old_phi0 : float
        Value at the previous iterate, for the first step; NaN for scipy's ``None``.
    c1, c2 : float
        Sufficient decrease and curvature parameters, ``0 < c1 < c2 < 1``.
    amax : float
        Largest step; ``inf`` for scipy's ``None``.
    maxiter : int
        Bracketing iterations (scipy's default 10).
    extra : bool
        Return ``CHECK`` at every step that satisfies the strong Wolfe conditions, for
        the caller's extra condition (see :func:`wolfe2_check`).

    Returns
    -------
    stp : float
        The first trial step.
    task : int
        ``FG``, or ``ERROR_C1_C2`` (nothing to evaluate).
    """
    ls[_PHI0] = phi0
    ls[_DERPHI0] = derphi0
    ls[_C1] = c1
    ls[_C2] = c2
    ls[_AMAX] = amax
    ls[_EXTRA] = 1.0 if extra else 0.0
    ls[_MAXITER] = maxiter
    ls[_NFEV] = 0.0
    ls[_TWO] = 2.0
    ls[_THREE] = 3.0
    ls[_PHI] = phi0
    ls[_DERPHI] = derphi0

    alpha1 = 1.0
    if derphi0 != 0:
        # NaN old_phi0 (None) makes this NaN, and min(1.0, nan) is 1.0, as for None.
        alpha1 = _pymin(1.0, 1.01 * 2 * (phi0 - old_phi0) / derphi0)
    if alpha1 < 0:
        alpha1 = 1.0
    alpha1 = _pymin(alpha1, amax)
    ls[_STP] = alpha1
    if not (0 < c1 and c1 < c2 and c2 < 1):
        return _finish(ls, ERROR_C1_C2)
    ls[_I] = 0.0
    ls[_ALPHA0] = 0.0
    ls[_ALPHA1] = alpha1
    ls[_PHI_A0] = phi0
    ls[_DERPHI_A0] = derphi0
    return _request(ls, alpha1, _AT_ALPHA1)


@jitable
def wolfe2_step(ls, phi, derphi):
    """Continue with ``phi`` and ``derphi`` evaluated at the step last returned (``FG``).

    Returns
    -------
    stp : float
        The next trial step (``FG``), the step to check (``CHECK``), or the final step.
    task : int
        ``FG``, ``CHECK``, or terminal. Called in any other state, nothing changes and
        the last ``(stp, task)`` comes back.
    """
    stage = ls[_STAGE]
    if stage != _AT_ALPHA1 and stage != _AT_ZOOM:
        return ls[_STP], int(ls[_TASK])
    ls[_PHI] = phi
    ls[_DERPHI] = derphi
    ls[_NFEV] += 1.0
    if stage == _AT_ALPHA1:
        return _bracket_eval(ls)
    return _zoom_eval(ls)


@jitable
def wolfe2_check(ls, accept):
    """The caller's extra condition at the step of a ``CHECK``: accept it or search on.

    Returns
    -------
    stp, task
        ``CONVERGENCE`` at that step if ``accept``; otherwise the search continues as
        scipy's does when its ``extra_condition`` returns False (``FG`` or terminal).
        Called in any other state, nothing changes.
    """
    stage = ls[_STAGE]
    if stage != _CHECK_ALPHA1 and stage != _CHECK_ZOOM:
        return ls[_STP], int(ls[_TASK])
    if accept:
        return _finish(ls, CONVERGENCE)
    if stage == _CHECK_ALPHA1:
        return _bracket_advance(ls)
    return _zoom_move_lo(ls)


def _drive(phi_derphi, phi0, derphi0, old_phi0=None, c1=1e-4, c2=0.9, amax=None,
           extra_condition=None, maxiter=10):
    """Run the search with Python callables, as scipy's ``scalar_search_wolfe2`` is called.

    For tests. ``phi_derphi(alpha)`` returns ``(phi(alpha), phi'(alpha))``;
    ``extra_condition(alpha, phi)`` is scipy's.

    Returns
    -------
    stp, phi, derphi : float
        The final step with the value and derivative evaluated last (there).
    task : int
        The terminal task code.
    nfev : int
        Evaluations of ``phi_derphi``.
    """
    ls = np.empty(W2_SIZE)
    old = np.nan if old_phi0 is None else float(old_phi0)
    amax = np.inf if amax is None else float(amax)
    stp, task = wolfe2_start(ls, float(phi0), float(derphi0), old, c1, c2, amax, maxiter,
                             extra_condition is not None)
    nfev = 0
    while True:
        if task == FG:
            phi, derphi = phi_derphi(stp)
            nfev += 1
            stp, task = wolfe2_step(ls, float(phi), float(derphi))
        elif task == CHECK:
            stp, task = wolfe2_check(ls, bool(extra_condition(stp, ls[_PHI])))
        else:
            return stp, ls[_PHI], ls[_DERPHI], task, nfev
