"""Moré–Thuente line search (MINPACK-2 ``dcsrch`` and ``dcstep``) as a compiled state machine.

This is the line search of scipy's BFGS, CG and L-BFGS-B (``scipy.optimize._dcsrch``,
driven by ``scipy.optimize._linesearch.scalar_search_wolfe1``), rewritten for
reverse communication: the search never calls the objective. It returns a step and the
task ``FG`` ("evaluate f and g there"), the caller evaluates and calls back, until the task
is terminal. A Python loop (objective in Python) and a compiled solver (objective
compiled, one problem, a ``prange`` batch or one CUDA thread per problem) therefore drive
the very same code and get the same trial steps, bit for bit.

All state lives in one float64 array ``ls`` of length :data:`LS_SIZE` (one row per problem
in a batch); the ``_NAME`` constants below index it. The functions allocate nothing, raise
nothing and use only ``math`` and comparisons. ``dcsrch_start``/``dcsrch_step`` take the
state array, so they are plain functions registered with ``register_jitable``: compiled
into whatever calls them (a solver loop, a ``prange`` batch, a CUDA kernel) and, called
from Python, run as Python (which is also what numba's CUDA simulator needs: it cannot
pass its arrays to a compiled CPU function). The scalar helpers are njit functions.

Protocol::

    ls = np.empty(LS_SIZE)
    stp, task = dcsrch_start(ls, f0, g0, stp0, ftol, gtol, xtol, stpmin, stpmax)
    while task == FG:
        f, g = phi(stp), derphi(stp)      # value and directional derivative at stp
        stp, task = dcsrch_step(ls, f, g)
    # task == CONVERGENCE: stp satisfies the strong Wolfe conditions
    # otherwise a WARNING_* or ERROR_* code; TASK_MESSAGES[task] is scipy's message

On a terminal task, ``stp`` (and ``ls[_STP]``) is the step at which the last ``f``, ``g``
(``ls[_F]``, ``ls[_G]``) were given, so ``(stp, f, g)`` is a consistent triple (for an
error at the start: the initial step, with ``f0``, ``g0``). scipy reports ``None`` instead
of a step on every task but ``CONVERGENCE``; callers do the same by testing the task.

The two checks that scipy's Python loop (``DCSRCH.__call__``) makes around ``dcsrch``,
a non-finite trial step and ``maxiter`` calls, are part of the state machine here (tasks
:data:`WARNING_NOT_FINITE` and :data:`WARNING_MAXITER`), so a driver is just the loop above
and every driver stops exactly where scipy does.

Notes
-----
Arithmetic follows scipy 1.17 ``_dcsrch.py`` operation by operation, including its choices
where it departs from the Fortran: the sign test ``sgnd = sign(dp) * sign(dx)``,
``np.clip`` for safeguarding, and Python's ``min``/``max`` argument order (which decides
what a NaN does). Terminal tasks leave the state untouched: calling
:func:`dcsrch_step` again returns the same ``(stp, task)``, so a batch driver may keep
stepping finished problems.

scipy has a second copy, in the C translation of L-BFGS-B (``lbfgsb.c``, called by its
``lnsrlb`` with ``ftol=1e-3, gtol=0.9, xtol=0.1, stpmin=0``). ``lbfgsb=True`` gives that
one. It differs from ``_dcsrch.py`` in three places only (the two copies agree operation
by operation elsewhere, ``dcstep`` included, whose sign test ``dp * (dx / |dx|)`` decides
like ``sign(dp) * sign(dx)``):

- no driver loop: no ``maxiter`` cap on the evaluations and no test for a non-finite
  step (L-BFGS-B caps its searches itself, with ``maxls``);
- the bracket ``[stmin, stmax]`` is ordered with C's ``fmin``/``fmax``, which ignore a
  NaN argument, where Python's ``min``/``max`` keep their first argument;
- the new step is safeguarded with ``fmin(fmax(stp, stpmin), stpmax)`` (a NaN step
  becomes ``stpmin``) where ``np.clip`` propagates NaN.

With ``stpmin = 0`` the start's checks and the initial interval width (``stpmax`` in C,
``stpmax - stpmin`` in Python) are the same.

References
----------
J. J. Moré and D. J. Thuente, "Line search algorithms with guaranteed sufficient
decrease", ACM Trans. Math. Softw. 20 (1994) 286–307.
"""
import math

