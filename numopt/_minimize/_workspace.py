"""The workspace convention every method's state machine follows.

A method keeps all of its state in one float64 array ``ws`` and one int64 array
``iws``; both start with the header below, which is all a driver reads. The method's
``step(ws, iws, f)`` consumes the value ``f`` (and the gradient, already written into
``ws`` at ``iws[G]``) of the point it asked for, and either asks for the next one
(``iws[TASK] == EVALUATE``, the point at ``ws[iws[X]:iws[X] + n]``) or stops
(``iws[TASK] == DONE``, with a termination reason from :mod:`._reasons`).

Because the state is two flat arrays and a step never calls the objective, the same
step functions serve a Python loop, a compiled loop, a ``prange`` over the rows of a
2-D workspace and one CUDA thread per problem.
"""
import numpy as np

from . import _reasons
from ._standalone import jitable

# iws header
TASK = 0        # EVALUATE or DONE
N = 1           # number of variables
X = 2           # offset in ws of the point to evaluate next
G = 3           # offset in ws where that point's gradient goes
XR = 4          # offset in ws of the current iterate (the result so far)
GR = 5          # offset in ws of its gradient
NIT = 6         # iterations completed
NFEV = 7        # objective evaluations (fg calls)
REASON = 8      # termination reason, one of numopt._minimize._reasons
HEADER_INTS = 9

# ws header
FR = 0          # objective value at the current iterate
HEADER_FLOATS = 1

# tasks
DONE = 0
EVALUATE = 1

# An exception inside compiled code cannot cross the first-class function call by which
# every compiled loop reaches its objective (numba would print "Exception ignored" and
# return 0.0). So each compiled adapter catches it and returns RAISED instead: a quiet
# NaN whose payload (the bytes of "numopt") no arithmetic produces. A loop that receives
# it stops the problem with reason RAISED_REASON, the point still at iws[X]; the front
# door then evaluates the objective there once more from Python, which raises the
# user's own exception (see numopt._minimize._objective.reraise).
RAISED_BITS = 0x7FF86E756D6F7074
RAISED = float(np.array(RAISED_BITS, dtype=np.int64).view(np.float64))
RAISED_REASON = _reasons.RAISED


@jitable
def raised(f):
    """Whether the value ``f`` is :data:`RAISED` (an adapter caught an exception)."""
    return f != f and np.float64(f).view(np.int64) == RAISED_BITS


@jitable
def all_finite(ws, at, k):
    """Whether ``ws[at:at + k]`` holds no NaN and no infinity."""
    for i in range(k):
        v = ws[at + i]
        if not v - v == 0.0:   # NaN - NaN and inf - inf are NaN
            return False
    return True


@jitable
def finish(iws, reason):
    """End the run with a termination reason, one of :mod:`._reasons`."""
    iws[TASK] = DONE
    iws[REASON] = reason


# The best point evaluated (API.md section 5): a method that can stop on a NaN or an
# infinite value keeps the lowest f it has seen, at ws[fb], with its point and gradient
# at ws[xb:xb + n] and ws[gb:gb + n], and ends the run there.
@jitable
def remember_best(ws, n, f, fb, xt, gt, xb, gb):
    """Keep the point ``ws[xt:xt + n]`` (gradient at ``gt``), whose value ``f`` is the
    lowest seen so far, as the best point."""
    for i in range(n):
        ws[xb + i] = ws[xt + i]
        ws[gb + i] = ws[gt + i]
    ws[fb] = f


@jitable
def stop_at_best(ws, iws, f, first, fb, xb, gb, xr, gr):
    """Stop with reason ``NONFINITE`` (the objective returned NaN or infinity): at the
    best point kept by :func:`remember_best` if it is lower than the iterate at ``xr``
    (gradient at ``gr``), with the value the objective returned there; at the first
    evaluation (``first``), with the non-finite ``f`` itself."""
    n = iws[N]
    if first:
        ws[FR] = f
    elif ws[fb] < ws[FR]:
        for i in range(n):
            ws[xr + i] = ws[xb + i]
            ws[gr + i] = ws[gb + i]
        ws[FR] = ws[fb]
    finish(iws, _reasons.NONFINITE)
