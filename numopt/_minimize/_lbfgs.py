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
``fun`` and ``jac`` belong to ``x``). Reasons (:mod:`._reasons`): LBFGS_TOLERANCE_GRAD
(``max|g| <= tolerance_grad``), LBFGS_TOLERANCE_CHANGE (a change below
``tolerance_change``), LBFGS_MAX_ITER, LBFGS_MAX_EVAL, NONFINITE (a NaN
or infinite objective value, or a NaN gradient: the run stops there, with the lowest
finite point evaluated as the result, its value and gradient; at ``x0``, ``x0`` with the
value returned there). torch's algorithm has no notion of an infinite value: it would
take the step (``optim.LBFGS`` does, as torch).

Layout: the header of :mod:`._workspace`, then the scalars below, then ``ro`` (per
history slot) and ``al`` (torch's list, by history position), eight vectors (the iterate
``x``, its gradient, the trial point, ``d``, ``prev_flat_grad`` and the line search's
three gradient buffers), the history ``y`` and ``s`` as two ``(history_size, n)`` ring
buffers, and the line search's state, then (for ``minimize``) the best point evaluated (see
the slots ``fb``, ``xb``, ``gb`` of :data:`LAYOUT`).
"""
import math
import sys

import numpy as np

from .._checks import _check_lr, _not_nan, _real
from . import _reasons as R
from . import _workspace as W
from ._layout import Layout
from ._registry import UNLIMITED, Method, Option, ignored
from ._standalone import jitable
from ._strong_wolfe import DONE as SW_DONE
from ._strong_wolfe import SW_F, SW_GBUF, SW_SIZE, SW_TT, rd, sw_start, sw_step

# Option arrays given to init / begin.
LR, TOLERANCE_GRAD, TOLERANCE_CHANGE = range(3)                                 # fopts
MAX_ITER, MAX_EVAL, HISTORY_SIZE, LINE_SEARCH, SINGLE, FINAL_EVAL, STOP_ON_NAN = range(7)  # iopts
N_FOPTS, N_IOPTS = 3, 7

DEFAULT_HISTORY = 100
# torch's _strong_wolfe defaults (LBFGS.step passes none of them but max_ls).
C1, C2, LS_TOLERANCE_CHANGE = 1e-4, 0.9, 1e-9

# The workspace. ws[W.FR] is torch's `loss`.
LAYOUT = Layout(
    "lbfgs", params=("n", "m"),
    ints=("phase", "maxiter", "maxeval",
          "m",           # history capacity (history_size)
          "line_search",  # 1: strong Wolfe line search
          "single", "final", "stopnan",
          "func_evals",  # torch's state["func_evals"] (over all runs)
          "n_iter",      # torch's state["n_iter"] (over all runs)
          "niter",       # torch's local n_iter (this run)
          "curevals",    # torch's current_evals (this run)
          "k",           # pairs in the history
          "start",       # ring slot of the oldest pair
          "has_d",       # torch's state has d, t, old_dirs, ... (a run reached its loop)
          "has_al",      # torch's state has "al"
          "tt"),         # 1 if t is a tensor in torch (float32 typing)
    floats=("lr", "tolg", "tolc",
            "t",         # torch's t
            "h_diag", "prev_loss"),
    # optim.LBFGS snapshots ws up to s1 (see its _snapshot): the scalars, d and
    # prev_flat_grad lie before the scratch vectors.
    arrays=(("ro", "m"),        # per history slot
            ("al", "m"),        # torch's list, by history position
            ("xk", "n"), ("gk", "n"),   # the iterate and its gradient
            ("xt", "n"),        # the trial point
            ("d", "n"),
            ("pg", "n"),        # prev_flat_grad
            ("s1", "3 * n"),    # the line search's three gradient buffers
            ("ys", "m * n"), ("ss", "m * n"),  # the history y and s, (m, n) rings
            ("ls", SW_SIZE),    # the line search's state
            # minimize's result when a non-finite value stops the run (STOP_ON_NAN): the
            # lowest finite f evaluated, its point and its gradient; optim.LBFGS never
            # writes them
            ("fb", 1), ("xb", "n"), ("gb", "n")),
)
_I, _F, _offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets
# Read by numopt.optim.LBFGS.
_M, K, START, HAS_D, HAS_AL = _I.m, _I.k, _I.start, _I.has_d, _I.has_al
FUNC_EVALS, N_ITER = _I.func_evals, _I.n_iter
T, H_DIAG, PREV_LOSS = _F.t, _F.h_diag, _F.prev_loss

_INITIAL, _SEARCH, _FIXED, _REPORT = 0, 1, 2, 3


def layout_params(n, fopts=None, iopts=None):
    """The parameters of :data:`LAYOUT`: ``(n, history_size)`` (default 100)."""
    return n, DEFAULT_HISTORY if iopts is None else int(iopts[HISTORY_SIZE])


def sizes(n, fopts=None, iopts=None):
    """Lengths of ``ws`` and ``iws`` for ``n`` variables and the history size in
    ``iopts`` (default 100)."""
    return LAYOUT.sizes(*layout_params(n, fopts, iopts))


def offsets(n, m):
    """Offsets in ``ws`` of: ro, al, x, g, trial x, d, prev_flat_grad, the three scratch
    gradients, the y ring, the s ring, the line search state (for ``optim.LBFGS``; the
    state machine reads :data:`LAYOUT`'s offsets by name)."""
    o = _offsets(n, m)
    return o.ro, o.al, o.xk, o.gk, o.xt, o.d, o.pg, o.s1, o.ys, o.ss, o.ls


# Helpers are `jitable`, compiled with the options of the compiled loops' `step`: numba
# compiles a jitable helper once per set of options of its callers, so helpers with other
# options (plain register_jitable) were compiled twice or three times in a cold solve.
@jitable
def _gbuf(k, gk, s1, n):
    """Offset of the line search's gradient buffer ``k`` (0: the iterate's gradient)."""
    return gk if k == 0 else s1 + (k - 1) * n


@jitable
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


@jitable
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


@jitable
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


@jitable
def _has_nan(ws, lo, n):
    for i in range(n):
        if ws[lo + i] != ws[lo + i]:
            return True
    return False


@jitable
def _copy(ws, dst, src, n):
    for i in range(n):
        ws[dst + i] = ws[src + i]


@jitable
def _move(ws, dst, x, t, d, n, s):
    """``dst = x + t d`` as torch's ``p.add_(d, alpha=t)`` (t cast to the params' dtype)."""
    tr = rd(t, s)
    for i in range(n):
        ws[dst + i] = rd(ws[x + i] + tr * ws[d + i], s)


@jitable
def _configure(ws, iws, fopts, iopts):
    iws[_I.maxiter] = iopts[MAX_ITER]
    iws[_I.maxeval] = iopts[MAX_EVAL]
    iws[_I.line_search] = iopts[LINE_SEARCH]
    iws[_I.single] = iopts[SINGLE]
    iws[_I.final] = iopts[FINAL_EVAL]
    iws[_I.stopnan] = iopts[STOP_ON_NAN]
    ws[_F.lr] = fopts[LR]
    ws[_F.tolg] = fopts[TOLERANCE_GRAD]
    ws[_F.tolc] = fopts[TOLERANCE_CHANGE]


def begin(ws, iws, x0, fopts, iopts):
    """Start one run (one torch ``step()``) from ``x0``, keeping the state of earlier
    runs (history, counters). The options may differ from the previous run's, except
    the history size, which fixes the layout."""
    _begin(ws, iws, x0, fopts, iopts)


@jitable
def _begin(ws, iws, x0, fopts, iopts):
    n = x0.size
    o = _offsets(n, iws[_I.m])
    xk, gk = o.xk, o.gk
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
    iws[W.REASON] = R.CONVERGED
    iws[_I.niter] = 0
    iws[_I.curevals] = 0
    iws[_I.phase] = _INITIAL
    iws[W.TASK] = W.EVALUATE
    if iws[_I.stopnan] != 0:
        ws[o.fb] = np.inf


def init(ws, iws, x0, fopts, iopts):
    """Start from a fresh state (no history, counters at 0): torch's first ``step()``."""
    iws[_I.m] = iopts[HISTORY_SIZE]
    iws[_I.func_evals] = 0
    iws[_I.n_iter] = 0
    iws[_I.k] = 0
    iws[_I.start] = 0
    iws[_I.has_d] = 0
    iws[_I.has_al] = 0
    iws[_I.tt] = 0
    ws[_F.t] = 0.0
    ws[_F.h_diag] = 1.0
    ws[_F.prev_loss] = 0.0
    _begin(ws, iws, x0, fopts, iopts)


@jitable
def _update_memory(ws, iws, n, m, ro, gk, d, pg, s1, ys, ss, s):
    """Append the pair ``y = g - prev_g``, ``s = t d`` if ``y^T s > 1e-10`` (dropping the
    oldest pair when full) and update ``H_diag``. ``y`` and ``s`` are formed in two of
    the line search's scratch buffers (free between iterations)."""
    t = rd(ws[_F.t], s)
    yt, st = s1, s1 + n
    for i in range(n):
        ws[yt + i] = rd(ws[gk + i] - ws[pg + i], s)
        ws[st + i] = rd(ws[d + i] * t, s)
    sy = _dot(ws, yt, st, n, s)
    if not sy > rd(1e-10, s):
        return
    if iws[_I.k] == m:
        iws[_I.start] = (iws[_I.start] + 1) % m
        iws[_I.k] -= 1
    slot = (iws[_I.start] + iws[_I.k]) % m
    _copy(ws, ys + slot * n, yt, n)
    _copy(ws, ss + slot * n, st, n)
    ws[ro + slot] = rd(1.0 / sy, s)
    iws[_I.k] += 1
    ws[_F.h_diag] = rd(sy / _dot(ws, yt, yt, n, s), s)


@jitable
def _two_loop(ws, iws, n, m, ro, al, gk, d, ys, ss, s):
    """``d = -H g`` by torch's collapsed two-loop recursion (``q`` and ``r`` live in ``d``)."""
    k, start = iws[_I.k], iws[_I.start]
    for i in range(n):
        ws[d + i] = -ws[gk + i]
    for j in range(k - 1, -1, -1):
        slot = (start + j) % m
        yo, so = ys + slot * n, ss + slot * n
        a = rd(_dot(ws, so, d, n, s) * ws[ro + slot], s)
        ws[al + j] = a
        for i in range(n):
            ws[d + i] = rd(ws[d + i] - a * ws[yo + i], s)
    h = ws[_F.h_diag]
    for i in range(n):
        ws[d + i] = rd(ws[d + i] * h, s)
    for j in range(k):
        slot = (start + j) % m
        yo, so = ys + slot * n, ss + slot * n
        be = rd(_dot(ws, yo, d, n, s) * ws[ro + slot], s)
        c = rd(ws[al + j] - be, s)
        for i in range(n):
            ws[d + i] = rd(ws[d + i] + c * ws[so + i], s)


@jitable
def _iterate(ws, iws):
    """The head of torch's ``while n_iter < max_iter`` loop: a direction, a first step,
    and the first evaluation of the iteration (or the end of the run)."""
    n, m = iws[W.N], iws[_I.m]
    s = iws[_I.single] != 0
    o = _offsets(n, m)
    ro, al, xk, gk, xt, d = o.ro, o.al, o.xk, o.gk, o.xt, o.d
    pg, s1, ys, ss, ls = o.pg, o.s1, o.ys, o.ss, o.ls
    if iws[_I.niter] >= iws[_I.maxiter]:
        W.finish(iws, R.LBFGS_MAX_ITER)
        return
    iws[_I.niter] += 1
    iws[_I.n_iter] += 1
    iws[_I.has_d] = 1
    if iws[_I.n_iter] == 1:
        for i in range(n):
            ws[d + i] = -ws[gk + i]
        iws[_I.k] = 0
        iws[_I.start] = 0
        ws[_F.h_diag] = 1.0
    else:
        _update_memory(ws, iws, n, m, ro, gk, d, pg, s1, ys, ss, s)
        if iws[_I.has_al] == 0:
            for j in range(m):
                ws[al + j] = np.nan   # torch's [None] * history_size
            iws[_I.has_al] = 1
        _two_loop(ws, iws, n, m, ro, al, gk, d, ys, ss, s)
    _copy(ws, pg, gk, n)
    ws[_F.prev_loss] = ws[W.FR]
    lr = ws[_F.lr]
    tensor = False
    if iws[_I.n_iter] == 1:
        # min(1.0, 1.0 / flat_grad.abs().sum()) * lr
        inv = rd(1.0 / _sum_abs(ws, gk, n, s), s)
        if inv < 1.0:
            t = rd(inv * rd(lr, s), s)
            tensor = True
        else:
            t = 1.0 * lr
    else:
        t = lr
    ws[_F.t] = t
    iws[_I.tt] = 1 if tensor else 0
    gtd = _dot(ws, gk, d, n, s)
    if gtd > rd(-ws[_F.tolc], s):
        iws[W.NIT] += 1     # torch counts this iteration (that takes no step)
        W.finish(iws, R.LBFGS_TOLERANCE_CHANGE)
        return
    if iws[_I.line_search] != 0:
        t0 = sw_start(ws[ls:ls + SW_SIZE], ws[W.FR], gtd, t, tensor, _max_abs(ws, d, n),
                      C1, C2, LS_TOLERANCE_CHANGE, iws[_I.maxeval] - iws[_I.curevals], s)
        _move(ws, xt, xk, t0, d, n, s)
        iws[W.X] = xt
        iws[W.G] = _gbuf(int(ws[ls + SW_GBUF]), gk, s1, n)
        iws[_I.phase] = _SEARCH
        iws[W.TASK] = W.EVALUATE
        return
    _move(ws, xt, xk, t, d, n, s)
    iws[W.X] = xt
    iws[W.G] = s1
    if iws[_I.niter] != iws[_I.maxiter]:
        iws[_I.phase] = _FIXED
        iws[W.TASK] = W.EVALUATE
    elif iws[_I.final] != 0:
        iws[_I.phase] = _REPORT
        iws[W.TASK] = W.EVALUATE
    else:
        # torch moves without re-evaluating after the last iteration
        _copy(ws, xk, xt, n)
        iws[W.NIT] += 1
        W.finish(iws, R.LBFGS_MAX_ITER)


@jitable
def _check(ws, iws, opt_cond):
    """torch's checks at the end of an iteration; continue with the next one if none stops."""
    n, m = iws[W.N], iws[_I.m]
    s = iws[_I.single] != 0
    d = _offsets(n, m).d
    if iws[_I.niter] == iws[_I.maxiter]:
        W.finish(iws, R.LBFGS_MAX_ITER)
        return
    if iws[_I.curevals] >= iws[_I.maxeval]:
        W.finish(iws, R.LBFGS_MAX_EVAL)
        return
    if opt_cond:
        W.finish(iws, R.LBFGS_TOLERANCE_GRAD)
        return
    # lack of progress: d.mul(t).abs().max() <= tolerance_change
    t = rd(ws[_F.t], s)
    big = 0.0
    for i in range(n):
        v = abs(rd(ws[d + i] * t, s))
        if v != v:
            big = v
            break
        if v > big:
            big = v
    if big <= rd(ws[_F.tolc], s):
        W.finish(iws, R.LBFGS_TOLERANCE_CHANGE)
        return
    if abs(ws[W.FR] - ws[_F.prev_loss]) < ws[_F.tolc]:
        W.finish(iws, R.LBFGS_TOLERANCE_CHANGE)
        return
    _iterate(ws, iws)


def step(ws, iws, f):
    n, m = iws[W.N], iws[_I.m]
    s = iws[_I.single] != 0
    o = _offsets(n, m)
    xk, gk, xt, d, s1, ls = o.xk, o.gk, o.xt, o.d, o.s1, o.ls
    iws[W.NFEV] += 1
    phase = iws[_I.phase]
    if iws[_I.stopnan] != 0:
        fb, xb, gb = o.fb, o.xb, o.gb
        if not math.isfinite(f) or _has_nan(ws, iws[W.G], n):
            # minimize: a non-finite value ends the run at the best point evaluated
            # (at x0: x0 with the value returned there); torch would step on.
            if phase == _INITIAL:
                ws[W.FR] = f
            else:
                _copy(ws, xk, xb, n)
                _copy(ws, gk, gb, n)
                ws[W.FR] = ws[fb]
            W.finish(iws, R.NONFINITE)
            return
        if f < ws[fb]:
            _copy(ws, xb, iws[W.X], n)
            _copy(ws, gb, iws[W.G], n)
            ws[fb] = f
    if phase == _INITIAL:
        ws[W.FR] = f
        iws[_I.curevals] = 1
        iws[_I.func_evals] += 1
        if _max_abs(ws, gk, n) <= rd(ws[_F.tolg], s):
            W.finish(iws, R.LBFGS_TOLERANCE_GRAD)
            return
        _iterate(ws, iws)
        return
    if phase == _FIXED or phase == _REPORT:
        _copy(ws, xk, xt, n)
        _copy(ws, gk, s1, n)
        ws[W.FR] = f
        iws[W.NIT] += 1
        if phase == _REPORT:   # minimize's extra look at the final point
            W.finish(iws, R.LBFGS_MAX_ITER)
            return
        iws[_I.curevals] += 1
        iws[_I.func_evals] += 1
        _check(ws, iws, _max_abs(ws, gk, n) <= rd(ws[_F.tolg], s))
        return
    # _SEARCH: an evaluation for the line search
    iws[_I.curevals] += 1
    iws[_I.func_evals] += 1
    lsw = ws[ls:ls + SW_SIZE]
    t, task = sw_step(lsw, f, _dot(ws, iws[W.G], d, n, s))
    if task != SW_DONE:
        _move(ws, xt, xk, t, d, n, s)
        iws[W.G] = _gbuf(int(lsw[SW_GBUF]), gk, s1, n)
        iws[W.TASK] = W.EVALUATE
        return
    ws[_F.t] = t
    iws[_I.tt] = 1 if lsw[SW_TT] != 0.0 else 0
    _move(ws, xk, xk, t, d, n, s)
    gres = int(lsw[SW_GBUF])
    if gres != 0:
        _copy(ws, gk, _gbuf(gres, gk, s1, n), n)
    ws[W.FR] = lsw[SW_F]
    iws[W.NIT] += 1
    _check(ws, iws, _max_abs(ws, gk, n) <= rd(ws[_F.tolg], s))


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
