"""Levenberg-Marquardt, as MINPACK's ``lmder``/``lmdif`` (scipy's ``least_squares(method="lm")``).

A reverse-communication state machine over a flat workspace (see
:mod:`numopt._minimize._workspace` and :mod:`numopt._minimize._layout`): ``init(ws, iws,
x0, m, fopts, iopts)`` sets it up and asks for the residuals at ``x0``; after the driver has
done what ``iws[W.TASK]`` asks, ``step(ws, iws)`` continues until the next request. Tasks:

``RESIDUALS`` (= ``W.EVALUATE``)
    write the m residuals r(x) at the point ``ws[iws[W.X]:iws[W.X] + n]`` into
    ``ws[iws[W.G]:iws[W.G] + m]``;
``JACOBIAN``
    write the Jacobian at that point into ``ws[iws[JAC]:iws[JAC] + m * n]``, **column-major**
    (entry ``dr_i/dx_j`` at ``j * m + i``, MINPACK's ``fjac``: a numpy ``(m, n)`` array
    ``J`` goes in as ``J.T.ravel()``);
``DONE`` (= ``W.DONE``)
    stop: x at ``iws[W.XR]``, its residuals at ``iws[W.GR]``, the Jacobian there (if
    asked for, see ``FINAL_JAC``) at ``iws[JAC]``, ``iws[INFO]`` MINPACK's ``info``.

The iterations are MINPACK's ``lmder`` (Moré 1978), in its order of operations: pivoted QR
of the Jacobian (:func:`~._minpack_linalg.qrfac`), the trust-region step by
:func:`~._minpack_linalg.lmpar`, scaling by the column norms (``mode = 1``, scipy's
``x_scale="jac"``) or a given ``diag`` (``mode = 2``, ``diag = 1 / x_scale``), the
``factor`` of the first radius and MINPACK's termination tests, ``info`` 1-8.

Where the Jacobian comes from (``iopts[JAC_MODE]``):

``USER``
    the driver evaluates it (MINPACK ``lmder``, scipy with a callable ``jac``);
``TWO_POINT``
    forward differences requested as residual evaluations, with scipy's
    ``approx_derivative(method="2-point")`` steps ``h = s sign(x) max(1, |x|)``,
    ``s = sqrt(eps)`` (or ``h = diff_step sign(x) |x|``); as in scipy 1.16+, these do
    not count in ``nfev`` (MINPACK ``lmder`` fed by scipy's ``VectorFunction``);
``THREE_POINT``
    central differences, scipy's ``"3-point"`` without bounds: ``(r(x + h) - r(x - h))
    / ((x + h) - (x - h))``, ``h`` as for ``TWO_POINT`` with ``s = eps**(1/3)``, two
    evaluations per column, also not counted in ``nfev``;
``FDJAC2``
    MINPACK ``lmdif``'s forward differences (``fdjac2``: ``h = sqrt(max(epsfcn, eps))
    |x|``, or that root where x is 0), counted in ``nfev`` as ``lmdif`` does (scipy's
    ``leastsq`` without ``Dfun``).

With ``FINAL_JAC`` set, the run ends by evaluating the Jacobian at the solution once more
(not counted in ``nfev``/``njev``), as scipy's ``call_minpack`` does for its result's
``jac``: ``qrfac`` has overwritten the last one.

Termination reasons: ``iws[W.REASON]`` is ``REASON_BASE + info``, with the table
:data:`REASONS` (scipy's ``least_squares`` status and message per MINPACK ``info``; to
in :mod:`numopt._minimize._reasons` with every method's). Counters:
``iws[W.NFEV]`` is MINPACK's ``nfev``, ``iws[NJEV]`` its ``njev`` (Jacobians used by the
iterations, whatever their source), ``iws[W.NIT]`` the accepted steps.

The arithmetic is plain IEEE double precision in MINPACK's order, so the iterates are
scipy's bit for bit on x86-64, except where the Jacobian is rank deficient to rounding
(see ``tests/fit/test_lm.py``). The one deliberate difference from scipy's C translation
of MINPACK: ``qrfac`` recomputes a column norm over the rows below the pivot only, as the
Fortran does (the translation takes one more, past the column's end).

References
----------
J. J. Moré, "The Levenberg-Marquardt algorithm: implementation and theory", in
Numerical Analysis, Lecture Notes in Mathematics 630, Springer, 1978, 105-116.
J. J. Moré, B. S. Garbow and K. E. Hillstrom, User Guide for MINPACK-1, Argonne
National Laboratory report ANL-80-74, 1980.
"""
import math

