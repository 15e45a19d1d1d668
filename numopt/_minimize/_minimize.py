"""``numopt.minimize``: scipy.optimize.minimize's interface over compiled state machines."""
import inspect
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning

from .._result import OptimizeResult, describe
from . import _drivers
from . import _registry
from . import _workspace as W
from . import _finite_diff
from ._objective import gradient_kind, make_fg

__all__ = ["minimize"]


def _prepare_x0(x0):
    if not (type(x0) is np.ndarray and x0.ndim == 1):  # the common case skips the copies
        x0 = np.atleast_1d(np.asarray(x0))
    if x0.ndim != 1:
        raise ValueError("'x0' must only have one dimension.")
    if x0.dtype.kind in "iub":
        x0 = x0.astype(np.float64)
    if x0.dtype.kind != "f":
        raise TypeError(f"x0 must be real floating point (or integer), got dtype {x0.dtype}")
    if not np.isfinite(x0).all():
        raise ValueError("x0 must be finite (it contains NaN or infinity)")
    return x0


def _bounds_arrays(bounds, n):
    """scipy's bounds (a ``Bounds`` or a sequence of ``(min, max)`` with None for
    unbounded) as two float64 arrays, or ``(None, None)``."""
    if bounds is None:
        return None, None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lower = np.broadcast_to(np.asarray(bounds.lb, dtype=np.float64), (n,)).copy()
        upper = np.broadcast_to(np.asarray(bounds.ub, dtype=np.float64), (n,)).copy()
    else:
        bounds = list(bounds)
        if len(bounds) != n:
            raise ValueError(f"length of bounds ({len(bounds)}) must equal the number of "
                             f"variables ({n})")
        lower = np.array([-np.inf if b[0] is None else b[0] for b in bounds], dtype=np.float64)
        upper = np.array([np.inf if b[1] is None else b[1] for b in bounds], dtype=np.float64)
    if np.any(lower > upper):
        raise ValueError("An upper bound is less than the corresponding lower bound.")
    return lower, upper


def _new_style_callback(callback):
    try:
        params = inspect.signature(callback).parameters
    except (TypeError, ValueError):
        return False
    return set(params) == {"intermediate_result"}


def _options(method, options, tol, n):
    options = dict(options or {})
    unknown = set(options) - set(method.defaults)
    if unknown:
        warnings.warn(f"Unknown solver options: {', '.join(sorted(unknown))}", OptimizeWarning,
                      stacklevel=3)
    merged = dict(method.defaults)
    merged.update({k: v for k, v in options.items() if k in method.defaults})
    if tol is not None:
        for name in method.tol:
            if name not in options:
                merged[name] = tol
    return merged


# (method, n) -> what _prepare returns for a call with the method's default options and
# no bounds (a loop of small solves, typically).
_DEFAULT_CALLS = {}


def _prepare(spec, options, tol, n, lower, upper):
    """``(opts, fopts, iopts, sizes, step)``: the merged options, the method's option
    arrays, workspace sizes and ``step``. With the defaults and no bounds they are made
    once per method and size: packing them again costs a fifth of a small solve. The
    option arrays are only ever read (by ``init``), so calls can share them."""
    memo = options is None and tol is None and lower is None
    if memo:
        hit = _DEFAULT_CALLS.get((spec.name, n))
        if hit is not None:
            return hit
    opts = _options(spec, options, tol, n)
    fopts, iopts = spec.pack(opts, n, lower, upper)
    out = (opts, fopts, iopts, spec.module.sizes(n, fopts, iopts), spec.step_for(iopts))
    if memo:
        _DEFAULT_CALLS[(spec.name, n)] = out
    return out


