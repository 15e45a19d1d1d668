r"""torch's L-BFGS (``torch.optim.LBFGS.step``) as a reverse-communication state machine.

One algorithm, two drivers: ``minimize(method="LBFGS")`` runs this state machine like
every method (a Python loop or a compiled loop, see :mod:`._drivers`), and
:class:`numopt.optim.LBFGS` drives the very same ``begin``/``step`` from Python, calling
the user's closure whenever the machine asks for an evaluation. The state machine keeps
torch's state (``func_evals``, ``n_iter``, ``d``, ``t``, the history ``old_dirs``,
``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``) in the
workspace between calls, so ``optim.LBFGS`` can continue it step after step.

One run (one torch ``step()``) is::

    f, g = f(x), grad(x);  stop if max|g| <= tolerance_grad
    repeat (at most max_iter times):
        d = -H g  (two-loop recursion over the last history_size pairs (s, y),
                   H_0 = (s^T y / y^T y) I; a pair is kept only if s^T y > 1e-10)
        t = min(1, 1 / sum|g|) lr on the very first iteration, else lr
        stop if g^T d > -tolerance_change
        line_search_fn="strong_wolfe": t from torch's strong-Wolfe search
            (:mod:`._strong_wolfe`, c1 = 1e-4, c2 = 0.9, at most max_eval - evals
            evaluations); x += t d
        else: x += t d, then f, g = f(x), grad(x)  (not after the max_iter-th step)
        stop if max_iter iterations, max_eval evaluations, max|g| <= tolerance_grad,
            max|t d| <= tolerance_change or |f - f_prev| < tolerance_change

The arithmetic follows torch 2.13 operation by operation, in the parameters' precision
(``SINGLE``: float32 rounding after each operation torch does on float32 tensors; see
:mod:`._strong_wolfe` for the typing of scalars). What remains different from torch:
dot products and sums of 4 or more elements (torch calls BLAS, which sums in blocks;
here float64 sums are sequential and float32 ones are accumulated in float64 and
rounded once), torch's fused multiply-add in float64 ``add_(other, alpha=...)`` (here
a multiply and an add), and torch's float32 ``sqrt``, which is not correctly rounded
on every CPU: a few ulps per operation.

minimize(method="LBFGS")
------------------------
One ``minimize`` call is one torch ``LBFGS.step()`` from ``x0`` with fresh state:
``minimize(fun, x0, method="LBFGS", options=o)`` gives the ``x`` that
``optim.LBFGS([p], **o).step(closure)`` leaves in ``p``, bit for bit (float64).

Options (torch's constructor arguments, with torch's defaults)

lr : float, default 1
max_iter : int, default 20
    torch's ``max_iter``: iterations of the one ``step()``. ``maxiter`` (scipy's name)
    is accepted for it; giving both with different values is an error.
max_eval : int, default ``max_iter * 5 // 4``
tolerance_grad : float, default 1e-7
tolerance_change : float, default 1e-9
    ``minimize(tol=...)`` sets both tolerances.
history_size : int, default 100
    At most 100 until ``minimize`` sizes workspaces from the options.
line_search_fn : {None, "strong_wolfe"}, default None
    None takes fixed steps of length ``lr`` (torch's default); "strong_wolfe" is what
    most deterministic problems need.
disp : ignored

Result: ``nit`` is torch's ``n_iter`` (the iterations started, including a last one
that stops on ``g^T d > -tolerance_change`` without moving); ``nfev`` counts every
evaluation: torch's ``func_evals``, plus one when a fixed-step run ends on
``max_iter`` (torch does not evaluate that last point; ``minimize`` does, so that
``fun`` and ``jac`` belong to ``x``). Reasons: 30 (``max|g| <= tolerance_grad``),
31 (a change below ``tolerance_change``), 32 (``max_iter``), 33 (``max_eval``), 5 (a NaN
or infinite objective value, or a NaN gradient: the run stops there, with the lowest
finite point evaluated as the result, its value and gradient; at ``x0``, ``x0`` with the
value returned there). torch's algorithm has no notion of an infinite value: it would
take the step (``optim.LBFGS`` does, as torch).

Layout: the header of :mod:`._workspace`, then the scalars below, then ``ro`` (per
history slot) and ``al`` (torch's list, by history position), eight vectors (the iterate
``x``, its gradient, the trial point, ``d``, ``prev_flat_grad`` and the line search's
three gradient buffers), the history ``y`` and ``s`` as two ``(history_size, n)`` ring
buffers, and the line search's state, then (for ``minimize``) the best point evaluated (see
:func:`_best_offsets`).
"""
import math
import sys