from .._minimize import _workspace as W
from .._minimize._layout import Layout
from .._minimize import _reasons
from .._minimize._standalone import jitable
from ._differences import scipy_step
from ._minpack_linalg import EPSMCH, enorm, lmpar, qrfac

__all__ = ["LAYOUT", "init", "step", "sizes", "REASONS", "REASON_BASE", "USER",
           "TWO_POINT", "THREE_POINT", "FDJAC2", "RESIDUALS", "JACOBIAN", "DONE", "JAC",
           "INFO", "NJEV", "M"]

# Tasks: RESIDUALS and DONE are the workspace's EVALUATE and DONE.
DONE = W.DONE
RESIDUALS = W.EVALUATE
JACOBIAN = 2

# Jacobian sources.
USER, TWO_POINT, FDJAC2, THREE_POINT = 0, 1, 2, 3

# Option arrays given to init. fopts: then, with MODE = 2, diag (n values).
FTOL, XTOL, GTOL, FACTOR, EPSFCN, DIFF_STEP = range(6)   # DIFF_STEP NaN: scipy's None
# scipy's relative steps of "2-point" and "3-point" (sqrt and cbrt of the machine epsilon
# of the residuals' dtype, see numopt._fit._drive.relative_steps); then diag
REL2, REL3, ARRAYS = 6, 7, 8
MAXFEV, MODE, JAC_MODE, FINAL_JAC = range(4)             # iopts

LAYOUT = Layout(
    "lm", params=("n", "m"),
    ints=("m", "jac", "phase", "mode", "maxfev", "jac_mode", "final_jac", "iter", "col",
          "half", "info", "njev"),
    floats=("ftol", "xtol", "gtol", "factor", "epsfcn", "diff_step", "rel2", "rel3",
            "fnorm", "fnorm1",
            "par", "delta", "xnorm", "gnorm", "pnorm", "actred", "prered", "ratio", "dx"),
    arrays=(("x", "n"), ("fvec", "m"), ("fjac", "m * n"), ("diag", "n"), ("qtf", "n"),
            ("wa1", "n"), ("wa2", "n"), ("wa3", "n"), ("wa4", "m"), ("xe", "n"),
            ("fd", "m"), ("fd2", "m")),
    int_arrays=(("ipvt", "n"),),
)
_I, _F, _offsets, _int_offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets, LAYOUT.int_offsets
M, JAC, INFO, NJEV = _I.m, _I.jac, _I.info, _I.njev

# phases: what the pending request is for
_INITIAL, _JAC, _TRIAL, _FINAL = 0, 1, 2, 3


REASON_BASE = 40
REASONS = _reasons.group("LM_")   # 40 + MINPACK's info
NONFINITE_INFO = 9   # numopt's info: the Jacobian is not finite (LM_NONFINITE_JAC)


def sizes(n, m):
    """Lengths ``(len(ws), len(iws))`` for n variables and m residuals."""
    return LAYOUT.sizes(n, m)


