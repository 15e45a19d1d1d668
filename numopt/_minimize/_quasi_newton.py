"""What BFGS and CG share: scipy's evaluation-driven step around ``_line_search_wolfe12``.

scipy 1.17's ``_minimize_bfgs`` and ``_minimize_cg`` run the same frame around different
directions: an iterate ``x_k`` with gradient ``g_k``, a direction ``p_k``, the first trial
step of ``scalar_search_wolfe1``, the Moré-Thuente search (:mod:`._linesearch`) and, when
it fails, ``line_search_wolfe2`` (:mod:`._wolfe2`); both evaluate through a
``ScalarFunction`` that does not evaluate the point it evaluated last again. This module
is that frame, written once, for the state machines of :mod:`._bfgs` and :mod:`._cg`:

- the slots both read (:func:`layout` puts them first in a method's :class:`.Layout`, so
  the scalar indices :data:`I` and :data:`F` here are the method's too; array slots are
  read through the offsets ``o`` the method passes in);
- :func:`start`, the part of ``init`` they share;
- the evaluation wrapper of every ``step`` (:func:`receive`, then the method's own
  ``consume``, then :func:`again`), which counts evaluations, keeps the best point,
  stops on non-finite values and skips re-evaluating the point evaluated last;
- :func:`start_search`, :func:`start_wolfe2` and :func:`request`: the line searches'
  starts and their requests for a trial point.

A method's ``step`` is then::

    def step(ws, iws, f):
        o = _offsets(iws[W.N])
        if Q.receive(ws, iws, o, f):
            _consume(ws, iws, f)
            while Q.again(ws, iws, o):
                _consume(ws, iws, ws[F.fl])

Non-finite values (API.md section 5): NaN, -inf, or +inf at x0 stop the run with reason
``NONFINITE`` at the best point evaluated (:func:`._workspace.stop_at_best`), with the
value the objective returned there; at x0 that is the NaN or inf itself, for both methods,
as scipy's ``fun`` (its ``old_fval``) is f(x0) when a run ends there. +inf at a trial point
is a value the line searches back away from, as in scipy; a run that then fails ends the
same way, where scipy reports "precision loss" at its last iterate.
"""
import math

import numpy as np

from . import _reasons as R
from . import _workspace as W
from ._layout import Layout
from ._linesearch import FG, LS_SIZE, dcsrch_start
from ._standalone import jitable
from ._wolfe2 import W2_SIZE, wolfe2_start

__all__ = ["layout", "I", "F", "INITIAL", "SEARCH", "SEARCH2", "start", "receive", "again",
           "request", "start_search", "start_wolfe2"]

# Phases: what the evaluation asked for last is.
INITIAL = 0     # f and g at x0
SEARCH = 1      # a trial step of the Moré-Thuente search
SEARCH2 = 2     # a trial step of line_search_wolfe2

INTS = ("phase", "maxiter",
        "inf")          # 1 once the objective returned +inf at a trial point
FLOATS = ("gtol", "norm", "c1", "c2",
          "old_fval",   # f at the previous iterate (scipy's old_old_fval)
          "phi0",       # f at the iterate the running line search started from
          "derphi0",    # g_k . p_k
          "fl",         # f at the point evaluated last
          "fb")         # the lowest f evaluated (see receive)
ARRAYS = (("xk", "n"),  # current iterate
          ("gk", "n"),  # its gradient
          ("pk", "n"),  # search direction
          ("xt", "n"),  # trial point
          ("gt", "n"),  # gradient at the point evaluated last
          ("xl", "n"),  # the point evaluated last
          ("xb", "n"),  # the best point evaluated, and its gradient
          ("gb", "n"),
          ("ls", LS_SIZE),      # Moré-Thuente state
          ("l2", W2_SIZE))      # wolfe2 state

_SHARED = Layout("quasi_newton", ints=INTS, floats=FLOATS, arrays=ARRAYS)
I, F = _SHARED.i, _SHARED.f


def layout(name, *, floats=(), arrays=()):
    """A quasi-Newton method's :class:`.Layout`: the slots of this module, then the
    method's own ``floats`` and ``arrays`` (scalar indices :data:`I` and :data:`F` hold
    in it)."""
    return Layout(name, ints=INTS, floats=FLOATS + tuple(floats),
                  arrays=ARRAYS + tuple(arrays))


@jitable
def start(ws, iws, o, x0, gtol, norm, c1, c2, maxiter):
    """Set the header, the options and x_k = x0, and ask for f and g at x0."""
    n = x0.size
    iws[W.N] = n
    iws[W.X] = o.xt
    iws[W.G] = o.gt
    iws[W.XR] = o.xk
    iws[W.GR] = o.gk
    iws[I.maxiter] = maxiter
    ws[F.gtol] = gtol
    ws[F.norm] = norm
    ws[F.c1] = c1
    ws[F.c2] = c2
    ws[F.fb] = np.inf
    for i in range(n):
        ws[o.xt + i] = x0[i]
        ws[o.xk + i] = x0[i]
    iws[I.inf] = 0
    iws[I.phase] = INITIAL
    iws[W.TASK] = W.EVALUATE