import numpy as np
from numba.extending import register_jitable

from .._checks import _check_lr, _not_nan, _real
from . import _workspace as W
from ._registry import UNLIMITED, Method, Option, ignored
from ._strong_wolfe import DONE as SW_DONE
from ._strong_wolfe import SW_F, SW_GBUF, SW_SIZE, SW_TT, rd, sw_start, sw_step

# Option arrays given to init / begin.
LR, TOLERANCE_GRAD, TOLERANCE_CHANGE = range(3)                                 # fopts
MAX_ITER, MAX_EVAL, HISTORY_SIZE, LINE_SEARCH, SINGLE, FINAL_EVAL, STOP_ON_NAN = range(7)  # iopts
N_FOPTS, N_IOPTS = 3, 7

DEFAULT_HISTORY = 100
# torch's _strong_wolfe defaults (LBFGS.step passes none of them but max_ls).
C1, C2, LS_TOLERANCE_CHANGE = 1e-4, 0.9, 1e-9

# Termination reasons (numopt._result.REASONS).
R_GRAD, R_CHANGE, R_MAXITER, R_MAXEVAL, R_NAN = 30, 31, 32, 33, 5

# Integer state (iws, after the header).
_PHASE = W.HEADER_INTS
_MAXITER = _PHASE + 1
_MAXEVAL = _PHASE + 2
_M = _PHASE + 3          # history capacity (history_size)
_LS = _PHASE + 4         # 1: strong Wolfe line search
_SINGLE = _PHASE + 5
_FINAL = _PHASE + 6
_STOPNAN = _PHASE + 7
FUNC_EVALS = _PHASE + 8  # torch's state["func_evals"] (over all runs)
N_ITER = _PHASE + 9      # torch's state["n_iter"] (over all runs)
_NITER = _PHASE + 10     # torch's local n_iter (this run)
_CUREVALS = _PHASE + 11  # torch's current_evals (this run)
K = _PHASE + 12          # pairs in the history
START = _PHASE + 13      # ring slot of the oldest pair
HAS_D = _PHASE + 14      # torch's state has d, t, old_dirs, ... (a run reached its loop)
HAS_AL = _PHASE + 15     # torch's state has "al"
_TT = _PHASE + 16        # 1 if t is a tensor in torch (float32 typing)
_NI = _PHASE + 17

# Float state (ws, after the header). ws[W.FR] is torch's `loss`.
_LR = W.HEADER_FLOATS
_TOLG = _LR + 1
_TOLC = _LR + 2
T = _LR + 3              # torch's t
H_DIAG = _LR + 4
PREV_LOSS = _LR + 5
_NS = _LR + 6

_INITIAL, _SEARCH, _FIXED, _REPORT = 0, 1, 2, 3


def sizes(n, fopts=None, iopts=None):
    """Lengths of ``ws`` and ``iws`` for ``n`` variables and the history size in
    ``iopts`` (default 100)."""
    m = DEFAULT_HISTORY if iopts is None else int(iopts[HISTORY_SIZE])
    return _NS + 2 * m + 8 * n + 2 * m * n + SW_SIZE + 1 + 2 * n, _NI


