"""L-BFGS-B, as ``scipy.optimize.minimize(method="L-BFGS-B")`` (scipy 1.17).

The limited-memory BFGS method for bound constraints of Byrd, Lu, Nocedal and Zhu (1995)
with the subspace step of version 3.0 (Morales and Nocedal, 2011), as in scipy's C
translation of the Fortran code. A reverse-communication state machine over the workspace
of :mod:`._workspace`: each ``step`` consumes one evaluation. One iteration is

1. the generalized Cauchy point ``x^c``: the first local minimizer of the quadratic model
   :math:`m(x) = g^T (x - x_k) + \\tfrac12 (x - x_k)^T B (x - x_k)` along the projected
   steepest-descent path :math:`P(x_k - t g, l, u)` (``_cauchy``), with
   :math:`B = \\theta I - W M W^T`, :math:`W = [Y \\;\\; \\theta S]`, in compact form;
2. subspace minimization of the model over the variables free at ``x^c``
   (``_formk``, ``_cmprlb``, ``_subsm``): a Newton step through the 2m x 2m ``K``
   matrix, projected into the box, and backtracked to the box when the projection would
   not give descent (the v3.0 change); without bounds, the same Newton step by the
   two-loop recursion (``_two_loop``);
3. a Moré-Thuente line search (MINPACK-2 ``dcsrch``, ``ftol=1e-3, gtol=0.9, xtol=0.1``;
   :mod:`._linesearch`'s, as scipy's C code has it: ``lbfgsb=True``) along ``d = x̄ - x_k`` with the step capped where the first bound is met (``stpmx``)
   and first trial ``1/||d||`` on the very first iteration of an unboxed problem;
4. the update of the ``(m, n)`` ring buffers ``S`` and ``Y``, of ``S^T Y`` and
   ``S^T S``, and the Cholesky factor of :math:`\\theta S^T S + L D^{-1} L^T`
   (``_matupd``, ``_formt``), skipped when :math:`s^T y \\le \\epsilon\\,(-g^T s)`.

Stopping tests are scipy's, in scipy's order: after each iteration, ``nit >= maxiter``,
then ``nfev > maxfun`` (both checked by scipy's Python loop), then the projected gradient
``max_i |proj g_i| <= gtol``, then ``(f_old - f) / max(|f_old|, |f|, 1) <= ftol``. A line
search that fails (more than ``maxls`` trials, or no descent) restarts from the steepest
descent with the memory dropped; a failure with an empty memory is scipy's "ABNORMAL".

Per iteration the work is O(m n) (plus O(m^2) per breakpoint met by the Cauchy search and
O(m^3) for the factorizations, which an unconstrained problem skips): no allocation, everything in ``ws``/``iws``. As scipy's
objective wrapper, a trial point equal to the point evaluated last is not evaluated again
(its f and g are reused), so ``nfev`` counts as scipy's does.

The x0 is projected into the box, as scipy's ``np.clip``. ``sizes(n, fopts, iopts)``
depends on ``maxcor`` and on whether any variable has a bound.

Differences from scipy, deliberate:

- NaN from the objective (or -inf, or NaN in the gradient along the search direction)
  stops the run with reason NONFINITE at the last iterate. ``+inf`` is passed to the line search,
  which backs off as scipy's does; but a run that then stops on no relative reduction
  (or ABNORMAL) ends with reason NONFINITE at the last iterate, where scipy reports convergence
  (the iterate can be anywhere short of the region where the objective is infinite).
- On "ABNORMAL" termination scipy reports ``fun`` of the last trial point with ``x`` and
  ``jac`` of the last iterate; here all three are the last iterate's.
- When the line search cannot start (its first step exceeds ``stpmx``, which needs a
  rounding error in the step to the bound), scipy evaluates anyway with the search in an
  error state; here that counts as a failed line search (restart, or ABNORMAL).
- ``maxfun`` counts calls of the objective-and-gradient; with a finite-difference
  gradient scipy counts those evaluations too.
- Without bounds, the subspace step ``-B^{-1} g`` (every variable free, no Cauchy point)
  comes from the two-loop recursion (``_two_loop``, O(mn)) instead of the factorization
  of the 2m x 2m matrix ``K`` (O(m^2 n + m^3)), and ``T`` is not factored: the same
  vector up to rounding, 2 to 3 times less time per iteration at ``m = 10``.
- LAPACK's Cholesky and triangular solves and BLAS dot products are replaced by plain
  loops (``potrf_upper``, ``trsv_upper``, sums in index order), and ``_formt``/``_subsm``
  multiply by ``1/D``, ``1/theta`` where scipy divides term by term: results agree with
  scipy's to rounding (scipy's own depend on the CPU's BLAS kernels), so ``nit``/``nfev``
  match scipy's on most problems (39 of the 40 MGH problems, with and without bounds)
  but not bit for bit.
- Options scipy accepts and then fails on are errors here: ``maxcor < 1`` and
  ``ftol < 0`` (scipy returns an "ERROR" result), NaN tolerances. A NaN bound is no
  bound, as in scipy.

References
----------
R. H. Byrd, P. Lu, J. Nocedal and C. Zhu, "A limited memory algorithm for bound
constrained optimization", SIAM J. Sci. Comput. 16(5), 1190-1208, 1995.
C. Zhu, R. H. Byrd, P. Lu and J. Nocedal, "Algorithm 778: L-BFGS-B", ACM TOMS 23(4),
550-560, 1997.
J. L. Morales and J. Nocedal, "Remark on Algorithm 778", ACM TOMS 38(1), 2011.
"""
import functools
import math
import sys

import numpy as np
from numba.extending import register_jitable
# numopt.minimize's results subclass scipy's, so scipy.optimize is loaded before any
# method module is (they load on the first minimize call, not with numopt).
from scipy.optimize import LbfgsInvHessProduct as _ScipyInvHessProduct

from . import _reasons as R
from . import _workspace as W
from ._layout import Layout
from ._linesearch import FG as _LS_FG
from ._linesearch import LS_SIZE, dcsrch_start, dcsrch_step, fmax, fmin
from ._registry import (FINITE_DIFF_REL_STEP, UNLIMITED, WORKERS, Method, Option, count_option,
                        ignored, real_option)
from ._standalone import standalone

# Option arrays given to init. fopts: FTOL, GTOL, then lower and upper bounds (n each).
FTOL, GTOL = range(2)
_NFOPTS = 2
# iopts: the four integers below, then nbd (n): 0 free, 1 lower, 2 both, 3 upper bound.
MAXCOR, MAXITER, MAXFUN, MAXLS = range(4)
_NIOPTS = 4

_EPSMCH = 2.220446049250313e-16

# The helpers are compiled once and cached on disk, whichever driver (the Python loop, the
# compiled loop of each args type, a batch) calls them, and called by address (see
# ._standalone): linked into their callers, as numba links njit functions, the call tree
# (loop, step, _iterate, _cauchy, ...) was optimized and compiled to machine code again at
# every level, for 20 s of cold compilation instead of 10.
_jit = standalone
# The small helpers (offsets, fmin/fmax, a dot product, the ring step, the line search's
# steps, the projected gradient, ...) are compiled into each caller instead, where LLVM
# inlines them: called by address once or more per evaluation, they would cost more than
# their arithmetic.
_small = register_jitable(error_model="numpy", no_cpython_wrapper=True, no_cfunc_wrapper=True)

