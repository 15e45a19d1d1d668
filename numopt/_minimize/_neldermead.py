"""Nelder-Mead, as ``scipy.optimize.minimize(method="Nelder-Mead")`` (scipy 1.17
``_minimize_neldermead``).

A reverse-communication state machine over the workspace of :mod:`._workspace`: each
``step`` consumes one objective value. It follows scipy operation by operation: the
initial simplex (5% of each nonzero coordinate, 0.00025 for a zero one), the reflection,
expansion, outside and inside contractions and the shrink, each trial point clipped into
the bounds, the same arithmetic expressions (so the same roundings), the same
termination test and the same ``nit``/``nfev`` bookkeeping (``nit`` starts at 1, as
scipy's ``iterations``; running out of evaluations in the middle of an iteration leaves
it uncounted and keeps the vertices a shrink already moved, as scipy does).

The simplex is kept as ``n + 1`` rows in place, ordered through a permutation of row
indices: re-sorting after an iteration moves indices, not rows.

Differences from scipy, deliberate:

- The vertices are ordered by a *stable* sort of their function values. scipy calls
  ``np.argsort``, whose order of tied values is not specified: on x86 CPUs with AVX-512
  numpy sorts with SIMD networks that reorder ties (already for 4 values). Where the
  ordering of tied values matters, scipy's trajectory therefore depends on the CPU; this
  one does not (it is scipy's with ``np.argsort(..., kind="stable")``).
- A NaN or -inf from the objective stops the run (reason NONFINITE) at the best vertex so far
  (finite, unless it is x0's value); scipy goes on with NaN sorted last and returns a
  -inf vertex as its best. +inf is a value like others, sorted last, as in scipy, but
  a run that then converges ends with reason NONFINITE (at the best vertex) where scipy reports
  success: the simplex may have shrunk onto the edge of the region where the
  objective is infinite rather than onto a minimum.
- Bounds must not be NaN (scipy clips the vertices to NaN there), and ``x0`` must not
  be empty (scipy returns ``fun=inf`` without evaluating the objective).
- With a float32 ``x0`` the vertices are float32 numbers, as scipy's (each point is
  rounded to float32 before it is evaluated, and a Python objective gets it as a
  float32 array; ``x`` and ``final_simplex`` are float32), but the arithmetic that
  makes them is float64, where scipy's is float32: the runs agree to float32 rounding,
  not bit for bit. Other dtypes (float16) run in float64 and are cast at the end.
"""
import math
import sys
import types as pytypes
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning

from . import _reasons as R
from . import _workspace as W
from ._layout import Layout
from ._registry import (DISP, FLOAT32_OPTION, RETURN_ALL, UNLIMITED, Method, Option,
                        Reporting, count_option, real_option)
from ._standalone import jitable

# Option arrays given to init. fopts: the six scalars below, then the bounds (lower and
# upper, n each) when bounded, then the initial simplex ((n + 1) * n, row-major) when given.
XATOL, FATOL, RHO, CHI, PSI, SIGMA = range(6)
_NFOPTS = 6
MAXITER, MAXFEV, BOUNDED, SIMPLEX, FLOAT32 = range(5)   # iopts

# The workspace.
LAYOUT = Layout(
    "neldermead",
    ints=("phase", "maxiter", "maxfev", "bound",
          "j",          # the vertex being evaluated (initial simplex, shrink)
          "f32",        # 1: each point is rounded to float32 before it is evaluated
          "inf"),       # 1 once the objective returned +inf
    floats=("xatol", "fatol", "rho", "chi", "psi", "sigma",
            "fxr"),     # f at the reflected point
    arrays=(("lo", "n"), ("hi", "n"),     # bounds
            ("sim", "(n + 1) * n"),      # the simplex, n + 1 rows of n
            ("fsim", "n + 1"),  # f of the vertices, in sorted order (position k: row perm[k])
            ("xbar", "n"),      # centroid of the n best vertices
            ("xr", "n"),        # reflected point
            ("xt", "n"),        # the point to evaluate
            ("g", "n")),        # gradient slot the drivers want (unused)
    int_arrays=(("perm", "n + 1"),),  # row indices, best vertex first
)
_I, _F, _offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets
# perm is the first array of iws: its offset does not depend on n.
_PERM = LAYOUT.int_offsets(0).perm

