"""torch's strong-Wolfe line search (``torch.optim.lbfgs._strong_wolfe``) as a state machine.

This is the line search of ``torch.optim.LBFGS(line_search_fn="strong_wolfe")``, after
minFunc / torch7 ``lswolfe.lua``: a bracketing phase that extrapolates with a cubic
interpolant clamped to ``[t + 0.01 (t - t_prev), 10 t]``, then a zoom phase that refines
the bracket with unclamped cubic steps, moved to 10% of the bracket away from its ends
when progress stalls. Like :mod:`._linesearch`, it is written for reverse communication:
it never calls the objective. It returns a step and the task ``FG`` ("evaluate f and the
directional derivative there"); the caller evaluates and calls back until the task is
``DONE``.

Protocol::

    ls = np.empty(SW_SIZE)
    t = sw_start(ls, f0, gtd0, t0, t0_tensor, d_norm, c1, c2, tolerance_change, max_ls, single)
    task = FG
    while task == FG:
        # evaluate at x + t d; write the gradient into buffer int(ls[SW_GBUF])
        t, task = sw_step(ls, f, g @ d)
    # DONE: the accepted step is ls[SW_T]; its value ls[SW_F]; its gradient is in
    # buffer int(ls[SW_GBUF]); ls[SW_EVALS] evaluations were spent

Gradients
---------
torch keeps the gradients of the bracket's ends (``bracket_g``) as tensors. Here the
search only keeps *buffer numbers*: buffer 0 is the caller's gradient at ``t = 0``
(read only) and buffers 1, 2, 3 are scratch vectors the caller owns. Before each
evaluation, ``ls[SW_GBUF]`` names a scratch buffer that no live bracket end refers to;
the caller writes the new gradient there. At the end, ``ls[SW_GBUF]`` names the buffer
holding the accepted point's gradient (0 when the search ends at ``t = 0``). No vector
is ever copied.

Precision
---------
torch computes in the parameters' dtype. With float32 parameters (``single=True``),
every quantity torch holds as a tensor (directional derivatives, the interpolant's
terms) is rounded to float32 after each operation, while Python floats (the losses, an
initial step given as a Python number) stay float64; a Python float meeting a tensor is
first rounded to float32, as torch's type promotion does (and a Python float divided
by a tensor is the tensor's reciprocal times the float, ``Tensor.__rtruediv__``, in
float64 too). Steps can be either, so each
step carries a flag "is a tensor" (``*_tensor``) that follows torch's typing through
``min``/``max`` and arithmetic. With float64 parameters the flags change nothing.

Differences from torch
----------------------
- ``max_ls <= 0`` (``max_eval`` below 1): torch fails with an unbound variable; here
  the search returns after its first evaluation, as it does when ``max_ls`` is reached.
- Division by a zero step difference between two Python floats raises
  ``ZeroDivisionError`` in torch; here it gives inf/NaN (IEEE arithmetic).
"""
import math

import numpy as np

from ._standalone import jitable

# Tasks.
DONE = 0
FG = 1

# Results / requests, readable by the caller.
SW_T = 0        # the step to evaluate (task FG) or the accepted step (DONE)
SW_TT = 1       # 1.0 if that step is a tensor in torch (float32 typing)
SW_F = 2        # DONE: the value at the accepted step
SW_GBUF = 3     # the buffer for the next gradient (FG) / of the accepted point (DONE)
SW_EVALS = 4    # evaluations received (torch's ls_func_evals)

# Private state.
_F0 = 5         # f(0), f'(0) (gtd), max |d|
_GTD0 = 6
_DNORM = 7
_C1 = 8
_C2 = 9
_TOLC = 10      # tolerance_change of the search (torch passes none: 1e-9)
_MAXLS = 11
_SINGLE = 12
_LSITER = 13    # torch's ls_iter
_STAGE = 14     # _BRACKET or _ZOOM
_DONE = 15      # torch's done
_INSUF = 16     # torch's insuf_progress
_LOW = 17
_HIGH = 18
_TPREV = 19     # bracketing phase: the previous step, its tensor flag, f, f' and buffer
_TPREVT = 20
_FPREV = 21
_GTDPREV = 22
_GPREV = 23
# Bracket ends k = 0, 1: _BR + _REC * k + (step, tensor flag, f, f', gradient buffer).
_BR = 24
_REC = 5
SW_SIZE = _BR + 2 * _REC

