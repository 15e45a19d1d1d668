"""Finite-difference gradients, step for step as ``scipy.optimize.approx_derivative``.

scipy's gradient-based methods choose their steps in two ways, and numopt follows both:

- ``jac=None`` (the default): "2-point" differences with the absolute step of the
  method's ``eps`` option (BFGS and CG: ``sqrt(machine eps)``, L-BFGS-B: ``1e-8``);
- ``jac="2-point"``, ``"3-point"`` or ``"cs"``: a relative step, ``finite_diff_rel_step``
  when given (``h = r * sign(x) * |x|``) or the scheme's default
  (``h = r0 * sign(x) * max(1, |x|)``, ``r0 = eps**(1/2)`` or ``eps**(1/3)`` for
  "3-point").

A step that would not change ``x`` falls back to the default relative one, and
L-BFGS-B's steps stay inside its bounds (scipy's ``_adjust_scheme_to_bounds``: a one-sided
step turns round, a central difference becomes one-sided or shrinks). The quotient
divides by the step actually taken (``(x + h) - x``), as scipy does.

One rule, :func:`fd_plan`, decides each coordinate's step for every driver. The
difference loop around it is generated as source text (:func:`fg_source`) for the
compiled and Python adapters of :func:`numopt.minimize` and ``minimize_batch`` and for
the CUDA kernels, which call the objective with different argument lists; the vectorised
batch path computes the same steps for all problems at once (:func:`plan_rows`).

The per-coordinate data, a ``(3, n)`` array of steps (``eps`` or
``finite_diff_rel_step``), lower and upper bounds, travels as an extra, last element of
the objective's ``args``: a compiled solver is compiled per ``args`` type, so steps and
bounds can change from call to call without compiling anything.
"""
from dataclasses import dataclass

import numpy as np
from numba import njit
from ._standalone import jitable

__all__ = ["FD_METHODS", "FiniteDiff", "fd_plan", "fg_source", "plan_rows"]

FD_METHODS = ("2-point", "3-point", "cs")
_EPS = np.finfo(np.float64).eps
# The scheme's default relative step (scipy's _eps_for_method), by scheme number.
_R2 = _EPS ** 0.5
SQRT_EPS = _R2  # scipy's default eps of BFGS and CG
_R3 = _EPS ** (1 / 3)

# How the step is chosen (FiniteDiff.mode).
REL = 0        # the scheme's default relative step
ABS = 1        # absolute step: the option eps (scipy's jac=None)
REL_GIVEN = 2  # relative step: the option finite_diff_rel_step


@jitable
def fd_plan(xi, s, lb, ub, scheme, mode):
    """The step of one coordinate: ``(h, one_sided)``.

    Parameters
    ----------
    xi : float
        The coordinate.
    s : float
        ``eps`` (mode ABS) or ``finite_diff_rel_step`` (mode REL_GIVEN); unused for REL.
    lb, ub : float
        Its bounds (infinite when unbounded).
    scheme : int
        0 "2-point", 1 "3-point", 2 "cs".
    mode : int
        REL, ABS or REL_GIVEN.

    Returns
    -------
    h : float
        The step; a "3-point" step is central (``x - h``, ``x + h``) unless
        ``one_sided`` (``x + h``, ``x + 2h``).
    one_sided : bool
    """
    sign = 1.0 if xi >= 0 else -1.0
    default = (_R3 if scheme == 1 else _R2) * sign * max(1.0, abs(xi))
    if mode == REL:
        h = default
    else:
        h = s if mode == ABS else s * sign * abs(xi)
        if (xi + h) - xi == 0.0:  # a step too small to move x: scipy's fallback
            h = default
    if scheme == 2:
        return h, False
    lower = xi - lb
    upper = ub - xi
    if scheme == 0:  # one-sided: turn round, or fit the step into the wider side
        xh = xi + h
        if abs(h) <= max(lower, upper):
            if xh < lb or xh > ub:
                h = -h
        elif upper >= lower:
            h = upper
        else:
            h = -lower
        return h, True
    h = abs(h)  # central, unless a bound is nearer than h
    if lower >= h and upper >= h:
        return h, False
    if upper >= lower:
        h = min(h, 0.5 * upper)
    else:
        h = -min(h, 0.5 * lower)
    nearest = min(upper, lower)
    if abs(h) <= nearest:
        return nearest, False
    return h, True


@dataclass(frozen=True)
class FiniteDiff:
    """How a gradient is differenced: the scheme and how its steps are chosen.

    Attributes
    ----------
    method : str
        "2-point", "3-point" or "cs".
    mode : int
        REL, ABS or REL_GIVEN (see :func:`fd_plan`).
    """

    method: str = "2-point"
    mode: int = REL

    @property
    def scheme(self):
        return FD_METHODS.index(self.method)

    def evals(self, n):
        """Objective evaluations one gradient costs beyond ``f`` itself."""
        return 2 * n if self.method == "3-point" else n