# phases
_INITIAL, _REFLECT, _EXPAND, _CONTRACT_OUT, _CONTRACT_IN, _SHRINK = range(6)

_NONZDELT = 0.05
_ZDELT = 0.00025


def layout_params(n, fopts=None, iopts=None):
    """The parameters of :data:`LAYOUT`: ``(n,)`` (the options do not matter)."""
    return (n,)


def sizes(n, fopts=None, iopts=None):
    """Lengths of ``ws`` and ``iws`` for ``n`` variables (the options do not matter)."""
    return LAYOUT.sizes(n)


def init(ws, iws, x0, fopts, iopts):
    n = x0.size
    o = _offsets(n)
    lo, hi, sim, fsim, xt, g = o.lo, o.hi, o.sim, o.fsim, o.xt, o.g
    iws[W.N] = n
    iws[W.X] = xt
    iws[W.G] = g
    iws[W.GR] = g
    iws[W.XR] = sim
    iws[_I.maxiter] = iopts[MAXITER]
    iws[_I.maxfev] = iopts[MAXFEV]
    bounded = iopts[BOUNDED] != 0
    iws[_I.bound] = 1 if bounded else 0
    iws[_I.f32] = iopts[FLOAT32]
    iws[_I.inf] = 0
    ws[_F.xatol] = fopts[XATOL]
    ws[_F.fatol] = fopts[FATOL]
    ws[_F.rho] = fopts[RHO]
    ws[_F.chi] = fopts[CHI]
    ws[_F.psi] = fopts[PSI]
    ws[_F.sigma] = fopts[SIGMA]
    k = _NFOPTS
    for i in range(n):
        if bounded:
            ws[lo + i] = fopts[k + i]
            ws[hi + i] = fopts[k + n + i]
        else:
            ws[lo + i] = -np.inf
            ws[hi + i] = np.inf
    if bounded:
        k += 2 * n
    if iopts[SIMPLEX] != 0:
        for i in range((n + 1) * n):
            ws[sim + i] = fopts[k + i]
    else:
        # scipy clips x0 into the bounds, then perturbs one coordinate per vertex.
        for i in range(n):
            v = x0[i]
            if bounded:
                v = min(max(v, ws[lo + i]), ws[hi + i])
            ws[xt + i] = v
        for r in range(n + 1):
            for i in range(n):
                ws[sim + r * n + i] = ws[xt + i]
        for r in range(n):
            v = ws[xt + r]
            ws[sim + (r + 1) * n + r] = (1.0 + _NONZDELT) * v if v != 0 else _ZDELT
    if bounded:
        # A vertex above an upper bound is reflected into the interior, then all clipped.
        for r in range(n + 1):
            for i in range(n):
                v = ws[sim + r * n + i]
                if v > ws[hi + i]:
                    v = 2 * ws[hi + i] - v
                ws[sim + r * n + i] = min(max(v, ws[lo + i]), ws[hi + i])
    for r in range(n + 1):
        ws[fsim + r] = np.inf
        iws[_PERM + r] = r
    ws[W.FR] = np.inf
    iws[W.NIT] = 1      # scipy's ``iterations`` starts at 1
    iws[W.NFEV] = 0
    iws[_I.phase] = _INITIAL
    iws[_I.j] = 0
    _ask_vertex(ws, iws, 0)


# Helpers are `jitable`, compiled with the options of the compiled loops' `step`: numba
# compiles a jitable helper once per set of options of its callers, so helpers with other
# options (plain register_jitable) were compiled twice or three times in a cold solve.
@jitable
def _sort(ws, iws):
    """Stable insertion sort of the vertices by f; the best becomes the current iterate."""
    n = iws[W.N]
    o = _offsets(n)
    sim, fsim = o.sim, o.fsim
    for k in range(1, n + 1):
        fk = ws[fsim + k]
        pk = iws[_PERM + k]
        j = k - 1
        while j >= 0 and ws[fsim + j] > fk:
            ws[fsim + j + 1] = ws[fsim + j]
            iws[_PERM + j + 1] = iws[_PERM + j]
            j -= 1
        ws[fsim + j + 1] = fk
        iws[_PERM + j + 1] = pk
    iws[W.XR] = sim + iws[_PERM] * n
    ws[W.FR] = ws[fsim]