_BRACKET, _ZOOM = 0, 1


# Helpers are `jitable`, compiled with the options of the compiled loops' `step`: numba
# compiles a jitable helper once per set of options of its callers, so helpers with other
# options (plain register_jitable) were compiled twice or three times in a cold solve.

# -- torch's typing: values rounded to the parameters' precision ----------------------------
@jitable
def rd(v, single):
    """``v`` rounded to float32 when ``single`` (torch's float32 tensor arithmetic)."""
    if single:
        return float(np.float32(v))
    return v


@jitable
def _res(v, tensor, single):
    return rd(v, single) if tensor else v


# Binary operations on (value, is_tensor) pairs: a Python float meeting a tensor is
# rounded to the tensor's dtype first, and the result is a tensor.
@jitable
def _add(a, ta, b, tb, s):
    t = ta or tb
    return _res(_res(a, t, s) + _res(b, t, s), t, s), t


@jitable
def _sub(a, ta, b, tb, s):
    t = ta or tb
    return _res(_res(a, t, s) - _res(b, t, s), t, s), t


@jitable
def _mul(a, ta, b, tb, s):
    t = ta or tb
    return _res(_res(a, t, s) * _res(b, t, s), t, s), t


@jitable
def _div(a, ta, b, tb, s):
    if tb and not ta:
        # a Python float over a tensor is ``b.reciprocal() * a`` (Tensor.__rtruediv__):
        # two roundings, in float64 as well
        return rd(rd(1.0 / b, s) * rd(a, s), s), True
    t = ta or tb
    return _res(_res(a, t, s) / _res(b, t, s), t, s), t


@jitable
def _lt(a, ta, b, tb, s):
    t = ta or tb
    return _res(a, t, s) < _res(b, t, s)


@jitable
def _le(a, ta, b, tb, s):
    t = ta or tb
    return _res(a, t, s) <= _res(b, t, s)


@jitable
def cubic_interpolate(x1, t1, f1, g1, x2, t2, f2, g2, bounded, lo, tlo, hi, thi, s):
    """torch's ``_cubic_interpolate`` on tagged steps; ``f1, f2`` are Python floats and
    ``g1, g2`` tensors. Returns the minimiser of the cubic through the two points,
    clamped to the bounds (``(lo, hi)`` if ``bounded``, else the two points), as a
    ``(value, is_tensor)`` pair."""
    if bounded:
        xmin, tmin, xmax, tmax = lo, tlo, hi, thi
    elif _le(x1, t1, x2, t2, s):
        xmin, tmin, xmax, tmax = x1, t1, x2, t2
    else:
        xmin, tmin, xmax, tmax = x2, t2, x1, t1
    # d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    dx, tdx = _sub(x1, t1, x2, t2, s)
    q, tq = _div(3.0 * (f1 - f2), False, dx, tdx, s)
    d1, _ = _sub(rd(g1 + g2, s), True, q, tq, s)
    d2_square = rd(rd(d1 * d1, s) - rd(g1 * g2, s), s)
    if d2_square >= 0:
        d2 = rd(math.sqrt(d2_square), s)
        if _le(x1, t1, x2, t2, s):
            ratio = rd(rd(rd(g2 + d2, s) - d1, s) / rd(rd(g2 - g1, s) + rd(2.0 * d2, s), s), s)
            w, tw = _sub(x2, t2, x1, t1, s)
            prod, _ = _mul(w, tw, ratio, True, s)
            min_pos, _ = _sub(x2, t2, prod, True, s)
        else:
            ratio = rd(rd(rd(g1 + d2, s) - d1, s) / rd(rd(g1 - g2, s) + rd(2.0 * d2, s), s), s)
            w, tw = _sub(x1, t1, x2, t2, s)
            prod, _ = _mul(w, tw, ratio, True, s)
            min_pos, _ = _sub(x1, t1, prod, True, s)
        # min(max(min_pos, xmin_bound), xmax_bound), with Python's argument order
        if _lt(min_pos, True, xmin, tmin, s):
            m, tm = xmin, tmin
        else:
            m, tm = min_pos, True
        if _lt(xmax, tmax, m, tm, s):
            return xmax, tmax
        return m, tm
    total, tt = _add(xmin, tmin, xmax, tmax, s)
    return _div(total, tt, 2.0, False, s)