# The workspace. Array lengths depend on n, m (maxcor) and bounded (1 when some variable
# has a bound): a problem without bounds keeps only s^T y of each correction and never
# factors T or K, so its ws ends m past sy (about a seventh of the full size at n = 2,
# m = 10, which matters to a batch of 1e5 problems).
LAYOUT = Layout(
    "lbfgsb", params=("n", "m", "bounded"),
    ints=("phase",       # _START or _SEARCH
          "m",           # maxcor
          "maxiter", "maxfun", "maxls",
          "col",         # corrections stored
          "head",        # ring slot of the oldest correction
          "itail",       # ring slot of the newest correction
          "iupdat",      # updates since the last restart
          "updatd",      # 1 when the last iteration updated the memory
          "cnstnd",      # 1 when some variable has a bound
          "boxed",       # 1 when every variable has both bounds
          "nfree",       # free variables at the Cauchy point
          "nenter",      # variables entering the free set (indx2[:nenter])
          "ileave",      # variables leaving it are indx2[ileave:]
          "ifun",        # evaluations in the current line search
          "iback",       # backtracks in the current line search
          "lastx", "lastg",  # buffers holding the point last evaluated and its gradient
          "repeat",      # 1 when the next trial point is the one last evaluated
          "inf"),        # 1 once the objective returned +inf at a trial point
    floats=("tol",       # ftol as scipy's factr * epsmch
            "pgtol",     # gtol
            "theta",     # B_0 = theta I
            "fold",      # f at the iterate the line search started from
            "gd",        # directional derivative at the last trial
            "gdold",     # and at step 0
            "stp",       # the current trial step
            "dnorm",     # ||d||
            "dtd",       # ||d||^2
            "stpmx",     # largest step inside the box
            "sbgnrm",    # projected gradient norm at the iterate
            "flast"),    # f at the point last evaluated
    arrays=(("ls", LS_SIZE),  # the line search's state (see ._linesearch)
            ("lo", "n"), ("up", "n"),   # bounds
            ("xa", "n"), ("xb", "n"),   # two point buffers: the iterate and the trial
            ("ga", "n"), ("gb", "n"),   #   point, swapped when a step is accepted
            ("z", "n"),   # Cauchy point, then the subspace minimizer
            ("r", "n"),   # reduced gradient, then y
            ("d", "n"),   # search direction, then s
            ("t", "n"),   # breakpoints
            ("xp", "n"),  # subspace minimizer before projection
            ("wa", "8 * m"),  # p, c, wbp, v of the Cauchy search
            ("S", "m * n"),   # (m, n) ring buffer of s vectors, slot j at S + j * n
            ("Y", "m * n"),   # (m, n) ring buffer of y vectors
            ("sy", "m * m if bounded else m"),  # S^T Y (lower triangle); unbounded: s_j^T y_j
            ("ss", "bounded * m * m"),      # S^T S (upper triangle)
            ("wt", "bounded * m * m"),      # Cholesky factor of theta S^T S + L D^-1 L^T
            ("wn", "bounded * 4 * m * m"),  # 2m x 2m, factor of K
            ("snd", "bounded * 4 * m * m")),  # 2m x 2m, inner products forming K
    # nbd; iwhere (-1 unbounded, 0 free, 1 at lower, 2 at upper, 3 fixed, -3 free with
    # zero gradient); index (the variables free at the Cauchy point, then the active
    # ones); indx2 (the breakpoints' order in _cauchy, then the variables entering and
    # leaving the free set).
    int_arrays=(("nbd", "n"), ("iwhere", "n"), ("index", "n"), ("indx2", "n")),
)
_I, _F, _offsets, _int_offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets, LAYOUT.int_offsets

# phases
_START, _SEARCH = 0, 1

# The line search: MINPACK-2's dcsrch as scipy's C code calls it (lnsrlb), ._linesearch's
# with lbfgsb=True.
_LS_FTOL, _LS_GTOL, _LS_XTOL, _LS_STPMIN = 1e-3, 0.9, 0.1, 0.0

# -- small dense kernels: LAPACK's dpotrf/dtrtrs (unblocked) on column-major blocks of ws,
# element (i, j) at a[i + lda * j] as in the Fortran; kept in this file because numba's
# cache only watches the file that defines a cached function.
@_jit
def potrf_upper(a, lda, nn):
    """Cholesky factor ``A = U^T U`` of the symmetric block whose upper triangle is given.

    ``U`` overwrites that upper triangle (``dpotrf`` with ``uplo='U'``). Returns 0, or
    ``j + 1`` when the leading minor of order ``j + 1`` is not positive definite.
    """
    for j in range(nn):
        cj = lda * j
        ajj = 0.0
        for k in range(j):
            v = a[k + cj]
            ajj += v * v
        ajj = a[j + cj] - ajj
        if not ajj > 0.0:  # also catches NaN
            a[j + cj] = ajj
            return j + 1
        ajj = math.sqrt(ajj)
        a[j + cj] = ajj
        rcp = 1.0 / ajj
        for jj in range(j + 1, nn):
            cjj = lda * jj
            s = 0.0
            for k in range(j):
                s += a[k + cj] * a[k + cjj]
            a[j + cjj] = (a[j + cjj] - s) * rcp
    return 0


@_jit
def trsv_upper(a, lda, nn, b, trans):
    """Solve ``U^T x = b`` (``trans``) or ``U x = b`` in place, ``U`` upper triangular.

    ``dtrtrs`` with one right-hand side ``b`` (a view of length ``nn`` or more). Returns
    0, or ``i + 1`` when ``U[i, i] == 0`` (then nothing is solved).
    """
    for i in range(nn):
        if a[i + lda * i] == 0.0:
            return i + 1
    if trans:
        for i in range(nn):
            ci = lda * i
            temp = b[i]
            for k in range(i):
                temp -= a[k + ci] * b[k]
            b[i] = temp / a[i + ci]
    else:
        for k in range(nn - 1, -1, -1):
            ck = lda * k
            bk = b[k]
            if bk != 0.0:
                bk = bk / a[k + ck]
                b[k] = bk
                for i in range(k):
                    b[i] -= bk * a[i + ck]
    return 0


@_small
def dot(x, y, nn):
    """Sum of ``x[i] * y[i]`` for ``i < nn``, in order."""
    s = 0.0
    for i in range(nn):
        s += x[i] * y[i]
    return s


@_small
def _ws(iws):
    """The offsets of this problem's arrays in ``ws``."""
    return _offsets(iws[W.N], iws[_I.m], iws[_I.cnstnd])


@_small
def _iws(iws):
    """The offsets of this problem's arrays in ``iws``."""
    return _int_offsets(iws[W.N], iws[_I.m], iws[_I.cnstnd])


def layout_params(n, fopts, iopts):
    """The parameters of :data:`LAYOUT` for these options: ``(n, maxcor, bounded)``."""
    return n, int(iopts[MAXCOR]), int(bool(iopts[_NIOPTS:_NIOPTS + n].any()))


def sizes(n, fopts, iopts):
    """Lengths of ``ws`` and ``iws`` for ``n`` variables, the ``maxcor`` in ``iopts`` and
    whether any variable has a bound (see :data:`LAYOUT`)."""
    return LAYOUT.sizes(*layout_params(n, fopts, iopts))


def init(ws, iws, x0, fopts, iopts):
    n = x0.size
    iws[W.N] = n
    iws[_I.m] = iopts[MAXCOR]
    iws[_I.maxiter] = iopts[MAXITER]
    iws[_I.maxfun] = iopts[MAXFUN]
    iws[_I.maxls] = iopts[MAXLS]
    # scipy passes factr = ftol / eps to the C code, which tests against factr * eps.
    ws[_F.tol] = fopts[FTOL] / _EPSMCH * _EPSMCH
    ws[_F.pgtol] = fopts[GTOL]
    ws[_F.theta] = 1.0
    iws[_I.nfree] = n
    iws[_I.ileave] = n
    iws[_I.inf] = 0
    cnstnd = 0
    for i in range(n):
        if iopts[_NIOPTS + i] != 0:
            cnstnd = 1
    iws[_I.cnstnd] = cnstnd
    o = _ws(iws)
    lo, up, xa, xb = o.lo, o.up, o.xa, o.xb
    io = _iws(iws)
    nbd, iwhere = io.nbd, io.iwhere
    # scipy's active(): project x0 into the box, classify the variables.
    boxed = 1
    for i in range(n):
        b = iopts[_NIOPTS + i]
        lv = fopts[_NFOPTS + i]
        uv = fopts[_NFOPTS + n + i]
        iws[nbd + i] = b
        ws[lo + i] = lv
        ws[up + i] = uv
        xi = x0[i]
        if (b == 1 or b == 2) and xi < lv:
            xi = lv
        elif (b == 2 or b == 3) and xi > uv:
            xi = uv
        ws[xa + i] = xi
        ws[xb + i] = xi
        if b != 2:
            boxed = 0
        if b == 0:
            iws[iwhere + i] = -1
        else:
            iws[iwhere + i] = 3 if (b == 2 and uv - lv <= 0.0) else 0
    iws[_I.boxed] = boxed
    iws[W.X] = xb
    iws[W.G] = o.gb
    iws[W.XR] = xa
    iws[W.GR] = o.ga
    iws[_I.phase] = _START
    iws[W.TASK] = W.EVALUATE


@_small
def _nxt(p, m):
    """The ring slot after ``p`` (an integer ``%`` costs a division)."""
    p += 1
    return 0 if p == m else p


@_small
def _reset_memory(ws, iws):
    """Drop the L-BFGS memory: B = I again (scipy's restarts)."""
    iws[_I.col] = 0
    iws[_I.head] = 0
    iws[_I.iupdat] = 0
    iws[_I.updatd] = 0
    ws[_F.theta] = 1.0


