"""``numopt.least_squares``: scipy.optimize.least_squares' front door.

The arguments are checked in scipy's order with scipy's messages, then the problem goes
to a compiled state machine: MINPACK's Levenberg-Marquardt (:mod:`._lm`, ``method="lm"``)
or the Trust Region Reflective method (:mod:`._trf`, ``method="trf"``). With a numba
``@njit`` residual function (and Jacobian), the whole solve runs in compiled code
(:func:`._drive_lm.solve_lm_compiled`); a Python function is called from a Python loop
around the same compiled steps, so both give the same iterates and counts.

What scipy offers and numopt does not (``method="dogbox"``, ``tr_solver="lsmr"``, sparse
Jacobians, a callable ``loss``, ``workers``, ``verbose=2``) raises ``NotImplementedError``
naming it, rather than running something else.
"""
import warnings

import numpy as np
from scipy.optimize import Bounds

from .._minimize._objective import Objective, is_compiled
from .._result import OptimizeResult
from . import _drive_lm, _drive_trf
from ._drive import reraise

__all__ = ["least_squares", "solve", "check_bounds", "is_unbounded", "check_x_scale", "check_tolerances",
           "IMPLEMENTED_LOSSES", "TERMINATION_MESSAGES"]

EPS = np.finfo(np.float64).eps
IMPLEMENTED_LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")

TERMINATION_MESSAGES = {   # scipy's, by status
    -2: "Stopped because `callback` function raised `StopIteration` or returned `True`",
    -1: "Improper input parameters status returned from `leastsq`",
    0: "The maximum number of function evaluations is exceeded.",
    1: "`gtol` termination condition is satisfied.",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "Both `ftol` and `xtol` termination conditions are satisfied.",
}   # and numopt's -3, a Jacobian that is not finite (its message from the reasons table)


def _unsupported(what, instead=""):
    return NotImplementedError(f"numopt.least_squares does not support {what}"
                               + (f"; {instead}" if instead else ""))


_NO_BOUNDS = (-np.inf, np.inf)


def is_unbounded(bounds):
    """Whether ``bounds`` is the default ``(-inf, inf)``, written as two numbers (the
    common case, tested without making arrays)."""
    if bounds is _NO_BOUNDS:
        return True
    if type(bounds) is not tuple or len(bounds) != 2:
        return False
    lo, hi = bounds
    return (type(lo) in (float, int) and type(hi) in (float, int)
            and lo == -np.inf and hi == np.inf)


# -- checks shared with curve_fit ------------------------------------------------------------
def check_bounds(bounds, n):
    """scipy's ``bounds`` (a :class:`scipy.optimize.Bounds` or a pair of scalars or
    arrays) as two float64 arrays of length ``n``.

    Raises
    ------
    ValueError
        Not two elements, shapes inconsistent with ``n``, or a lower bound not below
        its upper bound.
    """
    if is_unbounded(bounds):
        return np.full(n, -np.inf), np.full(n, np.inf)   # the default, quickly
    if isinstance(bounds, Bounds):
        lb, ub = bounds.lb, bounds.ub
    elif len(bounds) == 2:
        lb, ub = bounds
    else:
        raise ValueError("`bounds` must contain 2 elements.")
    lb, ub = (np.asarray(b, dtype=np.float64) for b in (lb, ub))
    if lb.ndim == 0:
        lb = np.full(n, float(lb))
    if ub.ndim == 0:
        ub = np.full(n, float(ub))
    if lb.shape != (n,) or ub.shape != (n,):
        raise ValueError("Inconsistent shapes between bounds and `x0`.")
    if np.any(lb >= ub):
        raise ValueError("Each lower bound must be strictly less than each upper bound.")
    return lb, ub


def check_x_scale(x_scale, n, method):
    """``x_scale`` as scipy 1.17 reads it: ``"jac"`` or n positive finite numbers;
    ``None`` is ``"jac"`` for ``"lm"`` and 1 otherwise."""
    if x_scale is None:
        if method == "lm":
            return "jac"
        return np.ones(n)
    if isinstance(x_scale, str) and x_scale == "jac":
        return x_scale
    try:
        x_scale = np.asarray(x_scale, dtype=np.float64)
        valid = bool(np.all(np.isfinite(x_scale)) and np.all(x_scale > 0))
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise ValueError("`x_scale` must be 'jac' or array_like with positive numbers.")
    if x_scale.ndim == 0:
        x_scale = np.full(n, float(x_scale))
    if x_scale.shape != (n,):
        raise ValueError("Inconsistent shapes between `x_scale` and `x0`.")
    return x_scale