# -- the state machine -----------------------------------------------------------------------
@jitable
def _free_buffer(a, b):
    """The first scratch buffer (1, 2, 3) that is neither ``a`` nor ``b``."""
    for k in range(1, 4):
        if k != a and k != b:
            return k
    return 3


@jitable
def _set_end(ls, k, t, tt, f, gtd, gbuf):
    o = _BR + _REC * k
    ls[o] = t
    ls[o + 1] = 1.0 if tt else 0.0
    ls[o + 2] = f
    ls[o + 3] = gtd
    ls[o + 4] = gbuf


@jitable
def _copy_end(ls, dst, src):
    for j in range(_REC):
        ls[_BR + _REC * dst + j] = ls[_BR + _REC * src + j]


@jitable
def _armijo_fails(ls, f_new, t, tt, s):
    """torch's ``f_new > (f + c1 * t * gtd)``: the right side is a tensor."""
    c1t, tc = _mul(ls[_C1], False, t, tt, s)
    c1tg, _ = _mul(c1t, tc, ls[_GTD0], True, s)
    rhs, _ = _add(ls[_F0], False, c1tg, True, s)
    return _lt(rhs, True, f_new, False, s)


@jitable
def _curvature_holds(ls, gtd_new, s):
    """torch's ``abs(gtd_new) <= -c2 * gtd``."""
    rhs, _ = _mul(-ls[_C2], False, ls[_GTD0], True, s)
    return abs(gtd_new) <= rhs


@jitable
def sw_start(ls, f, gtd, t, t_tensor, d_norm, c1, c2, tolerance_change, max_ls, single):
    """Start a search from ``f = phi(0)``, ``gtd = phi'(0) < 0`` with first step ``t``.

    ``d_norm`` is ``max |d|`` and ``max_ls`` the most evaluations after the first
    (torch's ``max_ls``). Returns the first step to evaluate; its gradient goes into
    buffer ``int(ls[SW_GBUF])``.
    """
    ls[_F0] = f
    ls[_GTD0] = gtd
    ls[_DNORM] = d_norm
    ls[_C1] = c1
    ls[_C2] = c2
    ls[_TOLC] = tolerance_change
    ls[_MAXLS] = max_ls
    ls[_SINGLE] = 1.0 if single else 0.0
    ls[_LSITER] = 0.0
    ls[SW_EVALS] = 0.0
    ls[_STAGE] = _BRACKET
    ls[_DONE] = 0.0
    ls[_INSUF] = 0.0
    ls[_TPREV] = 0.0        # torch's t_prev = 0, a Python int
    ls[_TPREVT] = 0.0
    ls[_FPREV] = f
    ls[_GTDPREV] = gtd
    ls[_GPREV] = 0.0        # g_prev is the gradient at t = 0
    ls[SW_T] = t
    ls[SW_TT] = 1.0 if t_tensor else 0.0
    ls[SW_GBUF] = 1.0
    return t


@jitable
def _finish(ls):
    low = int(ls[_LOW])
    o = _BR + _REC * low
    ls[SW_T] = ls[o]
    ls[SW_TT] = ls[o + 1]
    ls[SW_F] = ls[o + 2]
    ls[SW_GBUF] = ls[o + 4]
    return ls[SW_T], DONE