@_small
def _projgr(n, lo, up, nbd, x, g):
    """Infinity norm of the projected gradient (NaN if the gradient has a NaN)."""
    norm = 0.0
    for i in range(n):
        gi = g[i]
        if gi != gi:
            return gi
        b = nbd[i]
        if b != 0:
            if gi < 0.0:
                if b >= 2:
                    gi = fmax(x[i] - up[i], gi)
            else:
                if b <= 2:
                    gi = fmin(x[i] - lo[i], gi)
        norm = fmax(norm, abs(gi))
    return norm


@_jit
def _bmv(m, sy, wt, col, v, p):
    """p = M v for a 2col-vector v, M the middle matrix of the compact form of B.

    Returns nonzero when a triangular factor is singular.
    """
    if col == 0:
        return 0
    # [ D^(1/2)       0 ] [p1]   [v1]
    # [ -L D^(-1/2)   J ] [p2] = [v2]
    p[col] = v[col]
    for i in range(1, col):
        s = 0.0
        for k in range(i):
            s = s + sy[i + m * k] * v[k] / sy[k + m * k]
        p[col + i] = v[col + i] + s
    p2 = p[col:]
    info = trsv_upper(wt, m, col, p2, True)
    if info != 0:
        return info
    for i in range(col):
        p[i] = v[i] / math.sqrt(sy[i + m * i])
    # [ -D^(1/2)   D^(-1/2) L^T ] [p1]   [p1]
    # [ 0          J^T          ] [p2] = [p2]
    info = trsv_upper(wt, m, col, p2, False)
    if info != 0:
        return info
    for i in range(col):
        p[i] = -p[i] / math.sqrt(sy[i + m * i])
    for i in range(col):
        s = 0.0
        for k in range(i + 1, col):
            s = s + sy[k + m * i] * p[col + k] / sy[i + m * i]
        p[i] = p[i] + s
    return 0


@_jit
def _hpsolb(nn, t, iorder, iheap):
    """Heap step of the breakpoint search (scipy's ``hpsolb``; ``nn`` the last index).

    Unless ``iheap``, first arrange ``t[0..nn]`` as a heap; then move its least element to
    ``t[nn]`` and re-heap ``t[0..nn-1]``. ``iorder`` is permuted alongside. The heap is
    1-based, as in the Fortran: element ``k`` is ``t[k - 1]``.
    """
    if iheap == 0:
        for k in range(2, nn + 2):
            ddum = t[k - 1]
            indxin = iorder[k - 1]
            i = k
            while i > 1:
                j = i // 2
                if ddum < t[j - 1]:
                    t[i - 1] = t[j - 1]
                    iorder[i - 1] = iorder[j - 1]
                    i = j
                else:
                    break
            t[i - 1] = ddum
            iorder[i - 1] = indxin
    if nn > 0:
        i = 1
        out = t[0]
        indxout = iorder[0]
        ddum = t[nn]
        indxin = iorder[nn]
        while True:
            j = i + i
            if j > nn:
                break
            if t[j] < t[j - 1]:
                j += 1
            if t[j - 1] < ddum:
                t[i - 1] = t[j - 1]
                iorder[i - 1] = iorder[j - 1]
                i = j
            else:
                break
        t[i - 1] = ddum
        iorder[i - 1] = indxin
        t[nn] = out
        iorder[nn] = indxout


@_jit
def _cauchy(ws, iws, n, m, xo, go):
    """Generalized Cauchy point into ``z`` (scipy's ``cauchy``); c = W'(z - x) into wa[2m:].

    Updates ``iwhere`` for the variables met at bounds along the path. Returns nonzero
    when the middle matrix is singular.
    """
    o = _ws(iws)
    io = _iws(iws)
    nbd = iws[io.nbd:io.nbd + n]
    iwhere = iws[io.iwhere:io.iwhere + n]
    iorder = iws[io.indx2:io.indx2 + n]
    x = ws[xo:xo + n]
    g = ws[go:go + n]
    lv = ws[o.lo:o.lo + n]
    uv = ws[o.up:o.up + n]
    xcp = ws[o.z:o.z + n]
    d = ws[o.d:o.d + n]
    t = ws[o.t:o.t + n]
    Sv = ws[o.S:o.S + m * n]
    Yv = ws[o.Y:o.Y + m * n]
    sy = ws[o.sy:o.sy + m * m]
    wt = ws[o.wt:o.wt + m * m]
    wao = o.wa
    p = ws[wao:wao + 2 * m]
    c = ws[wao + 2 * m:wao + 2 * m + 2 * m]
    wbp = ws[wao + 4 * m:wao + 4 * m + 2 * m]
    v = ws[wao + 6 * m:wao + 6 * m + 2 * m]
    col = iws[_I.col]
    head = iws[_I.head]
    theta = ws[_F.theta]
    if ws[_F.sbgnrm] <= 0.0:
        for i in range(n):
            xcp[i] = x[i]
        return 0
    bnded = True
    nfree = n
    nbreak = -1
    ibkmin = 0
    bkmin = 0.0
    col2 = 2 * col
    f1 = 0.0
    tl = 0.0
    tu = 0.0
    for j in range(col2):
        p[j] = 0.0
    # Bound status and breakpoint of each variable; p = W'd; the smallest breakpoint.
    for i in range(n):
        neggi = -g[i]
        b = nbd[i]
        iw = iwhere[i]
        if iw != 3 and iw != -1:
            if b <= 2:
                tl = x[i] - lv[i]
            if b >= 2:
                tu = uv[i] - x[i]
            iw = 0
            if b <= 2 and tl <= 0.0:
                if neggi <= 0.0:
                    iw = 1
            elif b >= 2 and tu <= 0.0:
                if neggi >= 0.0:
                    iw = 2
            elif abs(neggi) <= 0.0:
                iw = -3
            iwhere[i] = iw
        if iw != 0 and iw != -1:
            d[i] = 0.0
        else:
            d[i] = neggi
            f1 = f1 - neggi * neggi
            pointr = head
            for j in range(col):
                p[j] = p[j] + Yv[pointr * n + i] * neggi
                p[col + j] = p[col + j] + Sv[pointr * n + i] * neggi
                pointr = _nxt(pointr, m)
            if b <= 2 and b != 0 and neggi < 0.0:
                nbreak += 1
                iorder[nbreak] = i
                tb = tl / (-neggi)
                t[nbreak] = tb
                if nbreak == 0 or tb < bkmin:
                    bkmin = tb
                    ibkmin = nbreak
            elif b >= 2 and neggi > 0.0:
                nbreak += 1
                iorder[nbreak] = i
                tb = tu / neggi
                t[nbreak] = tb
                if nbreak == 0 or tb < bkmin:
                    bkmin = tb
                    ibkmin = nbreak
            else:
                nfree -= 1
                iorder[nfree] = i
                if abs(neggi) > 0.0:
                    bnded = False
    if theta != 1.0:
        for j in range(col):
            p[col + j] *= theta
    for i in range(n):
        xcp[i] = x[i]
    if nbreak == -1 and nfree == n:
        return 0  # d = 0: x is the Cauchy point
    for j in range(col2):
        c[j] = 0.0
    f2 = -theta * f1
    f2_org = f2
    if col > 0:
        info = _bmv(m, sy, wt, col, p, v)
        if info != 0:
            return info
        f2 = f2 - dot(v, p, col2)
    dtm = -f1 / f2
    tsum = 0.0
    if nbreak >= 0:
        nleft = nbreak
        it = 0
        tj = 0.0
        while True:
            # The next breakpoint: the smallest is known, later ones come off a heap.
            tj0 = tj
            if it == 0:
                tj = bkmin
                ibp = iorder[ibkmin]
            else:
                if it == 1 and ibkmin != nbreak:
                    t[ibkmin] = t[nbreak]
                    iorder[ibkmin] = iorder[nbreak]
                _hpsolb(nleft, t, iorder, it - 1)
                tj = t[nleft]
                ibp = iorder[nleft]
            dt = tj - tj0
            if dtm < dt:
                break  # the minimizer lies before this breakpoint
            # Fix variable ibp at its bound and update the derivatives f1, f2.
            tsum = tsum + dt
            nleft -= 1
            it += 1
            dibp = d[ibp]
            d[ibp] = 0.0
            if dibp > 0.0:
                zibp = uv[ibp] - x[ibp]
                xcp[ibp] = uv[ibp]
                iwhere[ibp] = 2
            else:
                zibp = lv[ibp] - x[ibp]
                xcp[ibp] = lv[ibp]
                iwhere[ibp] = 1
            dibp2 = dibp * dibp
            f1 = f1 + dt * f2 + dibp2 - theta * dibp * zibp
            f2 = f2 - theta * dibp2
            if col > 0:
                for j in range(col2):
                    c[j] += dt * p[j]
                pointr = head
                for j in range(col):
                    wbp[j] = Yv[pointr * n + ibp]
                    wbp[col + j] = theta * Sv[pointr * n + ibp]
                    pointr = _nxt(pointr, m)
                info = _bmv(m, sy, wt, col, wbp, v)
                if info != 0:
                    return info
                wmc = dot(c, v, col2)
                wmp = dot(p, v, col2)
                wmw = dot(wbp, v, col2)
                for j in range(col2):
                    p[j] += -dibp * wbp[j]
                f1 = f1 + dibp * wmc
                f2 = f2 + dibp * 2.0 * wmp - dibp2 * wmw
            f2 = fmax(_EPSMCH * f2_org, f2)
            if nleft >= 0:
                dtm = -f1 / f2
            elif bnded:
                dtm = 0.0
                break
            else:
                dtm = -f1 / f2
                break
    if dtm <= 0.0:
        dtm = 0.0
    tsum = tsum + dtm
    # Move the free variables and those whose breakpoints were not reached.
    for i in range(n):
        xcp[i] += tsum * d[i]
    if col > 0:
        for j in range(col2):
            c[j] += dtm * p[j]
    return 0