def init(ws, iws, x0, m, fopts, iopts):
    """Set up the run from ``x0`` (n values) for m residuals and ask for r(x0).

    ``fopts``: ftol, xtol, gtol, factor, epsfcn, diff_step (NaN for none), then with
    ``MODE = 2`` the n values of ``diag``. ``iopts``: maxfev, mode (1: scaling by the
    Jacobian's column norms, 2: ``diag`` given), the Jacobian source (``USER``,
    ``TWO_POINT``, ``THREE_POINT``, ``FDJAC2``) and 1 to evaluate the Jacobian at the
    solution. Improper input (MINPACK's ``info = 0``: ``m < n``, a negative tolerance,
    ``maxfev <= 0``, ``factor <= 0``, a ``diag`` entry not positive) ends the run at
    once, before any request.
    """
    n = x0.size
    o = _offsets(n, m)
    io = _int_offsets(n, m)
    iws[W.N] = n
    iws[M] = m
    iws[W.XR] = o.x
    iws[W.GR] = o.fvec
    iws[JAC] = o.fjac
    iws[_I.mode] = iopts[MODE]
    iws[_I.maxfev] = iopts[MAXFEV]
    iws[_I.jac_mode] = iopts[JAC_MODE]
    iws[_I.final_jac] = iopts[FINAL_JAC]
    iws[W.NIT] = 0
    iws[W.NFEV] = 0
    iws[NJEV] = 0
    iws[INFO] = 0
    ws[_F.ftol] = fopts[FTOL]
    ws[_F.xtol] = fopts[XTOL]
    ws[_F.gtol] = fopts[GTOL]
    ws[_F.factor] = fopts[FACTOR]
    ws[_F.epsfcn] = fopts[EPSFCN]
    ws[_F.diff_step] = fopts[DIFF_STEP]
    ws[_F.rel2] = fopts[REL2]
    ws[_F.rel3] = fopts[REL3]
    for j in range(n):
        ws[o.x + j] = x0[j]
        iws[io.ipvt + j] = j
        if iopts[MODE] == 2:
            ws[o.diag + j] = fopts[ARRAYS + j]
    # MINPACK's checks of its input (info 0): the front door raises before this.
    bad = not (n > 0 and m >= n and fopts[FTOL] >= 0.0 and fopts[XTOL] >= 0.0
               and fopts[GTOL] >= 0.0 and iopts[MAXFEV] > 0 and fopts[FACTOR] > 0.0)
    if iopts[MODE] == 2:
        for j in range(n):
            if not ws[o.diag + j] > 0.0:
                bad = True
    if bad:
        iws[INFO] = 0
        W.finish(iws, REASON_BASE)
        return
    iws[_I.phase] = _INITIAL
    _ask_residuals(iws, o.x, o.fvec)


@jitable
def _ask_residuals(iws, x, out):
    iws[W.X] = x
    iws[W.G] = out
    iws[W.TASK] = RESIDUALS


@jitable
def _fd_step(ws, iws, xj):
    """The finite-difference step for a variable at ``xj`` (see the module)."""
    if iws[_I.jac_mode] == FDJAC2:
        eps = math.sqrt(max(ws[_F.epsfcn], EPSMCH))
        h = eps * abs(xj)
        return eps if h == 0.0 else h
    eps = ws[_F.rel3] if iws[_I.jac_mode] == THREE_POINT else ws[_F.rel2]
    return scipy_step(xj, ws[_F.diff_step], eps)


@jitable
def _ask_jacobian(ws, iws, phase):
    """Ask for the Jacobian at x: from the driver, or column by column by differences."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    iws[_I.phase] = phase
    if iws[_I.jac_mode] == USER:
        iws[W.X] = o.x
        iws[W.TASK] = JACOBIAN
        return
    for j in range(n):
        ws[o.xe + j] = ws[o.x + j]
    iws[_I.col] = 0
    _ask_column(ws, iws, o, 0)


@jitable
def _ask_column(ws, iws, o, j):
    xj = ws[o.x + j]
    h = _fd_step(ws, iws, xj)
    if iws[_I.jac_mode] == THREE_POINT:
        # r(x - h) first, into fd2, then r(x + h) (see _take_column)
        ws[_F.dx] = h
        iws[_I.half] = 0
        ws[o.xe + j] = xj - h
        _ask_residuals(iws, o.xe, o.fd2)
        return
    ws[o.xe + j] = xj + h
    # scipy divides by the step actually taken, MINPACK by h
    ws[_F.dx] = h if iws[_I.jac_mode] == FDJAC2 else (xj + h) - xj
    _ask_residuals(iws, o.xe, o.fd)


@jitable
def _take_column(ws, iws, o, n, m):
    """Store a difference quotient; True once the Jacobian is complete."""
    j = iws[_I.col]
    dx = ws[_F.dx]
    c = o.fjac + j * m
    if iws[_I.jac_mode] == THREE_POINT:
        xj = ws[o.x + j]
        if iws[_I.half] == 0:
            iws[_I.half] = 1
            ws[o.xe + j] = xj + dx
            _ask_residuals(iws, o.xe, o.fd)
            return False
        dx = (xj + dx) - (xj - dx)
        for i in range(m):
            ws[c + i] = (ws[o.fd + i] - ws[o.fd2 + i]) / dx
    else:
        for i in range(m):
            ws[c + i] = (ws[o.fd + i] - ws[o.fvec + i]) / dx
    ws[o.xe + j] = ws[o.x + j]
    if iws[_I.jac_mode] == FDJAC2 and iws[_I.phase] != _FINAL:
        iws[W.NFEV] += 1
    j += 1
    if j < n:
        iws[_I.col] = j
        _ask_column(ws, iws, o, j)
        return False
    return True


def step(ws, iws):
    """Consume the evaluation asked for, and make the next request (or stop)."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    phase = iws[_I.phase]
    if phase == _INITIAL:
        iws[W.NFEV] = 1
        ws[_F.fnorm] = enorm(ws, o.fvec, m)
        ws[W.FR] = 0.5 * ws[_F.fnorm] * ws[_F.fnorm]
        ws[_F.par] = 0.0
        iws[_I.iter] = 1
        _ask_jacobian(ws, iws, _JAC)
        return
    if phase == _TRIAL:
        _trial(ws, iws)
        return
    # A Jacobian (or one column of it) has arrived.
    if iws[_I.jac_mode] != USER and not _take_column(ws, iws, o, n, m):
        return
    if phase == _FINAL:
        W.finish(iws, REASON_BASE + iws[INFO])
        return
    iws[NJEV] += 1
    if not W.all_finite(ws, o.fjac, m * n):   # MINPACK would go on, and claim gtol
        iws[INFO] = NONFINITE_INFO
        W.finish(iws, _reasons.LM_NONFINITE_JAC)
        return
    _outer(ws, iws)