def choose(jac, opts, scipy_steps):
    """The :class:`FiniteDiff` and the per-coordinate step option for ``jac``.

    Parameters
    ----------
    jac : None, False or one of FD_METHODS
    opts : dict
        The method's merged options.
    scipy_steps : bool
        Whether the method has scipy's ``eps`` and ``finite_diff_rel_step`` options
        (BFGS, CG, L-BFGS-B); the others use the default relative step.

    Returns
    -------
    fd : FiniteDiff
    step : float, array_like or None
        ``eps`` or ``finite_diff_rel_step``, as the mode needs.
    """
    method = "2-point" if jac is None or jac is False else jac
    if not scipy_steps:
        return FiniteDiff(method, REL), None
    # scipy drops eps when jac names the scheme; without eps, steps are relative.
    eps = None if method == jac else opts.get("eps")
    if eps is not None:
        return FiniteDiff(method, ABS), eps
    rel = opts.get("finite_diff_rel_step")
    if rel is None:
        return FiniteDiff(method, REL), None
    return FiniteDiff(method, REL_GIVEN), rel


def params(step, n, lower=None, upper=None, shape=None):
    """The ``(3, n)`` array (``(B, 3, n)`` with ``shape=(B,)``) of steps and bounds.

    ``step``, ``lower`` and ``upper`` broadcast against ``shape + (n,)``; ``None`` bounds
    are infinite, a ``None`` step is unused (0).
    """
    shape = tuple(shape or ()) + (n,)
    out = np.empty(shape[:-1] + (3, n))
    try:
        out[..., 0, :] = 0.0 if step is None else np.asarray(step, dtype=np.float64)
    except ValueError:
        raise ValueError(f"the finite-difference step must be a scalar or have {n} entries, "
                         f"got shape {np.shape(step)}") from None
    out[..., 1, :] = -np.inf if lower is None else lower
    out[..., 2, :] = np.inf if upper is None else upper
    return out


def fg_source(fd, head, call, fdp, in_place=False, as_float="float"):
    """Source of a gradient-by-differences adapter.

    Parameters
    ----------
    fd : FiniteDiff
    head : str
        The ``def`` line, e.g. ``"def fg(x, g, args):"``.
    call : str
        The objective's call with ``{x}`` for the point, e.g. ``"disp({x}, args[0])"``.
    fdp : str
        The expression of the ``(3, n)`` step and bound array, e.g. ``"args[1]"``.
    in_place : bool
        Perturb ``x`` itself (GPU code, which cannot allocate) rather than a copy
        (a Python objective may keep the array it was given).
    as_float : str
        Wraps each value (``"float"`` for Python objectives, whose values may be NumPy
        scalars or 1-element arrays).

    The objective value at ``x`` is returned and the gradient written into ``g``.
    """
    s, m = fd.scheme, fd.mode

    def f(point):
        value = call.replace("{x}", point)
        return f"{as_float}({value})" if as_float else value

    lines = [head, f"    f0 = {f('x')}", f"    p = {fdp}"]
    if s == 2:  # complex step: a complex copy of x, whatever in_place says
        value = call.replace("{x}", "xc")
        imag = f"{as_float}(np.imag({value}))" if as_float else f"({value}).imag"
        lines += ["    xc = x.astype(np.complex128)",
                  "    for k in range(x.size):",
                  f"        h, one = fd_plan(x[k], p[0, k], p[1, k], p[2, k], 2, {m})",
                  "        xc[k] = complex(x[k], h)",
                  f"        g[k] = {imag} / h",
                  "        xc[k] = x[k]",
                  "    return f0"]
        return "\n".join(lines) + "\n"
    lines.append("    xt = x" if in_place else "    xt = x.copy()")
    lines += ["    for k in range(x.size):",
              "        xk = x[k]",
              f"        h, one = fd_plan(xk, p[0, k], p[1, k], p[2, k], {s}, {m})"]
    if s == 0:
        lines += ["        xt[k] = xk + h",
                  f"        g[k] = ({f('xt')} - f0) / (xt[k] - xk)"]
    else:  # scipy's order: x - h, then x + h (one-sided: x + h, then x + 2h)
        lines += ["        if one:",
                  "            xt[k] = xk + h",
                  f"            f1 = {f('xt')}",
                  "            xt[k] = xk + 2.0 * h",
                  f"            f2 = {f('xt')}",
                  "            g[k] = (-3.0 * f0 + 4.0 * f1 - f2) / (xt[k] - xk)",
                  "        else:",
                  "            xt[k] = xk - h",
                  f"            f1 = {f('xt')}",
                  "            xt[k] = xk + h",
                  f"            f2 = {f('xt')}",
                  "            g[k] = (f2 - f1) / (xt[k] - (xk - h))"]
    lines += ["        xt[k] = xk", "    return f0"]
    return "\n".join(lines) + "\n"


def namespace():
    """The names :func:`fg_source`'s code uses."""
    return {"fd_plan": fd_plan, "np": np}


@njit(cache=True, error_model="numpy")
def plan_rows(X, P, scheme, mode):
    """:func:`fd_plan` of every entry of ``X`` (rows are problems; ``P`` is ``(b, 3, n)``):
    the steps ``H`` and the one-sided flags."""
    H = np.empty_like(X)
    ONE = np.empty(X.shape, dtype=np.bool_)
    for b in range(X.shape[0]):
        for k in range(X.shape[1]):
            H[b, k], ONE[b, k] = fd_plan(X[b, k], P[b, 0, k], P[b, 1, k], P[b, 2, k], scheme,
                                         mode)
    return H, ONE