@jitable
def request(ws, iws, o, stp, phase):
    """Ask for f and g at x_k + stp p_k."""
    for i in range(iws[W.N]):
        ws[o.xt + i] = ws[o.xk + i] + stp * ws[o.pk + i]
    iws[I.phase] = phase
    iws[W.TASK] = W.EVALUATE


@jitable
def start_search(ws, iws, o, derphi0, extra):
    """Start ``_line_search_wolfe12`` from x_k along p_k (``derphi0 = g_k . p_k``):
    Moré-Thuente with ``scalar_search_wolfe1``'s first step and tolerances, else (it
    cannot start) :func:`start_wolfe2` with ``extra``."""
    phi0 = ws[W.FR]
    ws[F.phi0] = phi0
    ws[F.derphi0] = derphi0
    alpha1 = 1.0
    if derphi0 != 0:
        alpha1 = 1.01 * 2 * (phi0 - ws[F.old_fval]) / derphi0
        alpha1 = alpha1 if alpha1 < 1.0 else 1.0   # Python's min(1.0, alpha1), NaN too
        if alpha1 < 0:
            alpha1 = 1.0
    stp, task = dcsrch_start(ws[o.ls:o.ls + LS_SIZE], phi0, derphi0, alpha1, ws[F.c1],
                             ws[F.c2], 1e-14, 1e-100, 1e100)
    if task == FG:
        request(ws, iws, o, stp, SEARCH)
    else:
        start_wolfe2(ws, iws, o, extra)


@jitable
def start_wolfe2(ws, iws, o, extra):
    """The Moré-Thuente search failed: scipy's ``line_search_wolfe2`` from the same start
    (``amax=1e100``; ``extra``: it asks for the method's extra condition, CG's), or, if
    it cannot start, the end of the run with "precision loss"."""
    stp, task = wolfe2_start(ws[o.l2:o.l2 + W2_SIZE], ws[F.phi0], ws[F.derphi0],
                             ws[F.old_fval], ws[F.c1], ws[F.c2], 1e100, 10, extra)
    if task == FG:
        request(ws, iws, o, stp, SEARCH2)
    else:
        W.finish(iws, R.PRECISION_LOSS)


@jitable
def _stop_nonfinite(ws, iws, o, f):
    """Stop at the best point evaluated (see ``W.stop_at_best``)."""
    first = iws[I.phase] == INITIAL
    if first:  # the result is x0: its gradient is the one just evaluated there
        for i in range(iws[W.N]):
            ws[o.gk + i] = ws[o.gt + i]
    W.stop_at_best(ws, iws, f, first, F.fb, o.xb, o.gb, o.xk, o.gk)


@jitable
def receive(ws, iws, o, f):
    """Take the evaluation ``f`` (its gradient at ``o.gt``) of the trial point; return
    whether the method is to consume it (False: the run stopped on a non-finite value)."""
    iws[W.NFEV] += 1
    # NaN, -inf (below every finite value: a line search would take it), or +inf at x0.
    if f != f or f == -math.inf or (f == math.inf and iws[I.phase] == INITIAL):
        _stop_nonfinite(ws, iws, o, f)
        return False
    # +inf at a trial point is a value the line searches can back away from, as in
    # scipy; if the run then fails, it ends as for a NaN (see again).
    if f == math.inf:
        iws[I.inf] = 1
    elif f < ws[F.fb]:
        W.remember_best(ws, iws[W.N], f, F.fb, o.xt, o.gt, o.xb, o.gb)
    for i in range(iws[W.N]):
        ws[o.xl + i] = ws[o.xt + i]
    ws[F.fl] = f
    return True


@jitable
def again(ws, iws, o):
    """After the method consumed an evaluation: whether it asked for the point evaluated
    last once more, which scipy's ``ScalarFunction`` does not evaluate again (the method
    then consumes ``ws[F.fl]`` and its gradient, still at ``o.gt``, once more)."""
    if iws[W.TASK] != W.EVALUATE:
        if iws[I.inf] != 0 and (iws[W.REASON] == R.PRECISION_LOSS or ws[W.FR] == math.inf):
            # The line searches failed after +inf values (or took one): NONFINITE at
            # the best point evaluated, as for a NaN, not "precision loss".
            _stop_nonfinite(ws, iws, o, ws[F.fl])
        return False
    for i in range(iws[W.N]):
        if ws[o.xt + i] != ws[o.xl + i]:
            return False
    return True