def minimize(fun, x0, args=(), method=None, jac=None, hess=None, hessp=None, bounds=None,
             constraints=(), tol=None, callback=None, options=None):
    """Minimize a scalar function of one or more variables, as ``scipy.optimize.minimize``.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args) -> float``. A Python function runs the solver's loop in Python;
        a numba ``@njit`` function or a :func:`numopt.objective` runs the whole solve,
        iterations and line search, in compiled code.
    x0 : array_like, shape (n,)
        Initial guess. Integers and lists become float64.
    args : tuple
        Extra arguments of ``fun`` (and ``jac``): arrays and scalars.
    method : str, optional
        Case-insensitive. Default "BFGS" (with bounds: "L-BFGS-B").
    jac : callable, True, None or {"2-point", "3-point", "cs"}
        The gradient: a function ``jac(x, *args)``, ``True`` if ``fun`` returns
        ``(f, g)``, or a finite-difference scheme (``None`` is "2-point").
    hess, hessp : optional
        Not used by the methods available; given, they trigger scipy's warning.
    bounds, constraints : optional
        As scipy: given to a method that cannot use them, they trigger scipy's warning.
    tol : float, optional
        Sets the method's tolerance options (BFGS: ``gtol``).
    callback : callable, optional
        ``callback(intermediate_result)`` (an ``OptimizeResult`` with ``x`` and ``fun``)
        or the legacy ``callback(xk)``, after each iteration. Raising ``StopIteration``
        stops the run; the result then has status 99.
    options : dict, optional
        The method's options, with scipy's names (see :func:`numopt.show_options`).

    Returns
    -------
    OptimizeResult

    Raises
    ------
    ValueError
        Unknown method, bad ``x0``, bad ``jac``.
    """
    x0 = _prepare_x0(x0)
    n = x0.size
    if method is None:
        method = "L-BFGS-B" if bounds is not None else "BFGS"
    if not isinstance(method, str):
        raise ValueError("method must be a string; numopt does not accept callables as methods")
    spec = _registry.get(method)
    name = spec.name
    # scipy's warnings, with the method named as the caller wrote it.
    if constraints is not None and len(constraints if not isinstance(constraints, dict) else [constraints]) \
            and not spec.constraints:
        warnings.warn(f"Method {method} cannot handle constraints.", RuntimeWarning, stacklevel=2)
    if bounds is not None and not spec.bounds:
        warnings.warn(f"Method {method} cannot handle bounds.", RuntimeWarning, stacklevel=2)
    if hess is not None and not spec.hess:
        warnings.warn(f"Method {method} does not use Hessian information (hess).", RuntimeWarning,
                      stacklevel=2)
    if hessp is not None and not spec.hess:
        warnings.warn(f"Method {method} does not use Hessian-vector product information (hessp).",
                      RuntimeWarning, stacklevel=2)
    if not spec.uses_gradient and bool(jac):
        warnings.warn(f"Method {method} does not use gradient information (jac).", RuntimeWarning,
                      stacklevel=2)
    if not isinstance(args, tuple):
        args = (args,)
    lower, upper = _bounds_arrays(bounds, n) if spec.bounds else (None, None)
    opts, fopts, iopts, sizes, method_step = _prepare(spec, options, tol, n, lower, upper)
    check = getattr(spec.module, "check", None)
    if check is not None:
        check(x0, opts, lower, upper)  # method-specific warnings before the run
    jac = jac if spec.uses_gradient or jac is True else None
    kind = gradient_kind(fun, jac, need_gradient=spec.uses_gradient)
    fd = None
    if kind == "fd":  # the steps and bounds ride along as a last argument
        fd, fd_step = _finite_diff.choose(jac, opts, scipy_steps=spec.fd_options)
        args = args + (_finite_diff.params(fd_step, n, lower, upper),)
    fg, compiled = make_fg(fun, jac, kind, fd, args)
    fev = 1 + (fd.evals(n) if fd is not None else 0)
    xd = np.ascontiguousarray(x0, dtype=np.float64)

    if compiled and callback is None and spec.run is None:
        ws, iws = _drivers.run_compiled(name, spec.module.init, method_step, fg, xd,
                                        fopts, iopts, args, sizes)
    else:
        on_iteration = None if callback is None else _iteration_hook(callback, n, x0.dtype)
        pyfg = fg.dispatcher if compiled else fg
        if spec.run is not None:  # a method with its own Python loop (see Method.run)
            ws, iws = spec.run(pyfg, xd, fopts, iopts, args, copy_x=not compiled,
                               on_iteration=on_iteration)
        else:
            ws, iws = _drivers.run_python(spec.module.init, method_step, pyfg, xd, fopts,
                                          iopts, args, sizes, copy_x=not compiled,
                                          on_iteration=on_iteration)
    return _result(ws, iws, n, x0.dtype, fev, spec)


def _iteration_hook(callback, n, dtype):
    """``on_iteration(ws, iws) -> stop`` calling the user's ``callback`` after each
    iteration, new style or legacy; ``StopIteration`` from it stops the run."""
    new_style = _new_style_callback(callback)

    def on_iteration(ws, iws):
        xo = iws[W.XR]
        xk = ws[xo:xo + n].astype(dtype)
        try:
            if new_style:
                callback(OptimizeResult(x=xk, fun=float(ws[W.FR])))
            else:
                callback(xk)
        except StopIteration:
            return True
        return False
    return on_iteration


def _result(ws, iws, n, dtype, fev, spec):
    status, success, message = describe(iws[W.REASON])
    xo, go = iws[W.XR], iws[W.GR]
    res = OptimizeResult(
        x=ws[xo:xo + n].astype(dtype, copy=True),
        fun=float(ws[W.FR]),
        nit=int(iws[W.NIT]),
        nfev=int(iws[W.NFEV]) * fev,
        status=int(status),
        success=bool(success),
        message=message,
    )
    if spec.uses_gradient:
        res["jac"] = ws[go:go + n].copy()
        res["njev"] = int(iws[W.NFEV])
    extras = getattr(spec.module, "extras", None)
    if extras is not None:
        res.update(extras(ws, iws, n, dtype))
    return res