@_jit
def _freev(iws, n, it, cnstnd, updatd):
    """Free/active partition at the Cauchy point into ``index``; entering and leaving
    variables into ``indx2``. Returns ``wrk``: whether K must be formed anew."""
    io = _iws(iws)
    iwhere = iws[io.iwhere:io.iwhere + n]
    index = iws[io.index:io.index + n]
    indx2 = iws[io.indx2:io.indx2 + n]
    nfree = iws[_I.nfree]
    nenter = 0
    ileave = n
    if it > 0 and cnstnd:
        for i in range(nfree):
            k = index[i]
            if iwhere[k] > 0:
                ileave -= 1
                indx2[ileave] = k
        for i in range(nfree, n):
            k = index[i]
            if iwhere[k] <= 0:
                indx2[nenter] = k
                nenter += 1
    wrk = ileave < n or nenter > 0 or updatd != 0
    nfree = 0
    iact = n
    for i in range(n):
        if iwhere[i] <= 0:
            index[nfree] = i
            nfree += 1
        else:
            iact -= 1
            index[iact] = i
    iws[_I.nfree] = nfree
    iws[_I.nenter] = nenter
    iws[_I.ileave] = ileave
    return wrk


@_jit
def _formk(ws, iws, n, m):
    """Form and factor K = [[-D - Y'ZZ'Y/theta, L_a' - R_z'], [L_a - R_z, theta S'AA'S]]
    (scipy's ``formk``): its LEL^T factor into ``wn``; the inner products, kept up to
    date across iterations, in ``snd``. Returns nonzero when a factorization fails."""
    o = _ws(iws)
    io = _iws(iws)
    ind = iws[io.index:io.index + n]
    indx2 = iws[io.indx2:io.indx2 + n]
    Sv = ws[o.S:o.S + m * n]
    Yv = ws[o.Y:o.Y + m * n]
    sy = ws[o.sy:o.sy + m * m]
    m2 = 2 * m
    wn = ws[o.wn:o.wn + m2 * m2]
    wn1 = ws[o.snd:o.snd + m2 * m2]
    nsub = iws[_I.nfree]
    nenter = iws[_I.nenter]
    ileave = iws[_I.ileave]
    col = iws[_I.col]
    head = iws[_I.head]
    theta = ws[_F.theta]
    if iws[_I.updatd] != 0:
        if iws[_I.iupdat] > m:
            # The memory is full: shift the old parts of wn1 up-left by one.
            for jy in range(m - 1):
                js = m + jy
                for q in range(m - jy - 1):
                    wn1[jy + q + m2 * jy] = wn1[jy + 1 + q + m2 * (jy + 1)]
                    wn1[js + q + m2 * js] = wn1[js + 1 + q + m2 * (js + 1)]
                for q in range(m - 1):
                    wn1[m + q + m2 * jy] = wn1[m + 1 + q + m2 * (jy + 1)]
        # New rows of blocks (1,1) (Y'ZZ'Y), (2,2) (S'AA'S) and (2,1) (L_a), and new column
        # of block (2,1) (R_z); its element jy is summed in the pass over the free variables
        # that sums element jy of the row of Y'ZZ'Y (two independent chains, each in the
        # Fortran's order).
        iy = col - 1
        is_ = m + col - 1
        last = head + col - 1
        if last >= m:
            last -= m
        lb = last * n
        jpntr = head
        for jy in range(col):
            js = m + jy
            jb = jpntr * n
            temp1 = 0.0
            temp4 = 0.0
            for k in range(nsub):
                k1 = ind[k]
                ylk = Yv[lb + k1]
                temp1 = temp1 + ylk * Yv[jb + k1]
                temp4 = temp4 + Sv[jb + k1] * ylk
            temp2 = 0.0
            temp3 = 0.0
            for k in range(nsub, n):
                k1 = ind[k]
                temp2 = temp2 + Sv[lb + k1] * Sv[jb + k1]
                temp3 = temp3 + Sv[lb + k1] * Yv[jb + k1]
            wn1[iy + m2 * jy] = temp1
            wn1[is_ + m2 * js] = temp2
            wn1[is_ + m2 * jy] = temp3
            wn1[m + jy + m2 * iy] = temp4  # after temp3: (is_, iy) belongs to R_z
            jpntr = _nxt(jpntr, m)
        upcl = col - 1
    else:
        upcl = col
    if nenter > 0 or ileave < n:
        # Correct the old parts of blocks (1,1), (2,2) and (2,1) for the variables that
        # entered or left the free set.
        ipntr = head
        for iy in range(upcl):
            is_ = m + iy
            ib = ipntr * n
            jpntr = head
            for jy in range(iy + 1):
                js = m + jy
                jb = jpntr * n
                temp1 = 0.0
                temp2 = 0.0
                temp3 = 0.0
                temp4 = 0.0
                for k in range(nenter):
                    k1 = indx2[k]
                    temp1 = temp1 + Yv[ib + k1] * Yv[jb + k1]
                    temp2 = temp2 + Sv[ib + k1] * Sv[jb + k1]
                for k in range(ileave, n):
                    k1 = indx2[k]
                    temp3 = temp3 + Yv[ib + k1] * Yv[jb + k1]
                    temp4 = temp4 + Sv[ib + k1] * Sv[jb + k1]
                wn1[iy + m2 * jy] = wn1[iy + m2 * jy] + temp1 - temp3
                wn1[is_ + m2 * js] = wn1[is_ + m2 * js] - temp2 + temp4
                jpntr = _nxt(jpntr, m)
            ipntr = _nxt(ipntr, m)
        ipntr = head
        for is_ in range(m, m + upcl):
            ib = ipntr * n
            jpntr = head
            for jy in range(upcl):
                jb = jpntr * n
                temp1 = 0.0
                temp3 = 0.0
                for k in range(nenter):
                    k1 = indx2[k]
                    temp1 = temp1 + Sv[ib + k1] * Yv[jb + k1]
                for k in range(ileave, n):
                    k1 = indx2[k]
                    temp3 = temp3 + Sv[ib + k1] * Yv[jb + k1]
                if is_ <= jy + m:
                    wn1[is_ + m2 * jy] = wn1[is_ + m2 * jy] + temp1 - temp3
                else:
                    wn1[is_ + m2 * jy] = wn1[is_ + m2 * jy] - temp1 + temp3
                jpntr = _nxt(jpntr, m)
            ipntr = _nxt(ipntr, m)
    # Upper triangle of WN = [D + Y'ZZ'Y/theta, -L_a' + R_z'; ., theta S'AA'S].
    for iy in range(col):
        is_ = col + iy
        is1 = m + iy
        for jy in range(iy + 1):
            js = col + jy
            js1 = m + jy
            wn[jy + m2 * iy] = wn1[iy + m2 * jy] / theta
            wn[js + m2 * is_] = wn1[is1 + m2 * js1] * theta
        for jy in range(iy):
            wn[jy + m2 * is_] = -wn1[is1 + m2 * jy]
        for jy in range(iy, col):
            wn[jy + m2 * is_] = wn1[is1 + m2 * jy]
        wn[iy + m2 * iy] = wn[iy + m2 * iy] + sy[iy + m * iy]
    # LL' of block (1,1); L^-1 (-L_a' + R_z') into block (1,2); then the Cholesky factor
    # of theta S'AA'S + (L^-1(-L_a' + R_z'))' L^-1(-L_a' + R_z') into block (2,2).
    if potrf_upper(wn, m2, col) != 0:
        return -1
    col2 = 2 * col
    for j in range(col, col2):
        trsv_upper(wn, m2, col, wn[m2 * j:], True)
    for is_ in range(col, col2):
        ci = m2 * is_
        for js in range(is_, col2):
            cj = m2 * js
            s = 0.0
            for k in range(col):
                s += wn[ci + k] * wn[cj + k]
            wn[is_ + cj] = wn[is_ + cj] + s
    if potrf_upper(wn[col + m2 * col:], m2, col) != 0:
        return -2
    return 0