@jitable
def _zoom_next(ls):
    """The head of torch's zoom loop: stop, or choose the next trial step."""
    s = ls[_SINGLE] != 0.0
    if ls[_DONE] != 0.0 or not ls[_LSITER] < ls[_MAXLS]:
        return _finish(ls)
    b0, b0t = ls[_BR], ls[_BR + 1] != 0.0
    b1, b1t = ls[_BR + _REC], ls[_BR + _REC + 1] != 0.0
    # the bracket is too small: abs(bracket[1] - bracket[0]) * d_norm < tolerance_change
    width, tw = _sub(b1, b1t, b0, b0t, s)
    scaled, _ = _mul(abs(width), tw, ls[_DNORM], True, s)
    if _lt(scaled, True, ls[_TOLC], False, s):
        return _finish(ls)
    t, tt = cubic_interpolate(b0, b0t, ls[_BR + 2], ls[_BR + 3],
                              b1, b1t, ls[_BR + _REC + 2], ls[_BR + _REC + 3],
                              False, 0.0, False, 0.0, False, s)
    # max(bracket) and min(bracket), with Python's argument order
    if _lt(b0, b0t, b1, b1t, s):
        bmax, tmax = b1, b1t
    else:
        bmax, tmax = b0, b0t
    if _lt(b1, b1t, b0, b0t, s):
        bmin, tmin = b1, b1t
    else:
        bmin, tmin = b0, b0t
    span, tspan = _sub(bmax, tmax, bmin, tmin, s)
    eps, teps = _mul(0.1, False, span, tspan, s)
    above, ta = _sub(bmax, tmax, t, tt, s)
    below, tb = _sub(t, tt, bmin, tmin, s)
    if _lt(below, tb, above, ta, s):
        closest, tc = below, tb
    else:
        closest, tc = above, ta
    if _lt(closest, tc, eps, teps, s):
        # interpolation close to a boundary
        if ls[_INSUF] != 0.0 or _le(bmax, tmax, t, tt, s) or _le(t, tt, bmin, tmin, s):
            dmax, tdmax = _sub(t, tt, bmax, tmax, s)
            dmin, tdmin = _sub(t, tt, bmin, tmin, s)
            if _lt(abs(dmax), tdmax, abs(dmin), tdmin, s):
                t, tt = _sub(bmax, tmax, eps, teps, s)
            else:
                t, tt = _add(bmin, tmin, eps, teps, s)
            ls[_INSUF] = 0.0
        else:
            ls[_INSUF] = 1.0
    else:
        ls[_INSUF] = 0.0
    ls[_STAGE] = _ZOOM
    ls[SW_T] = t
    ls[SW_TT] = 1.0 if tt else 0.0
    ls[SW_GBUF] = _free_buffer(int(ls[_BR + 4]), int(ls[_BR + _REC + 4]))
    return t, FG


@jitable
def _to_zoom(ls):
    # find the high and low points of the new bracket (its last end: bracket_f[-1])
    if ls[_BR + 2] <= ls[_BR + _REC + 2]:
        ls[_LOW], ls[_HIGH] = 0.0, 1.0
    else:
        ls[_LOW], ls[_HIGH] = 1.0, 0.0
    ls[_INSUF] = 0.0
    return _zoom_next(ls)