import numpy as np
from numba import njit

from ._standalone import jitable

_OPTIONS = dict(cache=True, error_model="numpy")

# Indices into the state array ``ls``.
_STP = 0        # current step: the trial step requested, or the final step
_F = 1          # f at _STP, as last given
_G = 2          # directional derivative at _STP, as last given
_FTOL = 3       # sufficient-decrease tolerance (c1)
_GTOL = 4       # curvature tolerance (c2)
_XTOL = 5       # relative width of an acceptable interval of uncertainty
_STPMIN = 6
_STPMAX = 7
_FINIT = 8      # f(0)
_GINIT = 9      # f'(0), negative
_GTEST = 10     # ftol * ginit
_STX = 11       # best step so far, with its f and g
_FX = 12
_GX = 13
_STY = 14       # other end of the interval of uncertainty, with its f and g
_FY = 15
_GY = 16
_STMIN = 17     # bounds of the next trial step
_STMAX = 18
_WIDTH = 19     # interval width now and one iteration before, for the bisection test
_WIDTH1 = 20
_BRACKT = 21    # 1.0 once a minimiser is bracketed
_STAGE = 22     # 1.0 or 2.0 (2: psi(stp) <= 0 and f'(stp) >= 0 seen)
_TASK = 23      # last task code returned
_NFEV = 24      # evaluations received by dcsrch_step
_MAXITER = 25   # scipy's maxiter: at most this many evaluations
LS_SIZE = 26

# Task codes. FG asks for f and g at the returned step; every other code is terminal.
FG = 0
CONVERGENCE = 1
WARNING_ROUNDING = 2
WARNING_XTOL = 3
WARNING_STPMAX = 4
WARNING_STPMIN = 5
WARNING_NOT_FINITE = 6   # scipy's driver loop: the next trial step is inf or NaN
WARNING_MAXITER = 7      # scipy's driver loop: maxiter evaluations without convergence
ERROR_STP_LT_STPMIN = 8
ERROR_STP_GT_STPMAX = 9
ERROR_INITIAL_G = 10
ERROR_FTOL = 11
ERROR_GTOL = 12
ERROR_XTOL = 13
ERROR_STPMIN = 14
ERROR_STPMAX = 15

#: scipy's task strings (``DCSRCH`` and its loop, decoded from bytes), by task code.
TASK_MESSAGES = {
    FG: "FG",
    CONVERGENCE: "CONVERGENCE",
    WARNING_ROUNDING: "WARNING: ROUNDING ERRORS PREVENT PROGRESS",
    WARNING_XTOL: "WARNING: XTOL TEST SATISFIED",
    WARNING_STPMAX: "WARNING: STP = STPMAX",
    WARNING_STPMIN: "WARNING: STP = STPMIN",
    WARNING_NOT_FINITE: "WARN",
    WARNING_MAXITER: "WARNING: dcsrch did not converge within max iterations",
    ERROR_STP_LT_STPMIN: "ERROR: STP .LT. STPMIN",
    ERROR_STP_GT_STPMAX: "ERROR: STP .GT. STPMAX",
    ERROR_INITIAL_G: "ERROR: INITIAL G .GE. ZERO",
    ERROR_FTOL: "ERROR: FTOL .LT. ZERO",
    ERROR_GTOL: "ERROR: GTOL .LT. ZERO",
    ERROR_XTOL: "ERROR: XTOL .LT. ZERO",
    ERROR_STPMIN: "ERROR: STPMIN .LT. ZERO",
    ERROR_STPMAX: "ERROR: STPMAX .LT. STPMIN",
}

