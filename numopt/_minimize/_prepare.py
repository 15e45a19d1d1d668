"""The preparation of a problem, shared by the front doors.

:func:`numopt.minimize` and :func:`numopt.minimize_batch` (and the fitting front doors
to come) do the same things before a solve: check ``x0``, turn scipy's bounds into
arrays, merge the options with the method's defaults and ``tol``, decide the gradient's
kind (``jac`` a callable, ``True``, a finite-difference scheme...), plan the finite
differences, give scipy's warnings for what the method cannot use and count the
evaluations one objective call stands for. Each of those is written once, here, and
takes a method's registry record (:class:`._registry.Method`), never a front door's
private state; nothing here imports a front door.

Every front door calls these on every call, so the common cases return early: a
float64 ``x0`` skips its copies, no bounds and no options cost a test each.
"""
import math
import warnings
from collections.abc import Mapping

import numpy as np
from scipy.optimize import OptimizeWarning

from . import _finite_diff
from ._objective import gradient_kind
from ._registry import real_option

__all__ = ["prepare_x0", "prepare_rows", "bounds_arrays", "nan_bounds", "options_dict",
           "merged_options", "warn_unused", "gradient", "finite_differences", "evaluations",
           "per_problem", "slice_args"]


# -- x0 ---------------------------------------------------------------------------------
def prepare_x0(x0):
    """``x0`` as scipy reads it: a 1-d real array (integers and lists become float64,
    float32 stays float32), finite.

    Raises
    ------
    ValueError
        ``x0`` is not one-dimensional, or not finite.
    TypeError
        ``x0`` is not real (complex, strings, objects).
    """
    if not (type(x0) is np.ndarray and x0.ndim == 1):  # the common case skips the copies
        x0 = np.atleast_1d(np.asarray(x0))
    if x0.ndim != 1:
        raise ValueError("'x0' must only have one dimension.")
    if x0.dtype.kind in "iub":
        x0 = x0.astype(np.float64)
    if x0.dtype.kind != "f":
        raise TypeError(f"x0 must be real floating point (or integer), got dtype {x0.dtype}")
    # A few Python floats test faster than a ufunc and a reduction (a quarter of a small
    # solve's front door); wider floats than float64 would overflow in tolist().
    if x0.size <= 16 and x0.dtype.itemsize <= 8:
        finite = all(map(math.isfinite, x0.tolist()))
    else:
        finite = np.isfinite(x0).all()
    if not finite:
        raise ValueError("x0 must be finite (it contains NaN or infinity)")
    return x0


def prepare_rows(x0):
    """A batch's starting points ``(X0, dtype)``: ``x0`` as a C-contiguous float64
    ``(B, n)`` array, each row checked as :func:`prepare_x0` checks one, and the dtype
    the results take (float32 stays float32)."""
    X0 = np.asarray(x0)
    if X0.ndim != 2:
        raise ValueError(f"x0 must have shape (B, n), got an array of shape {X0.shape}")
    if X0.dtype.kind in "iub":
        X0 = X0.astype(np.float64)
    for row in X0[:1]:
        prepare_x0(row)  # dtype checks
    if not np.all(np.isfinite(X0)):
        raise ValueError("x0 must be finite (it contains NaN or infinity)")
    return np.ascontiguousarray(X0, dtype=np.float64), X0.dtype


# -- bounds -----------------------------------------------------------------------------
def _pairs_arrays(pairs):
    """``(lb, ub)`` lists of a sequence of ``(min, max)`` pairs, None read as no bound."""
    lb, ub = [], []
    for i, b in enumerate(pairs):
        if isinstance(b, (str, bytes)) or not hasattr(b, "__len__") or len(b) != 2:
            raise ValueError("bounds must be a sequence of (min, max) pairs (None for "
                             f"no bound); bounds[{i}] is {b!r}")
        lb.append(-np.inf if b[0] is None else b[0])
        ub.append(np.inf if b[1] is None else b[1])
    return lb, ub


def bounds_arrays(bounds, n, method=None):
    """scipy's bounds (a ``Bounds`` or a sequence of ``(min, max)`` with None for
    unbounded) as two writable float64 arrays of length ``n``, or ``(None, None)``.

    As scipy, a single pair (or ``Bounds`` of scalars) applies to every variable, and a
    NaN bound is no bound (scipy's L-BFGS-B only tests ``isinf``: scikit-learn passes
    NaN), except for a ``method`` whose record says otherwise (see :func:`nan_bounds`).
    The messages are scipy's.
    """
    if bounds is None:
        return None, None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lb, ub = bounds.lb, bounds.ub
    else:
        try:
            pairs = list(bounds)
        except TypeError:
            raise TypeError("bounds must be a scipy.optimize.Bounds or a sequence of "
                            f"(min, max) pairs, got {type(bounds).__name__}") from None
        lb, ub = _pairs_arrays(pairs)
    try:
        lower = np.array(lb, dtype=np.float64)
        upper = np.array(ub, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"bounds must be real numbers (or None): {e}") from None
    if (upper < lower).any():
        raise ValueError("An upper bound is less than the corresponding lower bound.")
    if lower.shape != (n,) or upper.shape != (n,):  # one pair for all, or a wrong count
        try:
            lower = np.broadcast_to(lower, (n,)).copy()
            upper = np.broadcast_to(upper, (n,)).copy()
        except ValueError:
            raise ValueError("The number of bounds is not compatible with the length of "
                             "`x0`.") from None
    return nan_bounds(lower, upper, method)