def check_tolerances(ftol, xtol, gtol, method):
    """scipy's checks of the tolerances: ``None`` is 0, a tolerance below machine
    epsilon warns that it disables its test, ``"lm"`` needs all three above it and the
    other methods one."""
    def check(tol, name):
        if tol is None:
            return 0.0
        if tol < EPS:
            warnings.warn(f"Setting `{name}` below the machine epsilon ({EPS:.2e}) "
                          "effectively disables the corresponding termination condition.",
                          stacklevel=4)
        return float(tol)

    ftol, xtol, gtol = check(ftol, "ftol"), check(xtol, "xtol"), check(gtol, "gtol")
    if method == "lm" and (ftol < EPS or xtol < EPS or gtol < EPS):
        raise ValueError("All tolerances must be higher than machine epsilon "
                         f"({EPS:.2e}) for method 'lm'.")
    if ftol < EPS and xtol < EPS and gtol < EPS:
        raise ValueError("At least one of the tolerances must be higher than machine "
                         f"epsilon ({EPS:.2e}).")
    return ftol, xtol, gtol


def check_x0(x0):
    if np.iscomplexobj(x0):
        raise ValueError("`x0` must be real.")
    x0 = np.atleast_1d(x0).astype(np.float64)
    if x0.ndim > 1:
        raise ValueError("`x0` must have at most 1 dimension.")
    return x0


def dispatcher_of(f):
    """A compiled function's numba dispatcher (``numopt.objective`` unwrapped), or None
    for a Python function."""
    if isinstance(f, Objective):
        return f.dispatcher
    return f if is_compiled(f) else None


# -- the complex-step Jacobian ------------------------------------------------------------------
def complex_step_jacobian(fun, diff_step):
    """``jac(x, *args)`` by complex steps (scipy's ``jac="cs"``): column j is
    ``Im r(x + i h_j e_j) / h_j``, with scipy's steps ``h = sqrt(eps) sign(x) max(1, |x|)``
    (``diff_step sign(x) |x|`` where given and nonzero)."""
    rel = EPS ** 0.5

    def jac(x, *args):
        sign = np.where(x >= 0, 1.0, -1.0)
        h = rel * sign * np.maximum(1.0, np.abs(x))
        if diff_step is not None:
            hd = diff_step * sign * np.abs(x)
            dx = (x + hd) - x
            h = np.where(dx == 0, h, hd)
        cols = []
        for j in range(x.size):
            xc = x.astype(np.complex128)
            xc[j] += h[j] * 1j
            cols.append(np.atleast_1d(np.asarray(fun(xc, *args))).ravel().imag / h[j])
        return np.stack(cols, axis=1)
    return jac


def _wrap_callback(callback):
    """scipy's calling conventions for a trf callback, as ``hook(res) -> stop``: a
    function of one argument named ``intermediate_result`` receives the
    ``OptimizeResult``, any other a copy of x; raising ``StopIteration`` stops."""
    if callback is None:
        return None
    import inspect
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = set()
    by_result = params == {"intermediate_result"}

    def hook(res):
        try:
            if by_result:
                callback(intermediate_result=res)
            else:
                callback(np.copy(res.x))
        except StopIteration:
            return True
        return False
    return hook