@jitable
def _ask(ws, iws, src):
    """Ask for f at ``ws[src:src + n]``, or stop if the evaluation budget is spent.

    scipy's objective wrapper raises before the call that would exceed ``maxfev``; the
    iteration is then abandoned (uncounted) and the simplex re-sorted as it stands.
    """
    n = iws[W.N]
    if iws[W.NFEV] >= iws[_I.maxfev]:
        _sort(ws, iws)
        W.finish(iws, R.MAXFEV)
        return
    xt = iws[W.X]
    # A float32 x0: the point (and so the vertex) is float32's. ROUND32 is a constant of
    # each step variant (see _step_variant); -1 (init) reads the flag.
    if ROUND32 == 1 or (ROUND32 == -1 and iws[_I.f32] != 0):
        for i in range(n):
            ws[src + i] = np.float32(ws[src + i])
    if src != xt:
        for i in range(n):
            ws[xt + i] = ws[src + i]
    iws[W.TASK] = W.EVALUATE


@jitable
def _ask_vertex(ws, iws, k):
    n = iws[W.N]
    o = _offsets(n)
    sim = o.sim
    iws[_I.j] = k
    _ask(ws, iws, sim + iws[_PERM + k] * n)


@jitable
def _clip(ws, iws, p):
    if iws[_I.bound] != 0:
        n = iws[W.N]
        o = _offsets(n)
        lo, hi = o.lo, o.hi
        for i in range(n):
            ws[p + i] = min(max(ws[p + i], ws[lo + i]), ws[hi + i])


@jitable
def _trial(ws, iws, a, b, phase):
    """Ask for ``a * xbar + b * worst`` (clipped), the next move of this iteration."""
    n = iws[W.N]
    o = _offsets(n)
    sim, xbar, xt = o.sim, o.xbar, o.xt
    worst = sim + iws[_PERM + n] * n
    for i in range(n):
        ws[xt + i] = a * ws[xbar + i] + b * ws[worst + i]
    _clip(ws, iws, xt)
    iws[_I.phase] = phase
    _ask(ws, iws, xt)


@jitable
def _replace_worst(ws, iws, src, f):
    n = iws[W.N]
    o = _offsets(n)
    sim, fsim = o.sim, o.fsim
    worst = sim + iws[_PERM + n] * n
    for i in range(n):
        ws[worst + i] = ws[src + i]
    ws[fsim + n] = f


@jitable
def _shrink_vertex(ws, iws, k):
    """Move vertex k towards the best one (scipy moves it before evaluating it)."""
    n = iws[W.N]
    o = _offsets(n)
    sim = o.sim
    best = sim + iws[_PERM] * n
    row = sim + iws[_PERM + k] * n
    sigma = ws[_F.sigma]
    for i in range(n):
        ws[row + i] = ws[best + i] + sigma * (ws[row + i] - ws[best + i])
    _clip(ws, iws, row)
    iws[_I.phase] = _SHRINK
    _ask_vertex(ws, iws, k)


@jitable
def _converged(ws, iws):
    """max |sim[1:] - sim[0]| <= xatol and max |fsim[0] - fsim[1:]| <= fatol (NaN fails)."""
    n = iws[W.N]
    o = _offsets(n)
    sim, fsim = o.sim, o.fsim
    xatol = ws[_F.xatol]
    fatol = ws[_F.fatol]
    best = sim + iws[_PERM] * n
    for k in range(1, n + 1):
        row = sim + iws[_PERM + k] * n
        for i in range(n):
            if not abs(ws[row + i] - ws[best + i]) <= xatol:
                return False
    f0 = ws[fsim]
    for k in range(1, n + 1):
        if not abs(f0 - ws[fsim + k]) <= fatol:
            return False
    return True