# MINPACK-2's constants.
_P5 = 0.5
_P66 = 0.66
_XTRAPL = 1.1
_XTRAPU = 4.0


@njit(**_OPTIONS)
def is_warning(task):
    """True for the ``WARNING_*`` codes: stp satisfies sufficient decrease at best."""
    return WARNING_ROUNDING <= task <= WARNING_MAXITER


@njit(**_OPTIONS)
def is_error(task):
    """True for the ``ERROR_*`` codes: invalid input, nothing was evaluated."""
    return task >= ERROR_STP_LT_STPMIN


# Python's max(a, b) / min(a, b) keep the first argument unless the second compares
# greater / smaller; scipy's NaN behaviour depends on that order, so spell it out.
@njit(**_OPTIONS)
def _pymax(a, b):
    return b if b > a else a


@njit(**_OPTIONS)
def _pymin(a, b):
    return b if b < a else a


@jitable
def fmax(a, b):
    """C's ``fmax``: the larger argument, ignoring a NaN (Python's ``max`` does not)."""
    if a != a:
        return b
    if b != b:
        return a
    return a if a >= b else b


@jitable
def fmin(a, b):
    """C's ``fmin``: the smaller argument, ignoring a NaN."""
    if a != a:
        return b
    if b != b:
        return a
    return a if a <= b else b


@njit(**_OPTIONS)
def _clip(x, lo, hi):
    # np.clip on floats: NaN in x (or in a bound) propagates.
    if not math.isnan(x):
        x = x if x > lo else lo
    if not math.isnan(x):
        x = x if x < hi else hi
    return x


@njit(**_OPTIONS)
def _sign(x):
    # np.sign: 0 for +-0, NaN for NaN.
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    if x == 0.0:
        return 0.0
    return x


@njit(**_OPTIONS)
def dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """Safeguarded cubic/quadratic step and interval update (MINPACK-2 ``dcstep``).

    Parameters
    ----------
    stx, fx, dx : float
        Best step so far, its value and derivative (``dx`` must have the sign opposite
        to ``stp - stx``).
    sty, fy, dy : float
        Other endpoint of the interval of uncertainty, its value and derivative.
    stp, fp, dp : float
        Current step, its value and derivative.
    brackt : bool
        Whether a minimiser is already bracketed between ``stx`` and ``sty``.
    stpmin, stpmax : float
        Bounds for the new step when not bracketed.

    Returns
    -------
    tuple
        ``(stx, fx, dx, sty, fy, dy, stp, brackt)``: the updated interval and the new
        trial step.
    """
    sgnd = _sign(dp) * _sign(dx)

    if fp > fx:
        # Case 1: higher value, the minimum is bracketed. Take the cubic step if it is
        # closer to stx than the quadratic step, else their average.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = _pymax(_pymax(abs(theta), abs(dx)), abs(dp))
        gamma = s * math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        r = p / q
        stpc = stx + r * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        if abs(stpc - stx) <= abs(stpq - stx):
            stpf = stpc
        else:
            stpf = stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:
        # Case 2: lower value, derivatives of opposite sign: bracketed. Take the cubic
        # step if it is farther from stp than the secant step, else the secant step.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = _pymax(_pymax(abs(theta), abs(dx)), abs(dp))
        gamma = s * math.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        r = p / q
        stpc = stp + r * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if abs(stpc - stp) > abs(stpq - stp):
            stpf = stpc
        else:
            stpf = stpq
        brackt = True
    elif abs(dp) < abs(dx):
        # Case 3: lower value, same-sign derivatives, |derivative| decreases. The cubic
        # step is used only if the cubic tends to infinity in the direction of the step
        # or its minimum lies beyond stp; otherwise the secant step.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = _pymax(_pymax(abs(theta), abs(dx)), abs(dp))
        disc = (theta / s) ** 2 - (dx / s) * (dp / s)
        # gamma == 0 only when the cubic does not tend to infinity along the step.
        gamma = s * math.sqrt(disc if disc > 0.0 else 0.0)
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0.0 and gamma != 0.0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:
            # Bracketed: the step closer to stp, kept within 0.66 of the way to sty.
            if abs(stpc - stp) < abs(stpq - stp):
                stpf = stpc
            else:
                stpf = stpq
            if stp > stx:
                stpf = _pymin(stp + _P66 * (sty - stp), stpf)
            else:
                stpf = _pymax(stp + _P66 * (sty - stp), stpf)
        else:
            # Not bracketed: the step farther from stp, within [stpmin, stpmax].
            if abs(stpc - stp) > abs(stpq - stp):
                stpf = stpc
            else:
                stpf = stpq
            stpf = _clip(stpf, stpmin, stpmax)
    else:
        # Case 4: lower value, same-sign derivatives, |derivative| does not decrease.
        # Bracketed: the cubic step through stp and sty; otherwise stpmin or stpmax.
        if brackt:
            theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
            s = _pymax(_pymax(abs(theta), abs(dy)), abs(dp))
            gamma = s * math.sqrt((theta / s) ** 2 - (dy / s) * (dp / s))
            if stp > sty:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy
            r = p / q
            stpc = stp + r * (sty - stp)
            stpf = stpc
        elif stp > stx:
            stpf = stpmax
        else:
            stpf = stpmin

    # Update the interval that contains a minimiser.
    if fp > fx:
        sty = stp
        fy = fp
        dy = dp
    else:
        if sgnd < 0.0:
            sty = stx
            fy = fx
            dy = dx
        stx = stp
        fx = fp
        dx = dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt


@jitable
def dcsrch_start(ls, f, g, stp, ftol, gtol, xtol, stpmin, stpmax, maxiter=100, lbfgsb=False):
    """Start a search (``dcsrch`` with task ``START``).

    Parameters
    ----------
    ls : ndarray of float64, shape (LS_SIZE,)
        State array, overwritten; its previous contents do not matter.
    f, g : float
        Objective value and directional derivative at step 0 (``g`` must be < 0).
    stp : float
        Initial trial step, in ``[stpmin, stpmax]``.
    ftol, gtol : float
        Tolerances of the sufficient decrease (``c1``) and curvature (``c2``)
        conditions, ``f(stp) <= f + ftol * stp * g`` and ``|g(stp)| <= gtol * |g|``.
    xtol : float
        Relative tolerance on the width of the interval of uncertainty.
    stpmin, stpmax : float
        Bounds on the step.
    maxiter : int, optional
        At most this many evaluations (scipy's ``maxiter`` of ``DCSRCH.__call__``);
        ignored with ``lbfgsb``.
    lbfgsb : bool, optional
        The search of scipy's L-BFGS-B C code rather than of ``_dcsrch.py`` (see the
        module's Notes); the same value must be given to :func:`dcsrch_step`.

    Returns
    -------
    stp : float
        The step at which to evaluate next (``FG``), or the initial step.
    task : int
        ``FG``, an ``ERROR_*`` code (checked in MINPACK's order: the last failing check
        wins), or (not with ``lbfgsb``) ``WARNING_NOT_FINITE`` for a non-finite initial
        step or ``WARNING_MAXITER`` when ``maxiter < 1``.
    """
    ls[_STP] = stp
    ls[_F] = f
    ls[_G] = g
    ls[_FTOL] = ftol
    ls[_GTOL] = gtol
    ls[_XTOL] = xtol
    ls[_STPMIN] = stpmin
    ls[_STPMAX] = stpmax
    ls[_NFEV] = 0.0
    ls[_MAXITER] = maxiter

    task = FG
    if stp < stpmin:
        task = ERROR_STP_LT_STPMIN
    if stp > stpmax:
        task = ERROR_STP_GT_STPMAX
    if g >= 0.0:
        task = ERROR_INITIAL_G
    if ftol < 0.0:
        task = ERROR_FTOL
    if gtol < 0.0:
        task = ERROR_GTOL
    if xtol < 0.0:
        task = ERROR_XTOL
    if stpmin < 0.0:
        task = ERROR_STPMIN
    if stpmax < stpmin:
        task = ERROR_STPMAX

    if task == FG:
        ls[_BRACKT] = 0.0
        ls[_STAGE] = 1.0
        ls[_FINIT] = f
        ls[_GINIT] = g
        ls[_GTEST] = ftol * g
        width = stpmax - stpmin
        ls[_WIDTH] = width
        ls[_WIDTH1] = width / _P5
        # stx/sty: best step and the other end of the interval, with f and g there.
        ls[_STX] = 0.0
        ls[_FX] = f
        ls[_GX] = g
        ls[_STY] = 0.0
        ls[_FY] = f
        ls[_GY] = g
        ls[_STMIN] = 0.0
        ls[_STMAX] = stp + _XTRAPU * stp

    if not lbfgsb:
        # scipy's loop tests the step after every dcsrch call, errors included.
        if not math.isfinite(stp):
            task = WARNING_NOT_FINITE
        if maxiter < 1:
            task = WARNING_MAXITER
    ls[_TASK] = task
    return stp, task