@_jit
def _cmprlb(ws, iws, n, m, xo, go):
    """r = -Z'(B (z - x) + g) over the free variables, using c = W'(z - x) from _cauchy."""
    o = _ws(iws)
    io = _iws(iws)
    index = iws[io.index:io.index + n]
    x = ws[xo:xo + n]
    g = ws[go:go + n]
    z = ws[o.z:o.z + n]
    r = ws[o.r:o.r + n]
    col = iws[_I.col]
    head = iws[_I.head]
    theta = ws[_F.theta]
    nfree = iws[_I.nfree]
    if iws[_I.cnstnd] == 0 and col > 0:
        for i in range(n):
            r[i] = -g[i]
        return 0
    for i in range(nfree):
        k = index[i]
        r[i] = -theta * (z[k] - x[k]) - g[k]
    wa = ws[o.wa:o.wa + 4 * m]
    if _bmv(m, ws[o.sy:o.sy + m * m], ws[o.wt:o.wt + m * m], col, wa[2 * m:], wa) != 0:
        return -8
    Sv = ws[o.S:o.S + m * n]
    Yv = ws[o.Y:o.Y + m * n]
    pointr = head
    for j in range(col):
        a1 = wa[j]
        a2 = theta * wa[col + j]
        jb = pointr * n
        for i in range(nfree):
            k = index[i]
            r[i] = r[i] + Yv[jb + k] * a1 + Sv[jb + k] * a2
        pointr = _nxt(pointr, m)
    return 0


@_jit
def _subsm(ws, iws, n, m, xo, go):
    """Subspace minimization from the Cauchy point ``z`` over the free variables, with the
    v3.0 projection and backtrack (scipy's ``subsm``); the reduced gradient is in ``r``.
    Returns nonzero when K's factor is singular."""
    o = _ws(iws)
    io = _iws(iws)
    nbd = iws[io.nbd:io.nbd + n]
    ind = iws[io.index:io.index + n]
    nsub = iws[_I.nfree]
    col = iws[_I.col]
    head = iws[_I.head]
    theta = ws[_F.theta]
    if nsub <= 0:
        return 0
    x = ws[o.z:o.z + n]  # in: the Cauchy point; out: the subspace minimizer
    d = ws[o.r:o.r + n]  # in: the reduced gradient; out: the Newton step (free variables)
    xx = ws[xo:xo + n]   # the iterate
    gg = ws[go:go + n]   # its gradient
    lv = ws[o.lo:o.lo + n]
    uv = ws[o.up:o.up + n]
    xp = ws[o.xp:o.xp + n]
    Sv = ws[o.S:o.S + m * n]
    Yv = ws[o.Y:o.Y + m * n]
    m2 = 2 * m
    wn = ws[o.wn:o.wn + m2 * m2]
    wv = ws[o.wa:o.wa + m2]
    col2 = 2 * col
    # wv = W'Z d, two corrections per pass (four independent sums, each in scipy's order)
    pointr = head
    i = 0
    while i < col:
        pair = i + 1 < col
        pointr2 = _nxt(pointr, m)
        ib = pointr * n
        ib2 = pointr2 * n if pair else ib
        temp1 = 0.0
        temp2 = 0.0
        temp3 = 0.0
        temp4 = 0.0
        for j in range(nsub):
            k = ind[j]
            dj = d[j]
            temp1 += Yv[ib + k] * dj
            temp2 += Sv[ib + k] * dj
            temp3 += Yv[ib2 + k] * dj
            temp4 += Sv[ib2 + k] * dj
        wv[i] = temp1
        wv[col + i] = theta * temp2
        if pair:
            wv[i + 1] = temp3
            wv[col + i + 1] = theta * temp4
            pointr = _nxt(pointr2, m)
        i += 2
    # wv = K^-1 wv
    info = trsv_upper(wn, m2, col2, wv, True)
    if info != 0:
        return info
    for i in range(col):
        wv[i] = -wv[i]
    info = trsv_upper(wn, m2, col2, wv, False)
    if info != 0:
        return info
    # d = (1/theta) d + (1/theta^2) Z'W wv. (scipy divides each term by theta; dividing
    # wv once instead changes the last bit, and saves a division per term.)
    for jy in range(col):
        wv[jy] = wv[jy] / theta
    pointr = head
    for jy in range(col):
        jb = pointr * n
        a1 = wv[jy]
        a2 = wv[col + jy]
        for i in range(nsub):
            k = ind[i]
            d[i] = d[i] + Yv[jb + k] * a1 + Sv[jb + k] * a2
        pointr = _nxt(pointr, m)
    temp = 1.0 / theta
    for i in range(nsub):
        d[i] *= temp
    # Project the Newton point into the box.
    iword = 0
    for i in range(n):
        xp[i] = x[i]
    for i in range(nsub):
        k = ind[i]
        dk = d[i]
        xk = x[k]
        b = nbd[k]
        if b == 0:
            x[k] = xk + dk
        elif b == 1:
            x[k] = fmax(lv[k], xk + dk)
            if x[k] == lv[k]:
                iword = 1
        elif b == 2:
            xk = fmax(lv[k], xk + dk)
            x[k] = fmin(uv[k], xk)
            if x[k] == lv[k] or x[k] == uv[k]:
                iword = 1
        elif b == 3:
            x[k] = fmin(uv[k], xk + dk)
            if x[k] == uv[k]:
                iword = 1
    if iword == 0:
        return 0
    # The projected point must give descent from the iterate; otherwise step along the
    # Newton direction only as far as the first bound.
    dd_p = 0.0
    for i in range(n):
        dd_p = dd_p + (x[i] - xx[i]) * gg[i]
    if not dd_p > 0.0:
        return 0
    for i in range(n):
        x[i] = xp[i]
    alpha = 1.0
    temp1 = 1.0
    ibd = 0
    for i in range(nsub):
        k = ind[i]
        dk = d[i]
        b = nbd[k]
        if b != 0:
            if dk < 0.0 and b <= 2:
                temp2 = lv[k] - x[k]
                if temp2 >= 0.0:
                    temp1 = 0.0
                elif dk * alpha < temp2:
                    temp1 = temp2 / dk
            elif dk > 0.0 and b >= 2:
                temp2 = uv[k] - x[k]
                if temp2 <= 0.0:
                    temp1 = 0.0
                elif dk * alpha > temp2:
                    temp1 = temp2 / dk
            if temp1 < alpha:
                alpha = temp1
                ibd = i
    if alpha < 1.0:
        dk = d[ibd]
        k = ind[ibd]
        if dk > 0.0:
            x[k] = uv[k]
            d[ibd] = 0.0
        elif dk < 0.0:
            x[k] = lv[k]
            d[ibd] = 0.0
    for i in range(nsub):
        k = ind[i]
        x[k] = x[k] + alpha * d[i]
    return 0