@jitable
def _next_iteration(ws, iws):
    """scipy's loop test, convergence test and reflection."""
    n = iws[W.N]
    o = _offsets(n)
    sim, xbar, xr = o.sim, o.xbar, o.xr
    if iws[W.NFEV] >= iws[_I.maxfev]:
        W.finish(iws, R.MAXFEV)
        return
    if iws[W.NIT] >= iws[_I.maxiter]:
        W.finish(iws, R.MAXITER_STATUS2)
        return
    if _converged(ws, iws):
        # After +inf values the simplex may have converged on the edge of the region
        # where the objective is infinite, not on a minimum: reason NONFINITE at the best
        # vertex.
        W.finish(iws, R.NONFINITE if iws[_I.inf] != 0 else R.CONVERGED)
        return
    # xbar: the n best rows summed in order (numpy's add.reduce over axis 0), over n. Row
    # slices rather than offsets into ws, so that LLVM vectorises the O(n^2) sum (it
    # cannot tell offsets into one array apart; each entry is still summed in order).
    xb = ws[xbar:xbar + n]
    first = sim + iws[_PERM] * n
    fv = ws[first:first + n]
    for i in range(n):  # not xb[:] = fv, whose shape check compiles an error message
        xb[i] = fv[i]
    for k in range(1, n):
        row = sim + iws[_PERM + k] * n
        rv = ws[row:row + n]
        for i in range(n):
            xb[i] += rv[i]
    for i in range(n):
        xb[i] = xb[i] / n
    rho = ws[_F.rho]
    worst = sim + iws[_PERM + n] * n
    for i in range(n):
        ws[xr + i] = (1 + rho) * ws[xbar + i] - rho * ws[worst + i]
    _clip(ws, iws, xr)
    iws[_I.phase] = _REFLECT
    _ask(ws, iws, xr)


@jitable
def _end_iteration(ws, iws):
    iws[W.NIT] += 1
    _sort(ws, iws)
    _next_iteration(ws, iws)


def _step(ws, iws, f):
    n = iws[W.N]
    o = _offsets(n)
    sim, fsim, xr, xt = o.sim, o.fsim, o.xr, o.xt
    iws[W.NFEV] += 1
    phase = iws[_I.phase]
    if f != f or f == -math.inf:
        if phase == _INITIAL:
            if iws[_I.j] == 0:
                ws[W.FR] = f  # no finite value seen: x0 and its NaN (or -inf)
        elif phase == _EXPAND and ws[_F.fxr] < ws[W.FR]:
            # the reflected point beat the best vertex (the expansion failed): it is the
            # best point seen, though not yet a vertex
            iws[W.XR] = xr
            ws[W.FR] = ws[_F.fxr]
        elif phase == _SHRINK:
            for k in range(1, iws[_I.j]):  # vertices already moved and evaluated
                if ws[fsim + k] < ws[W.FR]:
                    iws[W.XR] = sim + iws[_PERM + k] * n
                    ws[W.FR] = ws[fsim + k]
        W.finish(iws, R.NONFINITE)
        return
    if f == math.inf:
        iws[_I.inf] = 1
    rho = ws[_F.rho]
    psi = ws[_F.psi]
    if phase == _INITIAL:
        k = iws[_I.j]
        ws[fsim + k] = f
        if f < ws[W.FR]:  # best so far, should a NaN end the run early
            ws[W.FR] = f
            iws[W.XR] = sim + k * n
        if k < n:
            _ask_vertex(ws, iws, k + 1)
        else:
            _sort(ws, iws)
            _next_iteration(ws, iws)
    elif phase == _REFLECT:
        ws[_F.fxr] = f
        if f < ws[fsim]:
            chi = ws[_F.chi]
            _trial(ws, iws, 1 + rho * chi, -(rho * chi), _EXPAND)
        elif f < ws[fsim + n - 1]:
            _replace_worst(ws, iws, xr, f)
            _end_iteration(ws, iws)
        elif f < ws[fsim + n]:
            _trial(ws, iws, 1 + psi * rho, -(psi * rho), _CONTRACT_OUT)
        else:
            _trial(ws, iws, 1 - psi, psi, _CONTRACT_IN)
    elif phase == _EXPAND:
        fxr = ws[_F.fxr]
        if f < fxr:
            _replace_worst(ws, iws, xt, f)
        else:
            _replace_worst(ws, iws, xr, fxr)
        _end_iteration(ws, iws)
    elif phase == _CONTRACT_OUT:
        if f <= ws[_F.fxr]:
            _replace_worst(ws, iws, xt, f)
            _end_iteration(ws, iws)
        else:
            _shrink_vertex(ws, iws, 1)
    elif phase == _CONTRACT_IN:
        if f < ws[fsim + n]:
            _replace_worst(ws, iws, xt, f)
            _end_iteration(ws, iws)
        else:
            _shrink_vertex(ws, iws, 1)
    else:  # _SHRINK
        k = iws[_I.j]
        ws[fsim + k] = f
        if k < n:
            _shrink_vertex(ws, iws, k + 1)
        else:
            _end_iteration(ws, iws)