# -- the front door -----------------------------------------------------------------------------
def least_squares(fun, x0, jac="2-point", bounds=_NO_BOUNDS, method="trf",
                  ftol=1e-8, xtol=1e-8, gtol=1e-8, x_scale=None, loss="linear",
                  f_scale=1.0, diff_step=None, tr_solver=None, tr_options=None,
                  jac_sparsity=None, max_nfev=None, verbose=0, args=(), kwargs=None,
                  callback=None, workers=None):
    """Solve a nonlinear least-squares problem with bounds on the variables, as
    :func:`scipy.optimize.least_squares` (scipy 1.17's arguments, defaults and result).

    Finds a local minimum of ``F(x) = 0.5 * sum(rho(f_i(x)**2))`` subject to
    ``lb <= x <= ub``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)`` returns the m residuals (a 1-D array). A numba
        ``@njit`` function runs the whole solve in compiled code.
    x0 : array_like, shape (n,) or float
        Initial guess.
    jac : {"2-point", "3-point", "cs"} or callable
        ``jac(x, *args, **kwargs)`` returns the ``(m, n)`` Jacobian; otherwise finite
        differences (``"cs"``: complex steps, ``fun`` must accept complex ``x``).
    bounds : 2-tuple of array_like or scipy.optimize.Bounds
        Lower and upper bounds (``method="trf"`` only).
    method : {"trf", "lm"}
        Trust Region Reflective, or MINPACK's Levenberg-Marquardt (no bounds, linear
        loss, ``m >= n``).
    ftol, xtol, gtol : float or None
        Termination tolerances (scipy's meanings).
    x_scale : array_like or "jac", optional
        Characteristic scale of each variable; ``None`` is ``"jac"`` for ``"lm"`` and 1
        for ``"trf"``.
    loss : {"linear", "soft_l1", "huber", "cauchy", "arctan"}
        The robust loss ``rho`` (``"trf"`` only for other than ``"linear"``).
    f_scale : float
        Soft margin between inlier and outlier residuals.
    diff_step : array_like, optional
        Relative finite-difference step.
    tr_solver : {None, "exact"}
        Dense exact trust-region solver (``"lsmr"`` is not supported).
    tr_options : dict, optional
        Must be empty (they are options of ``"lsmr"``).
    jac_sparsity : None
        Sparse Jacobians are not supported.
    max_nfev : int, optional
        Maximum number of residual evaluations (default ``100 * n``).
    verbose : {0, 1}
        1 prints scipy's termination report.
    args : tuple
    kwargs : dict, optional
        Extra arguments of ``fun`` and ``jac`` (with ``kwargs``, a compiled ``fun`` is
        driven from Python).
    callback : callable, optional
        ``callback(intermediate_result)`` after each iteration of ``"trf"``; returning
        True or raising ``StopIteration`` stops (status -2). Not called by ``"lm"``
        (a warning, as scipy).
    workers : None
        Parallel finite differences are not supported.

    Returns
    -------
    OptimizeResult
        ``x, cost, fun, jac, grad, optimality, active_mask, nfev, njev, status, message,
        success``, scipy's fields, plus ``nit`` (accepted steps).

    Raises
    ------
    ValueError
        Invalid input, as scipy raises it (same messages).
    NotImplementedError
        An option scipy has and numopt does not.
    """
    return solve(fun, x0, jac, bounds, method, ftol, xtol, gtol, x_scale, loss, f_scale,
                 diff_step, tr_solver, tr_options, jac_sparsity, max_nfev, verbose, args,
                 kwargs, callback, workers)