@jitable
def dcsrch_step(ls, f, g, lbfgsb=False):
    """Continue a search with ``f`` and ``g`` evaluated at the step last returned.

    Parameters
    ----------
    ls : ndarray of float64, shape (LS_SIZE,)
        State from :func:`dcsrch_start` and earlier calls.
    f, g : float
        Objective value and directional derivative at ``ls[_STP]``.
    lbfgsb : bool, optional
        As given to :func:`dcsrch_start`.

    Returns
    -------
    stp : float
        The next trial step (``FG``), or on a terminal task the step at which ``f`` and
        ``g`` were evaluated.
    task : int
        ``FG``, ``CONVERGENCE`` or a ``WARNING_*`` code. Once terminal, further calls
        change nothing and return the same ``(stp, task)``.
    """
    stp = ls[_STP]
    task = int(ls[_TASK])
    if task != FG:
        return stp, task
    ls[_F] = f
    ls[_G] = g
    if not lbfgsb:  # scipy's loop's cap
        nfev = ls[_NFEV] + 1.0
        ls[_NFEV] = nfev
        if nfev >= ls[_MAXITER]:
            ls[_TASK] = WARNING_MAXITER
            return stp, WARNING_MAXITER

    gtol = ls[_GTOL]
    xtol = ls[_XTOL]
    stpmin = ls[_STPMIN]
    stpmax = ls[_STPMAX]
    ginit = ls[_GINIT]
    gtest = ls[_GTEST]
    stx = ls[_STX]
    fx = ls[_FX]
    gx = ls[_GX]
    sty = ls[_STY]
    fy = ls[_FY]
    gy = ls[_GY]
    stmin = ls[_STMIN]
    stmax = ls[_STMAX]
    brackt = ls[_BRACKT] != 0.0
    stage = ls[_STAGE]

    # Stage 2 begins once psi(stp) <= 0 and f'(stp) >= 0.
    ftest = ls[_FINIT] + stp * gtest
    if stage == 1.0 and f <= ftest and g >= 0.0:
        stage = 2.0
        ls[_STAGE] = stage

    # Warnings, then convergence, in MINPACK's order (the last one that holds wins).
    if brackt and (stp <= stmin or stp >= stmax):
        task = WARNING_ROUNDING
    if brackt and stmax - stmin <= xtol * stmax:
        task = WARNING_XTOL
    if stp == stpmax and f <= ftest and g <= gtest:
        task = WARNING_STPMAX
    if stp == stpmin and (f > ftest or g >= gtest):
        task = WARNING_STPMIN
    if f <= ftest and abs(g) <= gtol * -ginit:
        task = CONVERGENCE
    if task != FG:
        ls[_TASK] = task
        return stp, task

    if stage == 1.0 and f <= fx and f > ftest:
        # Stage 1 with a lower but not sufficiently lower value: step on the modified
        # function psi(stp) = f(stp) - ftol * stp * f'(0).
        fm = f - stp * gtest
        fxm = fx - stx * gtest
        fym = fy - sty * gtest
        gm = g - gtest
        gxm = gx - gtest
        gym = gy - gtest
        stx, fxm, gxm, sty, fym, gym, stp, brackt = dcstep(
            stx, fxm, gxm, sty, fym, gym, stp, fm, gm, brackt, stmin, stmax)
        fx = fxm + stx * gtest
        fy = fym + sty * gtest
        gx = gxm + gtest
        gy = gym + gtest
    else:
        stx, fx, gx, sty, fy, gy, stp, brackt = dcstep(
            stx, fx, gx, sty, fy, gy, stp, f, g, brackt, stmin, stmax)

    # Bisect when the interval did not shrink enough over two iterations.
    if brackt:
        if abs(sty - stx) >= _P66 * ls[_WIDTH1]:
            stp = stx + _P5 * (sty - stx)
        ls[_WIDTH1] = ls[_WIDTH]
        ls[_WIDTH] = abs(sty - stx)

    if brackt and lbfgsb:
        stmin = fmin(stx, sty)
        stmax = fmax(stx, sty)
    elif brackt:
        stmin = _pymin(stx, sty)
        stmax = _pymax(stx, sty)
    else:
        stmin = stp + _XTRAPL * (stp - stx)
        stmax = stp + _XTRAPU * (stp - stx)

    if lbfgsb:
        stp = fmin(fmax(stp, stpmin), stpmax)
    else:
        stp = _clip(stp, stpmin, stpmax)

    # If no further progress is possible, fall back to the best step so far.
    if (brackt and (stp <= stmin or stp >= stmax)) or (
            brackt and stmax - stmin <= xtol * stmax):
        stp = stx

    ls[_STX] = stx
    ls[_FX] = fx
    ls[_GX] = gx
    ls[_STY] = sty
    ls[_FY] = fy
    ls[_GY] = gy
    ls[_STMIN] = stmin
    ls[_STMAX] = stmax
    ls[_BRACKT] = 1.0 if brackt else 0.0

    if not lbfgsb and not math.isfinite(stp):
        # scipy's loop gives up before evaluating; keep the last evaluated step.
        ls[_TASK] = WARNING_NOT_FINITE
        return ls[_STP], WARNING_NOT_FINITE
    ls[_STP] = stp
    return stp, FG