def nan_bounds(lower, upper, method):
    """``lower``, ``upper`` (writable float64 arrays) with a NaN bound read as no bound,
    as scipy's L-BFGS-B reads it; for a method (a registry record) whose
    ``nan_bound_is_none`` is False, a NaN bound raises instead.

    Raises
    ------
    ValueError
        A NaN bound, for such a method.
    """
    lo_nan, up_nan = np.isnan(lower), np.isnan(upper)
    if not (lo_nan.any() or up_nan.any()):  # the common case writes nothing
        return lower, upper
    if method is not None and not method.nan_bound_is_none:
        raise ValueError(f"bounds of method {method.name} must not be NaN (use -np.inf, "
                         "np.inf or None for no bound): scipy's "
                         f"{method.name} clips its points to NaN there")
    lower[lo_nan] = -np.inf
    upper[up_nan] = np.inf
    return lower, upper


# -- options ----------------------------------------------------------------------------
def options_dict(options):
    """``options`` as a new dict (``{}`` for None), refusing what is not a mapping."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError("options must be a dict of the method's options (name: value), got "
                        f"{type(options).__name__} {options!r:.40}")
    return dict(options)


def merged_options(method, options, tol, stacklevel=3):
    """The method's options: its defaults, updated by ``options`` (a mapping or None;
    unknown names warn as in scipy, ``stacklevel`` frames up) and by ``tol`` (a real
    number, not NaN) for the options that ``tol`` sets."""
    options = options_dict(options)
    if tol is not None:
        tol = real_option(tol, "tol", method.name)
    defaults = method.defaults
    merged = dict(defaults)
    if options:
        unknown = set(options) - set(defaults)
        if unknown:
            warnings.warn(f"Unknown solver options: {', '.join(sorted(unknown))}",
                          OptimizeWarning, stacklevel=stacklevel)
        merged.update({k: v for k, v in options.items() if k in defaults})
    if tol is not None:
        for name in method.tol:
            if name not in options:
                merged[name] = tol
    return merged


# -- scipy's warnings -------------------------------------------------------------------
def warn_unused(spec, method, jac=None, hess=None, hessp=None, bounds=None, constraints=None,
                depth=0):
    """scipy's warnings for what the method (record ``spec``) cannot use, naming it
    ``method`` (as the caller wrote it); they point at the caller of the front door
    that calls this ``depth`` frames further down."""
    def warn(message):
        warnings.warn(message, RuntimeWarning, stacklevel=4 + depth)

    if constraints is not None and len(constraints if not isinstance(constraints, dict)
                                       else [constraints]) and not spec.constraints:
        warn(f"Method {method} cannot handle constraints.")
    if bounds is not None and not spec.bounds:
        warn(f"Method {method} cannot handle bounds.")
    if hess is not None and not spec.hess:
        warn(f"Method {method} does not use Hessian information (hess).")
    if hessp is not None and not spec.hess:
        warn(f"Method {method} does not use Hessian-vector product information (hessp).")
    if not spec.uses_gradient and bool(jac):
        warn(f"Method {method} does not use gradient information (jac).")


# -- the gradient -----------------------------------------------------------------------
def gradient(spec, fun, jac):
    """``(jac, kind)``: the ``jac`` the method reads (a method without gradients reads
    none, unless ``jac=True`` says what ``fun`` returns) and its kind (see
    :func:`._objective.gradient_kind`)."""
    if not (spec.uses_gradient or jac is True):
        jac = None
    return jac, gradient_kind(fun, jac, need_gradient=spec.uses_gradient)


def finite_differences(kind, spec, jac, opts, n, lower=None, upper=None, rows=None):
    """``(fd, steps)``: with finite differences (``kind == "fd"``), the
    :class:`._finite_diff.FiniteDiff` that scipy's options choose and the step and bound
    array that rides along as the objective's last argument (``(rows, 3, n)`` with
    ``rows`` problems whose bounds differ, ``lower``/``upper`` then ``(rows, n)``);
    else ``(None, None)``."""
    if kind != "fd":
        return None, None
    fd, step = _finite_diff.choose(jac, opts, scipy_steps=spec.fd_options)
    shape = None if rows is None else (rows,)
    return fd, _finite_diff.params(step, n, lower, upper, shape=shape)


def evaluations(fd, n):
    """Objective evaluations per evaluation of the state machine: 1, plus the
    differences' (``nfev`` counts them, as scipy's)."""
    return 1 if fd is None else 1 + fd.evals(n)


# -- a batch's arguments ----------------------------------------------------------------
def per_problem(args, B):
    """Which args are sliced per problem: arrays whose leading dimension is B."""
    return tuple(isinstance(a, np.ndarray) and a.ndim >= 1 and a.shape[0] == B for a in args)


def slice_args(args, mask, index):
    """``args`` with the per-problem ones (``mask``) taken at ``index``."""
    return tuple(a[index] if m else a for a, m in zip(args, mask))