def solve(fun, x0, jac="2-point", bounds=_NO_BOUNDS, method="trf", ftol=1e-8, xtol=1e-8,
          gtol=1e-8, x_scale=None, loss="linear", f_scale=1.0, diff_step=None,
          tr_solver=None, tr_options=None, jac_sparsity=None, max_nfev=None, verbose=0,
          args=(), kwargs=None, callback=None, workers=None, f0=None, stamp=None):
    """:func:`least_squares`, for callers inside numopt that already have the residuals
    at the start (``f0``, at x0 moved strictly inside the bounds for ``"trf"``): they are
    not evaluated again (curve_fit's, which would otherwise compile its generated
    residuals just to call them once from Python). ``stamp`` names compiled residual
    functions that numba does not cache themselves (see :func:`._drive.adapters`)."""
    if method not in ("trf", "dogbox", "lm"):
        raise ValueError("`method` must be 'trf', 'dogbox' or 'lm'.")
    if method == "dogbox":
        raise _unsupported("method='dogbox'", "use 'trf' (also bounded) or 'lm'")
    if not (callable(jac) or (isinstance(jac, str) and jac in ("2-point", "3-point", "cs"))):
        raise ValueError("`jac` must be '2-point', '3-point', 'cs' or callable.")
    if tr_solver not in (None, "exact", "lsmr"):
        raise ValueError("`tr_solver` must be None, 'exact' or 'lsmr'.")
    if method != "lm":   # scipy's lm ignores tr_solver and tr_options
        if tr_solver == "lsmr":
            raise _unsupported("tr_solver='lsmr'", "use tr_solver='exact' (dense)")
        if tr_options:
            raise _unsupported(f"tr_options {sorted(tr_options)} (options of 'lsmr')")
    if callable(loss):
        raise _unsupported("a callable loss", f"use one of {IMPLEMENTED_LOSSES}")
    if loss not in IMPLEMENTED_LOSSES:
        raise ValueError(f"`loss` must be one of {IMPLEMENTED_LOSSES} or a callable.")
    if method == "lm" and loss != "linear":
        raise ValueError("method='lm' supports only 'linear' loss function.")
    if verbose not in (0, 1, 2):
        raise ValueError("`verbose` must be in [0, 1, 2].")
    if verbose == 2:
        raise _unsupported("verbose=2 (a report per iteration)", "verbose=1 reports the end")
    if max_nfev is not None and max_nfev <= 0:
        raise ValueError("`max_nfev` must be None or positive integer.")
    if jac_sparsity is not None:
        if method == "lm" and not callable(jac):
            raise ValueError("method='lm' does not support `jac_sparsity`.")
        raise _unsupported("jac_sparsity (sparse Jacobians)")
    if workers is not None:
        raise _unsupported("workers (parallel finite differences)")
    if not isinstance(args, tuple):
        args = (args,)

    x0 = check_x0(x0)
    n = x0.size
    lb, ub = check_bounds(bounds, n)
    bounded = bool(np.any(np.isfinite(lb)) or np.any(np.isfinite(ub)))
    if method == "lm" and bounded:
        raise ValueError("Method 'lm' doesn't support bounds.")
    if not np.all((x0 >= lb) & (x0 <= ub)):
        raise ValueError("Initial guess is outside of provided bounds")
    x_scale = check_x_scale(x_scale, n, method)
    ftol, xtol, gtol = check_tolerances(ftol, xtol, gtol, method)
    if method == "trf" and bounded:   # scipy starts trf strictly inside the bounds
        x0 = _drive_trf.strictly_feasible(x0, lb, ub)
    if diff_step is not None:
        step = np.broadcast_to(np.asarray(diff_step, dtype=np.float64), (n,))
        if not np.all(step == step[0]):
            raise _unsupported("a diff_step that differs between variables",
                               "give one relative step")
        diff_step = float(step[0])

    problem = _Problem(fun, jac, args, kwargs, diff_step, stamp)
    f0 = problem.first_residuals(x0, f0)
    m = f0.size
    if method == "lm" and m < n:
        raise ValueError("Method 'lm' doesn't work when the number of residuals is less "
                         "than the number of variables.")
    problem.check_jacobian(x0, m, n, method)

    if method == "lm":
        if callback is not None:
            warnings.warn("Callback function specified, but not supported with `lm` "
                          "method.", stacklevel=2)
        res = problem.solve_lm(x0, f0, ftol=ftol, xtol=xtol, gtol=gtol, max_nfev=max_nfev,
                               x_scale=None if isinstance(x_scale, str) else x_scale)
        res["active_mask"] = np.zeros(n, dtype=int)
    else:
        res = problem.solve_trf(x0, f0, lb, ub, ftol=ftol, xtol=xtol, gtol=gtol,
                                max_nfev=max_nfev, x_scale=x_scale, loss=loss,
                                f_scale=float(f_scale), callback=callback)
    result = _result(res)
    if verbose >= 1:
        print(result.message)
        print(f"Function evaluations {result.nfev}, initial cost "
              f"{0.5 * float(f0 @ f0):.4e}, final cost {result.cost:.4e}, first-order "
              f"optimality {result.optimality:.2e}.")
    return result


def _result(res):
    status = int(res["status"])
    return OptimizeResult(
        x=res["x"], cost=res["cost"], fun=res["fun"], jac=res["jac"], grad=res["grad"],
        optimality=res["optimality"], active_mask=res["active_mask"], nfev=res["nfev"],
        njev=res["njev"], nit=res["nit"], status=status,
        message=TERMINATION_MESSAGES.get(status, res["message"]), success=status > 0)