@register_jitable
def offsets(n, m):
    """Offsets in ``ws`` of: ro, al, x, g, trial x, d, prev_flat_grad, the three scratch
    gradients, the y ring, the s ring, the line search state."""
    ro = _NS
    al = ro + m
    xk = al + m
    gk = xk + n
    xt = gk + n
    d = xt + n
    pg = d + n
    s1 = pg + n
    ys = s1 + 3 * n
    ss = ys + m * n
    ls = ss + m * n
    return ro, al, xk, gk, xt, d, pg, s1, ys, ss, ls


@register_jitable
def _best_offsets(n, m):
    """Offsets in ``ws`` (after the line search's state) of the lowest finite f
    evaluated, its point and its gradient: ``minimize``'s result when a non-finite
    value stops the run (``STOP_ON_NAN``); ``optim.LBFGS`` never writes them."""
    fb = offsets(n, m)[10] + SW_SIZE
    return fb, fb + 1, fb + 1 + n


@register_jitable
def _gbuf(k, gk, s1, n):
    """Offset of the line search's gradient buffer ``k`` (0: the iterate's gradient)."""
    return gk if k == 0 else s1 + (k - 1) * n


@register_jitable
def _max_abs(ws, lo, n):
    """torch's ``v.abs().max()``: NaN propagates."""
    m = 0.0
    for i in range(n):
        v = abs(ws[lo + i])
        if v != v:
            return v
        if v > m:
            m = v
    return m


@register_jitable
def _dot(ws, a, b, n, s):
    """``v.dot(w)``. float32: vectors shorter than 4 are accumulated in order in float32
    (as torch's BLAS call does), longer ones in float64 and rounded once (torch's BLAS
    sums in blocks; this is as close to it as an order-free rule gets, and accurate for
    long vectors)."""
    acc = 0.0
    if s and n < 4:
        for i in range(n):
            acc = rd(acc + rd(ws[a + i] * ws[b + i], s), s)
        return acc
    for i in range(n):
        acc += ws[a + i] * ws[b + i]
    return rd(acc, s)


@register_jitable
def _sum_abs(ws, lo, n, s):
    """``v.abs().sum()``, with :func:`_dot`'s accumulation rule."""
    acc = 0.0
    if s and n < 4:
        for i in range(n):
            acc = rd(acc + abs(ws[lo + i]), s)
        return acc
    for i in range(n):
        acc += abs(ws[lo + i])
    return rd(acc, s)


@register_jitable
def _has_nan(ws, lo, n):
    for i in range(n):
        if ws[lo + i] != ws[lo + i]:
            return True
    return False


@register_jitable
def _copy(ws, dst, src, n):
    for i in range(n):
        ws[dst + i] = ws[src + i]


@register_jitable
def _move(ws, dst, x, t, d, n, s):
    """``dst = x + t d`` as torch's ``p.add_(d, alpha=t)`` (t cast to the params' dtype)."""
    tr = rd(t, s)
    for i in range(n):
        ws[dst + i] = rd(ws[x + i] + tr * ws[d + i], s)


@register_jitable
def _configure(ws, iws, fopts, iopts):
    iws[_MAXITER] = iopts[MAX_ITER]
    iws[_MAXEVAL] = iopts[MAX_EVAL]
    iws[_LS] = iopts[LINE_SEARCH]
    iws[_SINGLE] = iopts[SINGLE]
    iws[_FINAL] = iopts[FINAL_EVAL]
    iws[_STOPNAN] = iopts[STOP_ON_NAN]
    ws[_LR] = fopts[LR]
    ws[_TOLG] = fopts[TOLERANCE_GRAD]
    ws[_TOLC] = fopts[TOLERANCE_CHANGE]


def begin(ws, iws, x0, fopts, iopts):
    """Start one run (one torch ``step()``) from ``x0``, keeping the state of earlier
    runs (history, counters). The options may differ from the previous run's, except
    the history size, which fixes the layout."""
    _begin(ws, iws, x0, fopts, iopts)