# Whether _ask rounds points to float32: -1 reads the run's flag (init, once per run);
# the step variants below fix it at compile time, since a test of the flag at every
# point, however predictable, made a small solve 10% slower.
ROUND32 = -1

# The step's compiled helpers, copied into each variant with its own ROUND32.
_HELPERS = ("_sort", "_ask", "_ask_vertex", "_clip", "_trial", "_replace_worst",
            "_shrink_vertex", "_converged", "_next_iteration", "_end_iteration")


def _step_variant(name, round32):
    """A copy of ``_step`` and the helpers it reaches, over globals where ``ROUND32`` is
    ``round32``, named ``name`` (a module-level name: the compiled loops' disk cache
    keys on it by reference)."""
    scope = dict(globals(), ROUND32=round32)
    for helper in _HELPERS:
        f = globals()[helper]
        scope[helper] = jitable(pytypes.FunctionType(f.__code__, scope, helper))
    variant = pytypes.FunctionType(_step.__code__, scope, name)
    variant.__qualname__ = name
    variant.__doc__ = _step.__doc__
    return variant


step = _step_variant("step", 0)
step_f32 = _step_variant("step_f32", 1)


def step_for(iopts):
    """``step_f32`` for a float32 ``x0`` (it rounds every point to float32), else
    ``step``."""
    return step_f32 if np.asarray(iopts)[..., FLOAT32].any() else step


def limits(maxiter, maxfev, n):
    """scipy's maxiter/maxfev: both 200 n if neither is given; if one is given, the other
    is unlimited unless the given one is infinite (then the other is 200 n). scipy
    compares counts with ``<``, so 2.5 acts as 3 (see ``count_option``)."""
    if maxiter is not None:
        maxiter = count_option(maxiter, "maxiter", "Nelder-Mead")
    if maxfev is not None:
        maxfev = count_option(maxfev, "maxfev", "Nelder-Mead")
    if maxiter is None and maxfev is None:
        maxiter = maxfev = 200 * n
    elif maxiter is None:
        maxiter = 200 * n if maxfev == UNLIMITED else UNLIMITED
    elif maxfev is None:
        maxfev = 200 * n if maxiter == UNLIMITED else UNLIMITED
    return maxiter, maxfev


def initial_simplex(value, n):
    """scipy's checks of ``initial_simplex``; returns it as a float64 (n + 1, n) array."""
    sim = np.atleast_2d(np.asarray(value))
    if sim.ndim != 2 or sim.shape[0] != sim.shape[1] + 1:
        raise ValueError("`initial_simplex` should be an array of shape (N+1,N)")
    if sim.shape[1] != n:
        raise ValueError("Size of `initial_simplex` is not consistent with `x0`")
    if sim.dtype.kind not in "iubf":
        raise TypeError(f"`initial_simplex` must be real, got dtype {sim.dtype}")
    sim = np.asarray(sim, dtype=np.float64)
    if not np.all(np.isfinite(sim)):
        raise ValueError("`initial_simplex` must be finite (it contains NaN or infinity)")
    return sim