class _Problem:
    """The residual function and Jacobian of one problem, and which driver runs them:
    the compiled loop for numba functions (no ``kwargs``, no complex steps), else the
    Python loop."""

    def __init__(self, fun, jac, args, kwargs, diff_step, stamp=None):
        self.args = args
        self.stamp = stamp   # see solve
        self.diff_step = diff_step
        self.kind = jac if isinstance(jac, str) else "callable"
        disp = dispatcher_of(fun)
        jdisp = dispatcher_of(jac) if callable(jac) else None
        self.compiled = (disp is not None and not kwargs and jac != "cs"
                         and (not callable(jac) or jdisp is not None))
        if self.compiled:
            self.fun, self.jac = disp, jdisp
            return
        f = disp if disp is not None else fun
        if kwargs:
            def self_fun(x, *a, _f=f):
                return _f(x, *a, **kwargs)
            f = self_fun
        self.fun = f
        if callable(jac):
            j = jdisp if jdisp is not None else jac
            self.jac = (lambda x, *a: j(x, *a, **kwargs)) if kwargs else j
        elif jac == "cs":
            self.jac = complex_step_jacobian(f, diff_step)
        else:
            self.jac = jac

    def first_residuals(self, x0, f0=None):
        """r(x0) (or the caller's ``f0``), checked as scipy checks it (1-D, finite)."""
        if f0 is None:
            f0 = self.fun(x0.copy(), *self.args)
        f0 = np.atleast_1d(np.asarray(f0))
        if f0.ndim != 1:
            raise ValueError(f"`fun` must return at most 1-d array_like. f0.shape: "
                             f"{f0.shape}")
        if not np.all(np.isfinite(f0)):
            raise ValueError("Residuals are not finite in the initial point.")
        self.dtype = f0.dtype if f0.dtype.kind == "f" else np.dtype(np.float64)
        return f0.astype(np.float64)

    def _jac_option(self):
        return self.jac if self.kind in ("callable", "cs") else self.kind

    def check_jacobian(self, x0, m, n, method):
        """A callable Jacobian at x0, checked as scipy checks it (a dense (m, n) array;
        a (1,) array for m = n = 1); kept for the run's first request at x0, as
        scipy's ``VectorFunction`` keeps it."""
        if not callable(self.jac) or self.kind == "cs":
            return
        J0 = self.jac(x0.copy(), *self.args)
        if not isinstance(J0, np.ndarray) and hasattr(J0, "shape"):
            if method == "lm":
                raise ValueError("method='lm' works only with dense Jacobian matrices.")
            raise _unsupported("sparse or LinearOperator Jacobians",
                               "return a dense numpy array")
        J0 = np.atleast_2d(np.asarray(J0, dtype=np.float64))
        if J0.shape != (m, n):
            raise ValueError(f"The return value of `jac` has wrong shape: expected "
                             f"{(m, n)}, actual {J0.shape}.")
        if self.compiled:
            return
        jac, first = self.jac, [x0.copy(), J0]

        def memo(x, *args):
            if first and np.array_equal(x, first[0]):
                J = first[1]
                first.clear()
                return J
            first.clear()
            return np.atleast_2d(np.asarray(jac(x, *args), dtype=np.float64))
        self.jac = memo

    def solve_lm(self, x0, f0, **options):
        if self.kind in ("2-point", "3-point"):
            options["diff_step"] = self.diff_step
        extra = {"stamp": self.stamp} if self.compiled else {}
        solve = _drive_lm.solve_lm_compiled if self.compiled else _drive_lm.solve_lm
        res = solve(self.fun, x0, jac=self._jac_option(), args=self.args, f0=f0,
                    dtype=self.dtype, **extra, **options)
        self.reraise(res)
        if self.kind == "cs":
            res["njev"] = None   # scipy counts no Jacobian evaluations for differences
        return res

    def solve_trf(self, x0, f0, lb, ub, callback=None, **options):
        # the compiled loop makes no Python call per iteration: a callback needs the
        # Python loop (around the same compiled steps, so the same iterates)
        if self.compiled and callback is None:
            res = _drive_trf.solve_trf_compiled(self.fun, x0, jac=self._jac_option(),
                                                bounds=(lb, ub), args=self.args,
                                                diff_step=self.diff_step, m=f0.size,
                                                dtype=self.dtype, stamp=self.stamp,
                                                **options)
        else:
            res = _drive_trf.solve_trf(self.fun, x0, jac=self._jac_option(),
                                       bounds=(lb, ub), args=self.args,
                                       diff_step=self.diff_step, f0=f0, dtype=self.dtype,
                                       callback=_wrap_callback(callback), **options)
        self.reraise(res)
        if self.kind == "cs":
            res["njev"] = None
        return res

    def reraise(self, res):
        """Raise the exception a compiled function raised in the compiled loop."""
        if res.get("raised_at") is not None:
            reraise(self.fun, self.jac, self.args, res["raised_at"])