@register_jitable
def _begin(ws, iws, x0, fopts, iopts):
    n = x0.size
    ro, al, xk, gk, xt, d, pg, s1, ys, ss, ls = offsets(n, iws[_M])
    _configure(ws, iws, fopts, iopts)
    for i in range(n):
        ws[xk + i] = x0[i]
    iws[W.N] = n
    iws[W.X] = xk          # the first evaluation is at the current point itself
    iws[W.G] = gk
    iws[W.XR] = xk
    iws[W.GR] = gk
    iws[W.NIT] = 0
    iws[W.NFEV] = 0
    iws[W.REASON] = 0
    iws[_NITER] = 0
    iws[_CUREVALS] = 0
    iws[_PHASE] = _INITIAL
    iws[W.TASK] = W.EVALUATE
    if iws[_STOPNAN] != 0:
        ws[_best_offsets(n, iws[_M])[0]] = np.inf


def init(ws, iws, x0, fopts, iopts):
    """Start from a fresh state (no history, counters at 0): torch's first ``step()``."""
    iws[_M] = iopts[HISTORY_SIZE]
    iws[FUNC_EVALS] = 0
    iws[N_ITER] = 0
    iws[K] = 0
    iws[START] = 0
    iws[HAS_D] = 0
    iws[HAS_AL] = 0
    iws[_TT] = 0
    ws[T] = 0.0
    ws[H_DIAG] = 1.0
    ws[PREV_LOSS] = 0.0
    _begin(ws, iws, x0, fopts, iopts)


@register_jitable
def _update_memory(ws, iws, n, m, ro, gk, d, pg, s1, ys, ss, s):
    """Append the pair ``y = g - prev_g``, ``s = t d`` if ``y^T s > 1e-10`` (dropping the
    oldest pair when full) and update ``H_diag``. ``y`` and ``s`` are formed in two of
    the line search's scratch buffers (free between iterations)."""
    t = rd(ws[T], s)
    yt, st = s1, s1 + n
    for i in range(n):
        ws[yt + i] = rd(ws[gk + i] - ws[pg + i], s)
        ws[st + i] = rd(ws[d + i] * t, s)
    sy = _dot(ws, yt, st, n, s)
    if not sy > rd(1e-10, s):
        return
    if iws[K] == m:
        iws[START] = (iws[START] + 1) % m
        iws[K] -= 1
    slot = (iws[START] + iws[K]) % m
    _copy(ws, ys + slot * n, yt, n)
    _copy(ws, ss + slot * n, st, n)
    ws[ro + slot] = rd(1.0 / sy, s)
    iws[K] += 1
    ws[H_DIAG] = rd(sy / _dot(ws, yt, yt, n, s), s)


@register_jitable
def _two_loop(ws, iws, n, m, ro, al, gk, d, ys, ss, s):
    """``d = -H g`` by torch's collapsed two-loop recursion (``q`` and ``r`` live in ``d``)."""
    k, start = iws[K], iws[START]
    for i in range(n):
        ws[d + i] = -ws[gk + i]
    for j in range(k - 1, -1, -1):
        slot = (start + j) % m
        yo, so = ys + slot * n, ss + slot * n
        a = rd(_dot(ws, so, d, n, s) * ws[ro + slot], s)
        ws[al + j] = a
        for i in range(n):
            ws[d + i] = rd(ws[d + i] - a * ws[yo + i], s)
    h = ws[H_DIAG]
    for i in range(n):
        ws[d + i] = rd(ws[d + i] * h, s)
    for j in range(k):
        slot = (start + j) % m
        yo, so = ys + slot * n, ss + slot * n
        be = rd(_dot(ws, yo, d, n, s) * ws[ro + slot], s)
        c = rd(ws[al + j] - be, s)
        for i in range(n):
            ws[d + i] = rd(ws[d + i] + c * ws[so + i], s)