@jitable
def sw_step(ls, f_new, gtd_new):
    """Take the value ``f_new`` and directional derivative ``gtd_new`` at the step last
    returned; return ``(t, task)``: the next step to evaluate (``FG``) or the accepted
    step (``DONE``)."""
    s = ls[_SINGLE] != 0.0
    ls[SW_EVALS] += 1.0
    t, tt = ls[SW_T], ls[SW_TT] != 0.0
    gnew = ls[SW_GBUF]
    if ls[_STAGE] == _BRACKET:
        if ls[SW_EVALS] > 1.0:
            ls[_LSITER] += 1.0
        ls_iter = ls[_LSITER]
        if not ls_iter < ls[_MAXLS]:
            # reached max number of iterations: bracket = [0, t]
            _set_end(ls, 0, 0.0, False, ls[_F0], ls[_GTD0], 0.0)
            _set_end(ls, 1, t, tt, f_new, gtd_new, gnew)
            return _to_zoom(ls)
        if _armijo_fails(ls, f_new, t, tt, s) or (ls_iter > 1 and f_new >= ls[_FPREV]):
            _set_end(ls, 0, ls[_TPREV], ls[_TPREVT] != 0.0, ls[_FPREV], ls[_GTDPREV], ls[_GPREV])
            _set_end(ls, 1, t, tt, f_new, gtd_new, gnew)
            return _to_zoom(ls)
        if _curvature_holds(ls, gtd_new, s):
            # a one-point bracket: bracket_f[0] <= bracket_f[-1], so low = 0
            _set_end(ls, 0, t, tt, f_new, gtd_new, gnew)
            _set_end(ls, 1, t, tt, f_new, gtd_new, gnew)
            ls[_DONE] = 1.0
            return _to_zoom(ls)
        if gtd_new >= 0:
            _set_end(ls, 0, ls[_TPREV], ls[_TPREVT] != 0.0, ls[_FPREV], ls[_GTDPREV], ls[_GPREV])
            _set_end(ls, 1, t, tt, f_new, gtd_new, gnew)
            return _to_zoom(ls)
        # interpolate (extrapolate) within [t + 0.01 (t - t_prev), 10 t]
        tprev, tpt = ls[_TPREV], ls[_TPREVT] != 0.0
        diff, tdiff = _sub(t, tt, tprev, tpt, s)
        grow, tgrow = _mul(0.01, False, diff, tdiff, s)
        min_step, tmin = _add(t, tt, grow, tgrow, s)
        max_step, tmax = _mul(t, tt, 10.0, False, s)
        t_next, tt_next = cubic_interpolate(tprev, tpt, ls[_FPREV], ls[_GTDPREV],
                                            t, tt, f_new, gtd_new,
                                            True, min_step, tmin, max_step, tmax, s)
        ls[_TPREV] = t
        ls[_TPREVT] = 1.0 if tt else 0.0
        ls[_FPREV] = f_new
        ls[_GTDPREV] = gtd_new
        ls[_GPREV] = gnew
        ls[SW_T] = t_next
        ls[SW_TT] = 1.0 if tt_next else 0.0
        ls[SW_GBUF] = _free_buffer(int(gnew), int(gnew))
        return t_next, FG

    # zoom phase: a new point inside the bracket
    ls[_LSITER] += 1.0
    low, high = int(ls[_LOW]), int(ls[_HIGH])
    if _armijo_fails(ls, f_new, t, tt, s) or f_new >= ls[_BR + _REC * low + 2]:
        # Armijo condition not satisfied or not lower than the lowest point
        _set_end(ls, high, t, tt, f_new, gtd_new, gnew)
        if ls[_BR + 2] <= ls[_BR + _REC + 2]:
            ls[_LOW], ls[_HIGH] = 0.0, 1.0
        else:
            ls[_LOW], ls[_HIGH] = 1.0, 0.0
    else:
        if _curvature_holds(ls, gtd_new, s):
            ls[_DONE] = 1.0
        else:
            bh, bht = ls[_BR + _REC * high], ls[_BR + _REC * high + 1] != 0.0
            bl, blt = ls[_BR + _REC * low], ls[_BR + _REC * low + 1] != 0.0
            width, _ = _sub(bh, bht, bl, blt, s)
            if rd(gtd_new * rd(width, s), s) >= 0:
                # old high becomes new low
                _copy_end(ls, high, low)
        _set_end(ls, low, t, tt, f_new, gtd_new, gnew)
    return _zoom_next(ls)