def parameters(adaptive, n):
    """(rho, chi, psi, sigma): the standard ones, or Gao and Han's for ``adaptive``."""
    if adaptive:
        dim = float(n)
        return 1.0, 1 + 2 / dim, 0.75 - 1 / (2 * dim), 1 - 1 / dim
    return 1.0, 2.0, 0.5, 0.5


def _pack(o, n, lower, upper):
    if n == 0:
        # scipy's limits are then 200 * 0: it returns fun=inf, a value the objective
        # never returned, without evaluating it.
        raise ValueError("x0 is empty: Nelder-Mead needs at least one variable")
    maxiter, maxfev = limits(o["maxiter"], o["maxfev"], n)
    xatol, fatol = (real_option(o[k], k, "Nelder-Mead") for k in ("xatol", "fatol"))
    parts = [np.array([xatol, fatol, *parameters(bool(o["adaptive"]), n)])]
    bounded = lower is not None
    if bounded:
        parts += [lower, upper]
    simplex = o["initial_simplex"] is not None
    if simplex:
        parts.append(initial_simplex(o["initial_simplex"], n).ravel())
    fopts = np.concatenate(parts).astype(np.float64)
    float32 = int(bool(o.get(FLOAT32_OPTION)))  # set by minimize for a float32 x0
    iopts = np.array([maxiter, maxfev, int(bounded), int(simplex), float32], dtype=np.int64)
    return fopts, iopts


def check(x0, options, lower, upper):
    """Python-side checks before the run, to be called by ``minimize`` itself: scipy's
    warning for an ``x0`` outside the bounds (the run then starts from ``x0`` clipped
    into them)."""
    if lower is not None and (np.any(lower > x0) or np.any(x0 > upper)):
        warnings.warn("Initial guess is not within the specified bounds", OptimizeWarning,
                      stacklevel=3)


def first_iterate(x0, options):
    """The first entry of ``allvecs`` (``return_all``): scipy's is its first simplex's
    first vertex, the given ``initial_simplex``'s where there is one (else None: ``x0``,
    clipped into the bounds)."""
    sim = options.get("initial_simplex")
    if sim is None:
        return None
    return np.array(np.atleast_2d(sim)[0], dtype=x0.dtype)


def extras(ws, iws, n, dtype):
    """scipy's extra result field: ``final_simplex = (sim, fsim)``, best vertex first."""
    o = _offsets(n)
    sim, fsim = o.sim, o.fsim
    rows = iws[_PERM:_PERM + n + 1]
    simplex = ws[sim:sim + (n + 1) * n].reshape(n + 1, n)[rows].astype(dtype)
    return {"final_simplex": (simplex, ws[fsim:fsim + n + 1].copy())}


METHOD = Method(
    name="Nelder-Mead", reference="scipy.optimize._optimize._minimize_neldermead",
    options=(
        Option("maxiter", "count", None, "Maximum number of iterations (when neither "
               "`maxiter` nor `maxfev` is set, both are `200 * n`; when one is set, the "
               "other is unlimited)."),
        Option("maxfev", "count", None,
               "Maximum number of objective evaluations (see `maxiter`)."),
        DISP, RETURN_ALL,
        Option("initial_simplex", "array", None, "An `(n + 1, n)` array of the first "
               "simplex's vertices (`None`: 5% steps from `x0`)."),
        Option("xatol", "real", 1e-4, "Stop when the simplex's vertices are this close to "
               "the best one (and `fatol` holds).", tol=True),
        Option("fatol", "real", 1e-4, "Stop when the simplex's values are this close to the "
               "best one (and `xatol` holds).", tol=True),
        Option("adaptive", "bool", False, "Dimension-dependent reflection, expansion and "
               "contraction parameters (Gao and Han)."),
    ),
    pack=_pack, module=sys.modules[__name__], sizes=sizes, init=init, step=step,
    choose_step=step_for, extras=extras, check=check, uses_gradient=False, bounds=True,
    nan_bound_is_none=False, keeps_dtype=True,
    reporting=Reporting(warning=RuntimeWarning, counts_on_failure=False,
                        first_iterate=first_iterate),
)