@register_jitable
def _iterate(ws, iws):
    """The head of torch's ``while n_iter < max_iter`` loop: a direction, a first step,
    and the first evaluation of the iteration (or the end of the run)."""
    n, m = iws[W.N], iws[_M]
    s = iws[_SINGLE] != 0
    ro, al, xk, gk, xt, d, pg, s1, ys, ss, ls = offsets(n, m)
    if iws[_NITER] >= iws[_MAXITER]:
        W.finish(iws, R_MAXITER)
        return
    iws[_NITER] += 1
    iws[N_ITER] += 1
    iws[HAS_D] = 1
    if iws[N_ITER] == 1:
        for i in range(n):
            ws[d + i] = -ws[gk + i]
        iws[K] = 0
        iws[START] = 0
        ws[H_DIAG] = 1.0
    else:
        _update_memory(ws, iws, n, m, ro, gk, d, pg, s1, ys, ss, s)
        if iws[HAS_AL] == 0:
            for j in range(m):
                ws[al + j] = np.nan   # torch's [None] * history_size
            iws[HAS_AL] = 1
        _two_loop(ws, iws, n, m, ro, al, gk, d, ys, ss, s)
    _copy(ws, pg, gk, n)
    ws[PREV_LOSS] = ws[W.FR]
    lr = ws[_LR]
    tensor = False
    if iws[N_ITER] == 1:
        # min(1.0, 1.0 / flat_grad.abs().sum()) * lr
        inv = rd(1.0 / _sum_abs(ws, gk, n, s), s)
        if inv < 1.0:
            t = rd(inv * rd(lr, s), s)
            tensor = True
        else:
            t = 1.0 * lr
    else:
        t = lr
    ws[T] = t
    iws[_TT] = 1 if tensor else 0
    gtd = _dot(ws, gk, d, n, s)
    if gtd > rd(-ws[_TOLC], s):
        iws[W.NIT] += 1     # torch counts this iteration (that takes no step)
        W.finish(iws, R_CHANGE)
        return
    if iws[_LS] != 0:
        t0 = sw_start(ws[ls:ls + SW_SIZE], ws[W.FR], gtd, t, tensor, _max_abs(ws, d, n),
                      C1, C2, LS_TOLERANCE_CHANGE, iws[_MAXEVAL] - iws[_CUREVALS], s)
        _move(ws, xt, xk, t0, d, n, s)
        iws[W.X] = xt
        iws[W.G] = _gbuf(int(ws[ls + SW_GBUF]), gk, s1, n)
        iws[_PHASE] = _SEARCH
        iws[W.TASK] = W.EVALUATE
        return
    _move(ws, xt, xk, t, d, n, s)
    iws[W.X] = xt
    iws[W.G] = s1
    if iws[_NITER] != iws[_MAXITER]:
        iws[_PHASE] = _FIXED
        iws[W.TASK] = W.EVALUATE
    elif iws[_FINAL] != 0:
        iws[_PHASE] = _REPORT
        iws[W.TASK] = W.EVALUATE
    else:
        # torch moves without re-evaluating after the last iteration
        _copy(ws, xk, xt, n)
        iws[W.NIT] += 1
        W.finish(iws, R_MAXITER)


@register_jitable
def _check(ws, iws, opt_cond):
    """torch's checks at the end of an iteration; continue with the next one if none stops."""
    n, m = iws[W.N], iws[_M]
    s = iws[_SINGLE] != 0
    d = offsets(n, m)[5]
    if iws[_NITER] == iws[_MAXITER]:
        W.finish(iws, R_MAXITER)
        return
    if iws[_CUREVALS] >= iws[_MAXEVAL]:
        W.finish(iws, R_MAXEVAL)
        return
    if opt_cond:
        W.finish(iws, R_GRAD)
        return
    # lack of progress: d.mul(t).abs().max() <= tolerance_change
    t = rd(ws[T], s)
    big = 0.0
    for i in range(n):
        v = abs(rd(ws[d + i] * t, s))
        if v != v:
            big = v
            break
        if v > big:
            big = v
    if big <= rd(ws[_TOLC], s):
        W.finish(iws, R_CHANGE)
        return
    if abs(ws[W.FR] - ws[PREV_LOSS]) < ws[_TOLC]:
        W.finish(iws, R_CHANGE)
        return
    _iterate(ws, iws)