@jitable
def _stop(ws, iws, info):
    """End the run with MINPACK's ``info`` (after the final Jacobian, if asked for)."""
    iws[INFO] = info
    if iws[_I.final_jac] != 0:
        _ask_jacobian(ws, iws, _FINAL)
    else:
        W.finish(iws, REASON_BASE + info)


@jitable
def _outer(ws, iws):
    """lmder's outer iteration, from the Jacobian at x to the first trial step."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    io = _int_offsets(n, m)
    fjac = o.fjac
    qrfac(ws, fjac, m, m, n, iws, io.ipvt, o.wa1, o.wa2, o.wa3)
    if iws[_I.iter] == 1:
        # Scale by the column norms (mode 1); the first radius is factor * ||D x||.
        if iws[_I.mode] != 2:
            for j in range(n):
                a = ws[o.wa2 + j]
                ws[o.diag + j] = 1.0 if a == 0.0 else a
        for j in range(n):
            ws[o.wa3 + j] = ws[o.diag + j] * ws[o.x + j]
        ws[_F.xnorm] = enorm(ws, o.wa3, n)
        delta = ws[_F.factor] * ws[_F.xnorm]
        ws[_F.delta] = ws[_F.factor] if delta == 0.0 else delta
    # Q^T fvec: its first n components go to qtf; R's diagonal back into fjac.
    for i in range(m):
        ws[o.wa4 + i] = ws[o.fvec + i]
    for j in range(n):
        cj = fjac + j * m
        if ws[cj + j] != 0.0:
            s = 0.0
            for i in range(j, m):
                s += ws[cj + i] * ws[o.wa4 + i]
            t = -s / ws[cj + j]
            for i in range(j, m):
                ws[o.wa4 + i] = ws[o.wa4 + i] + ws[cj + i] * t
        ws[cj + j] = ws[o.wa1 + j]
        ws[o.qtf + j] = ws[o.wa4 + j]
    # The scaled gradient's largest cosine with the residuals.
    gnorm = 0.0
    fnorm = ws[_F.fnorm]
    if fnorm != 0.0:
        for j in range(n):
            l = iws[io.ipvt + j]
            if ws[o.wa2 + l] != 0.0:
                cj = fjac + j * m
                s = 0.0
                for i in range(j + 1):
                    s += ws[cj + i] * (ws[o.qtf + i] / fnorm)
                gnorm = max(gnorm, abs(s / ws[o.wa2 + l]))
    ws[_F.gnorm] = gnorm
    if gnorm <= ws[_F.gtol]:
        _stop(ws, iws, 4)
        return
    if iws[_I.mode] != 2:
        for j in range(n):
            ws[o.diag + j] = max(ws[o.diag + j], ws[o.wa2 + j])
    _ask_trial(ws, iws)


@jitable
def _ask_trial(ws, iws):
    """lmder's inner loop up to the evaluation: the step p, and r at x + p."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    io = _int_offsets(n, m)
    ws[_F.par] = lmpar(ws, o.fjac, m, n, iws, io.ipvt, o.diag, o.qtf, ws[_F.delta],
                       ws[_F.par], o.wa1, o.wa2, o.wa3, o.wa4)
    for j in range(n):
        ws[o.wa1 + j] = -ws[o.wa1 + j]
        ws[o.wa2 + j] = ws[o.x + j] + ws[o.wa1 + j]
        ws[o.wa3 + j] = ws[o.diag + j] * ws[o.wa1 + j]
    pnorm = enorm(ws, o.wa3, n)
    ws[_F.pnorm] = pnorm
    if iws[_I.iter] == 1:
        ws[_F.delta] = min(ws[_F.delta], pnorm)
    iws[_I.phase] = _TRIAL
    _ask_residuals(iws, o.wa2, o.wa4)