@_jit
def _matupd(ws, iws, n, m, rr, dr, stp, dtd):
    """Store s (in ``d``) and y (in ``r``) in the ring buffers; update S'Y, S'S, theta."""
    o = _ws(iws)
    iupdat = iws[_I.iupdat]
    head = iws[_I.head]
    if iupdat <= m:
        col = iupdat
        itail = (head + iupdat - 1) % m
    else:
        col = iws[_I.col]
        itail = _nxt(iws[_I.itail], m)
        head = _nxt(head, m)
    iws[_I.col] = col
    iws[_I.itail] = itail
    iws[_I.head] = head
    d = ws[o.d:o.d + n]
    r = ws[o.r:o.r + n]
    Sv = ws[o.S:o.S + m * n]
    Yv = ws[o.Y:o.Y + m * n]
    sy = ws[o.sy:o.sy + m * m]
    ss = ws[o.ss:o.ss + m * m]
    tb = itail * n
    for i in range(n):
        Sv[tb + i] = d[i]
        Yv[tb + i] = r[i]
    ws[_F.theta] = rr / dr
    if iws[_I.cnstnd] == 0:
        # Without bounds only s^T y of each correction is used (by _two_loop), kept at
        # sy[slot] for its ring slot: no S'Y, S'S to shift and extend (nor to store:
        # see sizes).
        sy[itail] = dr
        return
    if iupdat > m:
        # Drop the oldest correction: shift the upper triangle of SS and the lower of SY.
        for j in range(1, col):
            for i in range(j):
                ss[i + m * (j - 1)] = ss[1 + i + m * j]
            for i in range(col - j):
                sy[j - 1 + i + m * (j - 1)] = sy[j + i + m * j]
    # The new row of S'Y and column of S'S.
    pointr = head
    j = 0
    while j < col - 1:  # two corrections per pass
        pair = j + 1 < col - 1
        pointr2 = _nxt(pointr, m)
        jb = pointr * n
        jb2 = pointr2 * n if pair else jb
        s1 = 0.0
        s2 = 0.0
        s3 = 0.0
        s4 = 0.0
        for i in range(n):
            di = d[i]
            s1 += di * Yv[jb + i]
            s2 += Sv[jb + i] * di
            s3 += di * Yv[jb2 + i]
            s4 += Sv[jb2 + i] * di
        sy[col - 1 + m * j] = s1
        ss[j + m * (col - 1)] = s2
        if pair:
            sy[col - 1 + m * (j + 1)] = s3
            ss[j + 1 + m * (col - 1)] = s4
            pointr = _nxt(pointr2, m)
        j += 2
    ss[col - 1 + m * (col - 1)] = dtd if stp == 1.0 else stp * stp * dtd
    sy[col - 1 + m * (col - 1)] = dr


@_jit
def _formt(ws, iws, col, theta):
    """Factor T = theta S'S + L D^-1 L' = J J' (J' into the upper triangle of ``wt``).

    Returns nonzero when T is not positive definite.
    """
    m = iws[_I.m]
    o = _ws(iws)
    sy = ws[o.sy:o.sy + m * m]
    ss = ws[o.ss:o.ss + m * m]
    wt = ws[o.wt:o.wt + m * m]
    rdiag = ws[o.wa:o.wa + m]  # scratch: 1 / D (scipy divides by D in every term)
    for k in range(col):
        rdiag[k] = 1.0 / sy[k + m * k]
    for j in range(col):
        wt[m * j] = theta * ss[m * j]
    for i in range(1, col):
        for j in range(i, col):
            wt[i + m * j] = 0.0
        # row i of L D^-1 L', the terms in the order of k, all columns at once
        for k in range(i):
            a = sy[i + m * k] * rdiag[k]
            for j in range(i, col):
                wt[i + m * j] += a * sy[j + m * k]
        for j in range(i, col):
            wt[i + m * j] = wt[i + m * j] + theta * ss[i + m * j]
    if potrf_upper(wt, m, col) != 0:
        return -3
    return 0


@_small
def _set_trial(ws, iws, n, m):
    """Ask for the trial point x + stp d, kept inside the box (z itself when stp == 1).

    scipy's objective wrapper does not evaluate again at the point it evaluated last; when
    the trial point is that point, its f and g are reused (``_I.repeat``), not asked for.
    """
    o = _ws(iws)
    nb = _iws(iws).nbd
    nbd = iws[nb:nb + n]
    x = ws[iws[W.XR]:iws[W.XR] + n]
    xt = ws[iws[W.X]:iws[W.X] + n]
    last = ws[iws[_I.lastx]:iws[_I.lastx] + n]
    z = ws[o.z:o.z + n]
    d = ws[o.d:o.d + n]
    lv = ws[o.lo:o.lo + n]
    uv = ws[o.up:o.up + n]
    stp = ws[_F.stp]
    same = True
    if stp == 1.0:
        for i in range(n):
            xi = z[i]
            if xi != last[i]:
                same = False
            xt[i] = xi
    else:
        for i in range(n):
            xi = stp * d[i] + x[i]
            b = nbd[i]
            if b == 1 or b == 2:
                xi = fmax(xi, lv[i])
            if b == 2 or b == 3:
                xi = fmin(xi, uv[i])
            if xi != last[i]:
                same = False
            xt[i] = xi
    iws[_I.phase] = _SEARCH
    iws[W.TASK] = W.EVALUATE
    if same:
        g = iws[W.G]
        lastg = iws[_I.lastg]
        if g != lastg:
            for i in range(n):
                ws[g + i] = ws[lastg + i]
        iws[_I.repeat] = 1


@_jit
def _two_loop(ws, iws, n, m, xo, go):
    """The Newton step of an unconstrained problem: ``z = x - H g``, with ``H`` the
    L-BFGS inverse of the compact matrix ``B`` (``H_0 = I / theta``), by the two-loop
    recursion in O(mn).

    Without bounds every variable is free and the Cauchy point is not needed, so
    ``_formk``/``_cmprlb``/``_subsm`` (O(m^2 n + m^3): the 2m x 2m matrix ``K``, its
    Cholesky factor and two triangular solves per iteration) compute this same vector
    ``-B^{-1} g`` (Byrd, Nocedal and Schnabel 1994, section 4): the two-loop recursion
    gets it 5 to 10 times faster at ``m = 10``. The result differs from scipy's by
    rounding only.
    """
    o = _ws(iws)
    S, Y, syo = o.S, o.Y, o.sy
    col = iws[_I.col]
    head = iws[_I.head]
    x = ws[xo:xo + n]
    g = ws[go:go + n]
    q = ws[o.z:o.z + n]
    alpha = ws[o.wa:o.wa + m]
    for i in range(n):
        q[i] = -g[i]
    # Ring slots by wrapping increments: an integer % per correction cost more than
    # the arithmetic at small n.
    p = head + col - 1
    if p >= m:
        p -= m
    for j in range(col - 1, -1, -1):  # newest to oldest
        sj = ws[S + p * n:S + p * n + n]  # row slices, not offsets into ws: the axpy
        yj = ws[Y + p * n:Y + p * n + n]  # loops below then vectorise
        a = 0.0
        for i in range(n):
            a += sj[i] * q[i]
        a /= ws[syo + p]  # rho_j s_j^T q, rho_j = 1 / s_j^T y_j (see _matupd)
        alpha[j] = a
        for i in range(n):
            q[i] -= a * yj[i]
        p = p - 1 if p > 0 else m - 1
    gamma = 1.0 / ws[_F.theta]
    for i in range(n):
        q[i] *= gamma
    p = head
    for j in range(col):  # oldest to newest
        sj = ws[S + p * n:S + p * n + n]
        yj = ws[Y + p * n:Y + p * n + n]
        beta = 0.0
        for i in range(n):
            beta += yj[i] * q[i]
        beta /= ws[syo + p]
        c = alpha[j] - beta
        for i in range(n):
            q[i] += c * sj[i]
        p = _nxt(p, m)
    for i in range(n):
        q[i] = x[i] + q[i]


@_small
def _steepest(ws, n, zo, do, xo, go):
    """:func:`_cauchy` for a problem without bounds and with an empty memory, by the same
    arithmetic: ``d = -g`` and ``z = x + (f1 / (theta f1)) d`` (no breakpoints, no ``W``
    terms), so that problems without bounds need not compile the whole of it."""
    x = ws[xo:xo + n]
    xcp = ws[zo:zo + n]
    if ws[_F.sbgnrm] <= 0.0:
        for i in range(n):
            xcp[i] = x[i]
        return
    g = ws[go:go + n]
    d = ws[do:do + n]
    f1 = 0.0
    for i in range(n):
        neggi = -g[i]
        d[i] = neggi
        f1 = f1 - neggi * neggi
    f2 = -ws[_F.theta] * f1
    dtm = -f1 / f2
    if dtm <= 0.0:
        dtm = 0.0
    tsum = 0.0 + dtm
    for i in range(n):
        xcp[i] = x[i] + tsum * d[i]


def _variant(make, name, bounded):
    """The module-level function ``name`` made by ``make(bounded)`` (``standalone`` finds a
    function again by module and name)."""
    func = make(bounded)
    func.__name__ = func.__qualname__ = name
    return func