def step(ws, iws, f):
    n, m = iws[W.N], iws[_M]
    s = iws[_SINGLE] != 0
    ro, al, xk, gk, xt, d, pg, s1, ys, ss, ls = offsets(n, m)
    iws[W.NFEV] += 1
    phase = iws[_PHASE]
    if iws[_STOPNAN] != 0:
        fb, xb, gb = _best_offsets(n, m)
        if not math.isfinite(f) or _has_nan(ws, iws[W.G], n):
            # minimize: a non-finite value ends the run at the best point evaluated
            # (at x0: x0 with the value returned there); torch would step on.
            if phase == _INITIAL:
                ws[W.FR] = f
            else:
                _copy(ws, xk, xb, n)
                _copy(ws, gk, gb, n)
                ws[W.FR] = ws[fb]
            W.finish(iws, R_NAN)
            return
        if f < ws[fb]:
            _copy(ws, xb, iws[W.X], n)
            _copy(ws, gb, iws[W.G], n)
            ws[fb] = f
    if phase == _INITIAL:
        ws[W.FR] = f
        iws[_CUREVALS] = 1
        iws[FUNC_EVALS] += 1
        if _max_abs(ws, gk, n) <= rd(ws[_TOLG], s):
            W.finish(iws, R_GRAD)
            return
        _iterate(ws, iws)
        return
    if phase == _FIXED or phase == _REPORT:
        _copy(ws, xk, xt, n)
        _copy(ws, gk, s1, n)
        ws[W.FR] = f
        iws[W.NIT] += 1
        if phase == _REPORT:   # minimize's extra look at the final point
            W.finish(iws, R_MAXITER)
            return
        iws[_CUREVALS] += 1
        iws[FUNC_EVALS] += 1
        _check(ws, iws, _max_abs(ws, gk, n) <= rd(ws[_TOLG], s))
        return
    # _SEARCH: an evaluation for the line search
    iws[_CUREVALS] += 1
    iws[FUNC_EVALS] += 1
    lsw = ws[ls:ls + SW_SIZE]
    t, task = sw_step(lsw, f, _dot(ws, iws[W.G], d, n, s))
    if task != SW_DONE:
        _move(ws, xt, xk, t, d, n, s)
        iws[W.G] = _gbuf(int(lsw[SW_GBUF]), gk, s1, n)
        iws[W.TASK] = W.EVALUATE
        return
    ws[T] = t
    iws[_TT] = 1 if lsw[SW_TT] != 0.0 else 0
    _move(ws, xk, xk, t, d, n, s)
    gres = int(lsw[SW_GBUF])
    if gres != 0:
        _copy(ws, gk, _gbuf(gres, gk, s1, n), n)
    ws[W.FR] = lsw[SW_F]
    iws[W.NIT] += 1
    _check(ws, iws, _max_abs(ws, gk, n) <= rd(ws[_TOLG], s))


# -- minimize(method="LBFGS") ---------------------------------------------------------------
def check_options(h):
    """Check torch's LBFGS options in the dict ``h``, normalising them in place.

    ``lr`` as torch checks it; ``max_iter`` and ``max_eval`` whole numbers or inf
    (``max_eval=None`` becomes torch's ``max_iter * 5 // 4``); the tolerances numbers
    (not NaN); ``history_size`` a whole number of at least 1. ``line_search_fn`` is
    left to ``step()``, as torch leaves it. Raises TypeError or ValueError naming the
    option.
    """
    _check_lr(h)
    max_iter = h["max_iter"] = _count(h["max_iter"], "max_iter")
    if h["max_eval"] is None:  # torch's default, inf for an unlimited max_iter
        h["max_eval"] = max_iter if max_iter == math.inf else max_iter * 5 // 4
    h["max_eval"] = _count(h["max_eval"], "max_eval")
    for name in ("tolerance_grad", "tolerance_change"):
        h[name] = _not_nan(_real(h[name], name), name)
    history_size = h["history_size"] = _count(h["history_size"], "history_size",
                                              unlimited=False)
    if not history_size >= 1:
        raise ValueError(f"Invalid history_size value: {history_size}")