def _drive(phi_derphi, phi0, derphi0, stp=1.0, c1=1e-4, c2=0.9, xtol=1e-14, amin=1e-8, amax=50.0,
           maxiter=100):
    """Run the search with a Python callable, as scipy's ``scalar_search_wolfe1`` does.

    For tests. ``phi_derphi(alpha)`` returns ``(phi(alpha), phi'(alpha))``. The defaults are
    scipy's; ``stp`` is the initial step (scipy derives it from ``old_phi0``, else 1.0).

    Returns
    -------
    stp, phi, derphi : float
        The final step and the value and derivative last evaluated (there, on a terminal
        task; ``phi0``, ``derphi0`` when nothing was evaluated).
    task : int
        The terminal task code; scipy returns ``stp=None`` unless it is ``CONVERGENCE``.
    nfev : int
        Evaluations of ``phi_derphi``.
    """
    ls = np.empty(LS_SIZE)
    phi, derphi = float(phi0), float(derphi0)
    stp, task = dcsrch_start(ls, phi, derphi, float(stp), c1, c2, xtol, amin, amax, maxiter)
    nfev = 0
    while task == FG:
        phi, derphi = phi_derphi(stp)
        phi, derphi = float(phi), float(derphi)
        nfev += 1
        stp, task = dcsrch_step(ls, phi, derphi)
    return stp, phi, derphi, task, nfev