def _make_iterate(bounded):
    """``_iterate``, or with ``bounded=False`` its variant for problems without bounds:
    compiled without the bound-constrained steps (the generalized Cauchy point, free
    variables, K, subspace minimization), which such a problem never takes (its first
    direction is :func:`_steepest`'s), so that a first solve compiles, and a warm one
    loads, half the code."""
    def _iterate(ws, iws):
        """From the iterate: the Cauchy point, subspace minimization, d = z - x, and the
        start of the line search along d (scipy's mainlb from label 222 and lnsrlb's
        start). A failed factorization or a search that cannot start restarts with an
        empty memory; with the memory already empty the run ends (ABNORMAL). Asks for the
        first trial point."""
        n = iws[W.N]
        m = iws[_I.m]
        o = _ws(iws)
        nb = _iws(iws).nbd
        nbd = iws[nb:nb + n]
        zo, do = o.z, o.d
        xo = iws[W.XR]
        go = iws[W.GR]
        x = ws[xo:xo + n]
        g = ws[go:go + n]
        z = ws[zo:zo + n]
        d = ws[do:do + n]
        lv = ws[o.lo:o.lo + n]
        uv = ws[o.up:o.up + n]
        while True:
            cnstnd = iws[_I.cnstnd]
            col = iws[_I.col]
            if cnstnd == 0 and col > 0:
                # Unconstrained: the Cauchy point is not needed, only the Newton step.
                _two_loop(ws, iws, n, m, xo, go)
            elif not bounded:  # empty memory: the Cauchy point, along -g
                _steepest(ws, n, zo, do, xo, go)
            else:
                if _cauchy(ws, iws, n, m, xo, go) != 0:
                    _reset_memory(ws, iws)
                    continue
                wrk = _freev(iws, n, iws[W.NIT], cnstnd, iws[_I.updatd])
                if iws[_I.nfree] != 0 and col != 0:
                    if wrk and _formk(ws, iws, n, m) != 0:
                        _reset_memory(ws, iws)
                        continue
                    if (_cmprlb(ws, iws, n, m, xo, go) != 0
                            or _subsm(ws, iws, n, m, xo, go) != 0):
                        _reset_memory(ws, iws)
                        continue
            dtd = 0.0
            for i in range(n):
                di = z[i] - x[i]
                d[i] = di
                dtd += di * di
            dnorm = math.sqrt(dtd)
            dtd = dnorm * dnorm
            # The largest step inside the box (1 on the first iteration: z is in the box).
            stpmx = 1e10
            it = iws[W.NIT]
            if bounded and cnstnd != 0:
                if it == 0:
                    stpmx = 1.0
                else:
                    for i in range(n):
                        a1 = d[i]
                        b = nbd[i]
                        if b != 0:
                            if a1 < 0.0 and b <= 2:
                                a2 = lv[i] - x[i]
                                if a2 >= 0.0:
                                    stpmx = 0.0
                                elif a1 * stpmx < a2:
                                    stpmx = a2 / a1
                            elif a1 > 0.0 and b >= 2:
                                a2 = uv[i] - x[i]
                                if a2 <= 0.0:
                                    stpmx = 0.0
                                elif a1 * stpmx > a2:
                                    stpmx = a2 / a1
            if it == 0 and iws[_I.boxed] == 0:
                stp = fmin(1.0 / dnorm, stpmx)
            else:
                stp = 1.0
                if stpmx < stp and stpmx > 0.0:
                    # z is in the box, so stpmx < 1 only by a rounding error in z; scipy would
                    # run its line search in an error state here.
                    stp = stpmx
            ws[_F.dnorm] = dnorm
            ws[_F.dtd] = dtd
            ws[_F.stpmx] = stpmx
            ws[_F.stp] = stp
            ws[_F.fold] = ws[W.FR]
            iws[_I.ifun] = 0
            iws[_I.iback] = 0
            gd = dot(g, d, n)
            ws[_F.gd] = gd
            ws[_F.gdold] = gd
            # Not a descent direction (or a search that cannot start): restart, or give up
            # when the memory is already empty.
            if gd >= 0.0 or gd != gd or dcsrch_start(
                    ws[o.ls:o.ls + LS_SIZE], ws[W.FR], gd, stp, _LS_FTOL, _LS_GTOL, _LS_XTOL,
                    _LS_STPMIN, stpmx, 0, True)[1] != _LS_FG:  # (maxiter 0: unused)
                if iws[_I.col] == 0:
                    W.finish(iws, R.LBFGSB_ABNORMAL)
                    return
                _reset_memory(ws, iws)
                continue
            iws[_I.ifun] = 1
            _set_trial(ws, iws, n, m)
            return
    return _iterate


_iterate = _jit(_variant(_make_iterate, "_iterate", True))
_iterate_free = _jit(_variant(_make_iterate, "_iterate_free", False))


def _make_step(iterate, trial):
    """The method's ``step(ws, iws, f)`` over the given ``_iterate`` and ``_trial``."""
    def step(ws, iws, f):
        iws[W.NFEV] += 1
        iws[_I.lastx] = iws[W.X]
        iws[_I.lastg] = iws[W.G]
        ws[_F.flast] = f
        if f == math.inf:
            iws[_I.inf] = 1
        if iws[_I.phase] == _START:
            more = _start(ws, iws, f)
        else:
            more = trial(ws, iws, f)
        if more:
            iterate(ws, iws)
        while iws[_I.repeat] != 0 and iws[W.TASK] == W.EVALUATE:
            # the trial point is the point evaluated last: use its f and g again
            iws[_I.repeat] = 0
            if trial(ws, iws, ws[_F.flast]):
                iterate(ws, iws)
        iws[_I.repeat] = 0
        if iws[_I.inf] != 0 and iws[W.TASK] != W.EVALUATE and (
                iws[W.REASON] == R.LBFGSB_FACTR or iws[W.REASON] == R.LBFGSB_ABNORMAL):
            # After +inf values, no decrease is no convergence: the line search backed
            # away from the region where the objective is infinite, and the iterate
            # may be anywhere before it. Status 5 at the last iterate (finite), as NaN.
            iws[W.REASON] = R.NONFINITE
    return step



@_jit
def _start(ws, iws, f):
    """f and g at x0 (in the trial buffers): they become the iterate. Returns True when
    the run goes on (a search direction is needed)."""
    n = iws[W.N]
    o = _ws(iws)
    nb = _iws(iws).nbd
    xo, go = iws[W.X], iws[W.G]
    iws[W.X], iws[W.G] = iws[W.XR], iws[W.GR]
    iws[W.XR], iws[W.GR] = xo, go
    ws[W.FR] = f
    if not math.isfinite(f):
        W.finish(iws, R.NONFINITE)
        return False
    sbgnrm = _projgr(n, ws[o.lo:o.lo + n], ws[o.up:o.up + n], iws[nb:nb + n], ws[xo:xo + n],
                     ws[go:go + n])
    ws[_F.sbgnrm] = sbgnrm
    if sbgnrm != sbgnrm:
        W.finish(iws, R.NONFINITE)
        return False
    if sbgnrm <= ws[_F.pgtol]:
        W.finish(iws, R.LBFGSB_PGTOL)
        return False
    return True


def _make_trial(bounded):
    """``_trial``, or with ``bounded=False`` its variant for problems without bounds
    (which never factor T)."""
    def _trial(ws, iws, f):
        """f and g at a trial point of the line search (mainlb from label 666 on).
        Returns True when a new search direction is needed."""
        n = iws[W.N]
        m = iws[_I.m]
        o = _ws(iws)
        nb = _iws(iws).nbd
        xto, gto = iws[W.X], iws[W.G]
        d = ws[o.d:o.d + n]
        gt = ws[gto:gto + n]
        gd = dot(gt, d, n)
        if f != f or f == -math.inf or (gd != gd and f != math.inf):
            W.finish(iws, R.NONFINITE)
            return False
        ws[_F.gd] = gd
        stp, task = dcsrch_step(ws[o.ls:o.ls + LS_SIZE], f, gd, True)
        ws[_F.stp] = stp
        if task == _LS_FG:
            iws[_I.ifun] += 1
            iws[_I.iback] = iws[_I.ifun] - 1
            if iws[_I.iback] < iws[_I.maxls]:
                _set_trial(ws, iws, n, m)
                return False
            # Too many trials: back to the iterate, restart (or give up with no memory).
            if iws[_I.col] == 0:
                W.finish(iws, R.LBFGSB_ABNORMAL)
                return False
            _reset_memory(ws, iws)
            return True

        # The step is accepted: the trial point becomes the iterate.
        sbgnrm = _projgr(n, ws[o.lo:o.lo + n], ws[o.up:o.up + n], iws[nb:nb + n],
                         ws[xto:xto + n], gt)
        if sbgnrm != sbgnrm or not math.isfinite(f):
            W.finish(iws, R.NONFINITE)
            return False
        go = iws[W.GR]
        iws[W.X], iws[W.G] = iws[W.XR], go
        iws[W.XR], iws[W.GR] = xto, gto
        fold = ws[_F.fold]
        ws[W.FR] = f
        ws[_F.sbgnrm] = sbgnrm
        iws[W.NIT] += 1
        # scipy's Python loop checks its limits first, then the C code its tolerances.
        if iws[W.NIT] >= iws[_I.maxiter]:
            W.finish(iws, R.LBFGSB_MAXITER)
            return False
        if iws[W.NFEV] > iws[_I.maxfun]:
            W.finish(iws, R.LBFGSB_MAXFUN)
            return False
        if sbgnrm <= ws[_F.pgtol]:
            W.finish(iws, R.LBFGSB_PGTOL)
            return False
        if fold - f <= ws[_F.tol] * fmax(fmax(abs(fold), abs(f)), 1.0):
            W.finish(iws, R.LBFGSB_FACTR)
            return False
        # s = stp d, y = g_new - g_old
        g = ws[go:go + n]
        r = ws[o.r:o.r + n]
        rr = 0.0
        for i in range(n):
            yi = gt[i] - g[i]
            r[i] = yi
            rr += yi * yi
        gdold = ws[_F.gdold]
        if stp == 1.0:
            dr = gd - gdold
            ddum = -gdold
        else:
            dr = (gd - gdold) * stp
            for i in range(n):
                d[i] *= stp
            ddum = -gdold * stp
        if dr <= _EPSMCH * ddum:
            iws[_I.updatd] = 0  # skip the update: the curvature condition fails
        else:
            iws[_I.updatd] = 1
            iws[_I.iupdat] += 1
            _matupd(ws, iws, n, m, rr, dr, stp, ws[_F.dtd])
            # T's factor serves the Cauchy point and K, which an unconstrained problem skips.
            if bounded and iws[_I.cnstnd] != 0 and _formt(ws, iws, iws[_I.col],
                                                         ws[_F.theta]) != 0:
                _reset_memory(ws, iws)
        return True
    return _trial