def _count(value, name, unlimited=True):
    """A whole number of iterations or evaluations (``unlimited``: or inf, as torch allows)."""
    value = _not_nan(_real(value, name), name)
    if unlimited and value == math.inf:
        return math.inf
    if not float(value).is_integer():
        if unlimited:
            raise ValueError(f"{name} must be a whole number or inf, got {value!r}")
        raise ValueError(f"{name} must be a whole number, got {value!r} (numopt keeps the "
                         "history in a buffer of that many pairs)")
    return int(value)


def limit(count):
    """A count for the state machine's int64 options: inf (or more) becomes a bound no
    run reaches."""
    return max(min(count, UNLIMITED), -UNLIMITED)


def _pack(o, n, lower, upper):
    """The option arrays, with ``optim.LBFGS``'s checks of its options
    (:func:`check_options`: a string, NaN or a fractional ``history_size`` raises naming
    the option; ``inf`` limits are no limit, as in torch)."""
    max_iter, maxiter = o["max_iter"], o["maxiter"]
    if maxiter is not None:
        maxiter = _count(maxiter, "maxiter")  # checked under the name it was given
        if max_iter is not None and max_iter != maxiter:
            raise ValueError("options 'max_iter' and 'maxiter' of method LBFGS are the same "
                             "option (torch's and scipy's names); give one of them")
        max_iter = maxiter
    h = dict(lr=o["lr"], max_iter=20 if max_iter is None else max_iter,
             max_eval=o["max_eval"], tolerance_grad=o["tolerance_grad"],
             tolerance_change=o["tolerance_change"], history_size=o["history_size"])
    check_options(h)
    line_search_fn = o["line_search_fn"]
    if line_search_fn not in (None, "strong_wolfe"):
        raise ValueError("only 'strong_wolfe' is supported")
    fopts = np.array([float(h["lr"]), h["tolerance_grad"], h["tolerance_change"]],
                     dtype=np.float64)
    iopts = np.array([limit(h["max_iter"]), limit(h["max_eval"]), h["history_size"],
                      0 if line_search_fn is None else 1, 0, 1, 1], dtype=np.int64)
    return fopts, iopts


METHOD = Method(
    name="LBFGS", reference="numopt.optim.LBFGS (torch.optim.LBFGS)",
    options=(
        Option("lr", "real", 1, "Step length without a line search, else the first trial "
               "step."),
        Option("max_iter", "count", None,
               "Maximum number of iterations (`None`: `maxiter`, else 20)."),
        Option("max_eval", "count", None,
               "Maximum number of objective evaluations (`None`: `max_iter * 5 // 4`)."),
        Option("tolerance_grad", "real", 1e-7,
               "Stop when the largest gradient component is at most this.", tol=True),
        Option("tolerance_change", "real", 1e-9,
               "Stop when the step or the change of `f` is below this.", tol=True),
        Option("history_size", "int", DEFAULT_HISTORY, "Number of correction pairs kept."),
        Option("line_search_fn", "choice", None,
               "The line search: `None` (fixed steps of `lr`) or `\"strong_wolfe\"`.",
               choices=(None, "strong_wolfe")),
        Option("maxiter", "count", None, "The same option as `max_iter`, under scipy's "
               "name."),
        ignored("disp", False),
    ),
    pack=_pack, module=sys.modules[__name__], sizes=sizes, init=init, step=step,
)