@jitable
def _trial(ws, iws):
    """lmder's inner loop after the evaluation: the ratio of actual to predicted
    reduction, the new radius, acceptance, and the termination tests."""
    n, m = iws[W.N], iws[M]
    o = _offsets(n, m)
    io = _int_offsets(n, m)
    iws[W.NFEV] += 1
    fnorm = ws[_F.fnorm]
    fnorm1 = enorm(ws, o.wa4, m)
    pnorm = ws[_F.pnorm]
    par = ws[_F.par]
    delta = ws[_F.delta]
    actred = -1.0
    if 0.1 * fnorm1 < fnorm:
        t = fnorm1 / fnorm
        actred = 1.0 - t * t
    # The predicted reduction and the directional derivative, from R P^T p.
    for j in range(n):
        ws[o.wa3 + j] = 0.0
        t = ws[o.wa1 + iws[io.ipvt + j]]
        cj = o.fjac + j * m
        for i in range(j + 1):
            ws[o.wa3 + i] = ws[o.wa3 + i] + ws[cj + i] * t
    temp1 = enorm(ws, o.wa3, n) / fnorm
    temp2 = (math.sqrt(par) * pnorm) / fnorm
    prered = temp1 * temp1 + temp2 * temp2 / 0.5
    dirder = -(temp1 * temp1 + temp2 * temp2)
    ratio = 0.0
    if prered != 0.0:
        ratio = actred / prered
    if ratio <= 0.25:
        if actred >= 0.0:
            t = 0.5
        else:
            t = 0.5 * dirder / (dirder + 0.5 * actred)
        if 0.1 * fnorm1 >= fnorm or t < 0.1:
            t = 0.1
        delta = t * min(delta, pnorm / 0.1)
        par = par / t
    elif par == 0.0 or ratio >= 0.75:
        delta = pnorm / 0.5
        par = 0.5 * par
    ws[_F.delta] = delta
    ws[_F.par] = par
    ws[_F.actred] = actred
    ws[_F.prered] = prered
    ws[_F.ratio] = ratio
    ws[_F.fnorm1] = fnorm1
    accepted = ratio >= 1e-4
    if accepted:
        for j in range(n):
            ws[o.x + j] = ws[o.wa2 + j]
            ws[o.wa2 + j] = ws[o.diag + j] * ws[o.x + j]
        for i in range(m):
            ws[o.fvec + i] = ws[o.wa4 + i]
        ws[_F.xnorm] = enorm(ws, o.wa2, n)
        ws[_F.fnorm] = fnorm1
        ws[W.FR] = 0.5 * fnorm1 * fnorm1
        iws[_I.iter] += 1
        iws[W.NIT] += 1
    xnorm = ws[_F.xnorm]
    ftol, xtol = ws[_F.ftol], ws[_F.xtol]
    info = 0
    small_f = abs(actred) <= ftol and prered <= ftol and 0.5 * ratio <= 1.0
    if small_f:
        info = 1
    if delta <= xtol * xnorm:
        info = 3 if small_f else 2
    if info != 0:
        _stop(ws, iws, info)
        return
    if iws[W.NFEV] >= iws[_I.maxfev]:
        info = 5
    if abs(actred) <= EPSMCH and prered <= EPSMCH and 0.5 * ratio <= 1.0:
        info = 6
    if delta <= EPSMCH * xnorm:
        info = 7
    if ws[_F.gnorm] <= EPSMCH:
        info = 8
    if info != 0:
        _stop(ws, iws, info)
        return
    if accepted:
        _ask_jacobian(ws, iws, _JAC)
    else:
        _ask_trial(ws, iws)