_trial = _jit(_variant(_make_trial, "_trial", True))
_trial_free = _jit(_variant(_make_trial, "_trial_free", False))
# The method's step, and its variant for problems without bounds (see step_for). Named
# as module-level functions: the compiled loops' disk cache keys on them by reference.
step = _make_step(_iterate, _trial)
step.__qualname__ = "step"
step_free = _make_step(_iterate_free, _trial_free)
step_free.__name__ = step_free.__qualname__ = "step_free"


def step_for(iopts):
    """The ``step`` for the options ``iopts`` (from ``_pack``; a batch's rows of them):
    ``step_free`` when no variable has a bound (every ``nbd`` zero), which compiles and
    loads without the bound-constrained code; the same iterates as ``step``."""
    return step if np.asarray(iopts)[..., _NIOPTS:].any() else step_free


_NAMES = ("maxcor", "maxiter", "maxfun", "maxls")
_UNLIMITED = UNLIMITED  # maxiter / maxfun = np.inf


def _integer_option(o, name):
    """maxiter and maxfun as scipy's loop reads them (see ``count_option``: 100.1 acts
    as 101, np.inf as no limit); maxcor and maxls must be integers (sizes)."""
    value = o[name]
    if name in ("maxiter", "maxfun"):
        return count_option(value, name, "L-BFGS-B")
    try:
        ok = not isinstance(value, (bool, np.bool_)) and int(value) == value
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise ValueError(f"option {name!r} of L-BFGS-B must be an integer, got {value!r}")
    return int(value)


def _pack(o, n, lower, upper):
    o = dict(o)
    for name in _NAMES:
        o[name] = _integer_option(o, name)
    if not o["maxls"] > 0:
        raise ValueError("maxls must be positive.")
    if not o["maxcor"] > 0:
        raise ValueError("maxcor must be positive.")
    ftol = real_option(o["ftol"], "ftol", "L-BFGS-B")
    gtol = real_option(o["gtol"], "gtol", "L-BFGS-B")
    if not ftol >= 0:
        raise ValueError(f"ftol must be nonnegative, got {ftol!r}")
    fopts = np.zeros(_NFOPTS + 2 * n)
    iopts = np.zeros(_NIOPTS + n, dtype=np.int64)
    fopts[FTOL] = ftol
    fopts[GTOL] = gtol
    iopts[MAXCOR] = int(o["maxcor"])
    iopts[MAXITER] = int(o["maxiter"])
    iopts[MAXFUN] = int(o["maxfun"])
    iopts[MAXLS] = int(o["maxls"])
    if lower is not None:
        lower = np.asarray(lower, dtype=np.float64)
        upper = np.asarray(upper, dtype=np.float64)
        # scipy's nbd: an infinite bound is no bound. So is a NaN one: scipy only tests
        # isinf and its Fortran-era code then never compares with NaN successfully (so
        # the variable runs free); scikit-learn's Gaussian processes rely on it.
        has_lo = np.isfinite(lower)
        has_up = np.isfinite(upper)
        iopts[_NIOPTS:] = np.where(has_lo, np.where(has_up, 2, 1), np.where(has_up, 3, 0))
        fopts[_NFOPTS:_NFOPTS + n] = np.where(has_lo, lower, 0.0)
        fopts[_NFOPTS + n:] = np.where(has_up, upper, 0.0)
    return fopts, iopts


@functools.lru_cache(maxsize=64)
def _ring_offsets(n, m):
    """Where the S and Y ring buffers start (``_offsets`` run in Python costs 1 us);
    they do not depend on the bounds."""
    o = _offsets(n, m, 0)
    return o.S, o.Y


def extras(ws, iws, n, dtype):
    """scipy's extra result field: ``hess_inv``, a ``LbfgsInvHessProduct`` of the stored
    corrections, oldest first. (scipy passes the rows of its ring buffer as they lie,
    which after ``maxcor`` updates is no longer oldest first; here the operator is the
    L-BFGS matrix of the corrections the run ended with.)"""
    m, head, col = iws[_I.m], iws[_I.head], iws[_I.col]
    S, Y = _ring_offsets(n, m)
    ring_s = ws[S:S + m * n].reshape(m, n)
    ring_y = ws[Y:Y + m * n].reshape(m, n)
    if head + col <= m:  # the corrections lie in order: slices, no index arrays
        s, y = ring_s[head:head + col].copy(), ring_y[head:head + col].copy()
    else:
        s = np.concatenate((ring_s[head:], ring_s[:head + col - m]))
        y = np.concatenate((ring_y[head:], ring_y[:head + col - m]))
    return {"hess_inv": LbfgsInvHessProduct(s, y)}


class LbfgsInvHessProduct(_ScipyInvHessProduct):
    """scipy's ``LbfgsInvHessProduct``, built without its constructor's checks.

    The constructor costs about 7 us (``LinearOperator``'s shape checks go through
    scipy.sparse helpers, and ``rho`` is computed eagerly), a sixth of a small solve;
    this subclass sets the same public attributes (``sk, yk, n_corrs, shape, dtype``)
    and computes ``rho`` on first use. It is a ``scipy.optimize.LbfgsInvHessProduct``
    and behaves as one (tests/minimize/test_minimize.py compares the two).
    """

    def __init__(self, sk, yk):
        self.sk = sk
        self.yk = yk
        self.n_corrs, n = sk.shape
        self.shape = (n, n)
        self.dtype = np.dtype(np.float64)
        self._rho = None

    @property
    def rho(self):
        if self._rho is None:
            self._rho = 1 / np.einsum("ij,ij->i", self.sk, self.yk)
        return self._rho


METHOD = Method(
    name="L-BFGS-B", reference="scipy.optimize._lbfgsb_py._minimize_lbfgsb",
    options=(
        Option("maxcor", "int", 10, "Number of correction pairs kept (the memory of the "
               "Hessian approximation)."),
        Option("ftol", "real", 2.2204460492503131e-09,
               "Stop when `(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol`.", tol=True),
        Option("gtol", "real", 1e-5, "Stop when the largest projected gradient component "
               "is at most `gtol`.", tol=True),
        Option("eps", "step", 1e-8, "Absolute finite-difference step with `jac=None`, kept "
               "inside the bounds."),
        Option("maxfun", "count", 15000, "Maximum number of objective evaluations."),
        Option("maxiter", "count", 15000, "Maximum number of iterations."),
        ignored("iprint"), ignored("disp"),
        Option("maxls", "int", 20, "Maximum number of line search steps per iteration."),
        FINITE_DIFF_REL_STEP, WORKERS,
    ),
    pack=_pack, module=sys.modules[__name__], sizes=sizes, init=init, step=step,
    choose_step=step_for, extras=extras, bounds=True, fd_options=True, removes_fixed=True,
)
