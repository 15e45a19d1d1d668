"""``numopt.minimize``: scipy.optimize.minimize's interface over compiled state machines."""
import contextvars
import inspect
import warnings
from collections.abc import Mapping

import numpy as np
from scipy.optimize import OptimizeWarning

from .._result import OptimizeResult, describe
from . import _drivers
from . import _registry
from . import _workspace as W
from . import _finite_diff
from ._objective import gradient_kind, is_compiled, make_fg, reraise, value_of

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


def _bounds_arrays(bounds, n, method=None):
    """scipy's bounds (a ``Bounds`` or a sequence of ``(min, max)`` with None for
    unbounded) as two float64 arrays of length ``n``, or ``(None, None)``.

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
        for i, b in enumerate(pairs):
            if isinstance(b, (str, bytes)) or not hasattr(b, "__len__") or len(b) != 2:
                raise ValueError("bounds must be a sequence of (min, max) pairs (None for "
                                 f"no bound); bounds[{i}] is {b!r}")
        lb = [-np.inf if b[0] is None else b[0] for b in pairs]
        ub = [np.inf if b[1] is None else b[1] for b in pairs]
    try:
        lower = np.asarray(lb, dtype=np.float64)
        upper = np.asarray(ub, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"bounds must be real numbers (or None): {e}") from None
    if np.any(upper < lower):
        raise ValueError("An upper bound is less than the corresponding lower bound.")
    try:
        lower = np.broadcast_to(lower, (n,)).copy()
        upper = np.broadcast_to(upper, (n,)).copy()
    except ValueError:
        raise ValueError("The number of bounds is not compatible with the length of `x0`.") \
            from None
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
    if method is not None and not method.nan_bound_is_none and (lo_nan.any() or up_nan.any()):
        raise ValueError(f"bounds of method {method.name} must not be NaN (use -np.inf, "
                         "np.inf or None for no bound): scipy's "
                         f"{method.name} clips its points to NaN there")
    lower[lo_nan] = -np.inf
    upper[up_nan] = np.inf
    return lower, upper


def _options_dict(options):
    """``options`` as a new dict (``{}`` for None), refusing what is not a mapping."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError("options must be a dict of the method's options (name: value), got "
                        f"{type(options).__name__} {options!r:.40}")
    return dict(options)


def _new_style_callback(callback):
    """scipy's test: a callback whose only parameter is named ``intermediate_result``
    (positional or keyword-only) gets an ``OptimizeResult``, by keyword."""
    try:
        params = inspect.signature(callback).parameters
    except (TypeError, ValueError):
        return False
    return set(params) == {"intermediate_result"}


def _caller(callback):
    """``call(x, fun)`` calling the user's ``callback`` as scipy does: new style with
    ``intermediate_result=OptimizeResult(x=x, fun=fun)``, else legacy ``callback(x)``."""
    if _new_style_callback(callback):
        return lambda x, fun: callback(intermediate_result=OptimizeResult(x=x, fun=fun))
    return lambda x, fun: callback(x)


# Set while a front-door feature (return_all, disp, fixed variables) runs minimize again
# on the prepared problem: the outer call has already given scipy's warnings.
_INNER = contextvars.ContextVar("numopt_minimize_inner", default=False)


def _warn_unused(spec, method, jac, hess, hessp, bounds, constraints):
    """scipy's warnings for what the method cannot use, naming it as the caller wrote it."""
    def warn(message):
        warnings.warn(message, RuntimeWarning, stacklevel=4)

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


def _as_scipy_calls(fun, jac, kind, dtype=None):
    """A Python ``fun`` (and ``jac``) called as scipy's ``ScalarFunction`` calls them: on
    a copy of x (an objective may write into its argument: finite differences and the
    gradient call must not see that), of ``dtype`` when given (Nelder-Mead keeps a
    float32 ``x0`` float32); the adapter reads the value as scipy does
    (:func:`._objective.value_of`). Compiled objectives are
    returned as they are (they get float64 arrays)."""
    if is_compiled(fun):
        return fun, jac
    cast = None if dtype is None or dtype == np.float64 else dtype

    def copy(x):
        return np.array(x, dtype=cast) if cast is not None else x.copy()

    def f(x, *args):  # the value is read by the adapter (_objective.value_of)
        return fun(copy(x), *args)
    if callable(jac) and not isinstance(jac, str) and not is_compiled(jac):
        user_jac = jac

        def jac(x, *args):
            return user_jac(copy(x), *args)
    return f, jac


def _options(method, options, tol, n):
    """The method's options: its defaults, updated by ``options`` (a dict; unknown names
    warn as in scipy) and by ``tol`` (a real number, not NaN) for the options that
    ``tol`` sets."""
    options = _options_dict(options)
    if tol is not None:
        tol = _registry.real_option(tol, "tol", method.name)
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


def _prepare(spec, options, tol, n, lower, upper, dtype=np.float64):
    """``(opts, fopts, iopts, sizes, step)``: the merged options, the method's option
    arrays, workspace sizes and ``step``. With the defaults and no bounds they are made
    once per method, size and dtype of ``x0``: packing them again costs a fifth of a
    small solve. The option arrays are only ever read (by ``init``), so calls can share
    them. Nelder-Mead reads the dtype (``opts["_float32"]``: a float32 ``x0`` keeps
    float32 vertices, as scipy's)."""
    memo = options is None and tol is None and lower is None
    key = (spec.name, n, dtype)
    if memo:
        hit = _DEFAULT_CALLS.get(key)
        if hit is not None:
            return hit
    opts = _options(spec, options, tol, n)
    if not spec.uses_gradient:
        opts["_float32"] = np.dtype(dtype) == np.float32
    fopts, iopts = spec.pack(opts, n, lower, upper)
    out = (opts, fopts, iopts, spec.module.sizes(n, fopts, iopts), spec.step_for(iopts))
    if memo:
        _DEFAULT_CALLS[key] = out
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
    _options_dict(options)  # checked before the front-door features read it
    if method is None:
        method = "L-BFGS-B" if bounds is not None else "BFGS"
    if not isinstance(method, str):
        raise ValueError("method must be a string; numopt does not accept callables as methods")
    spec = _registry.get(method)
    name = spec.name
    if not isinstance(args, tuple):
        args = (args,)
    if not _INNER.get():  # a front-door feature calling minimize again has warned already
        _warn_unused(spec, method, jac, hess, hessp, bounds, constraints)
    # scipy validates bounds whatever the method; only the methods with bounds use them.
    lower, upper = _bounds_arrays(bounds, n, spec if spec.bounds else None)
    if not spec.bounds:
        lower = upper = None
    jac = jac if spec.uses_gradient or jac is True else None
    kind = gradient_kind(fun, jac, need_gradient=spec.uses_gradient)
    special = _front_door(spec, fun, x0, args, jac, kind, lower, upper, callback, options, tol)
    if special is not None:
        return special(method)
    fun, jac = _as_scipy_calls(fun, jac, kind, x0.dtype if not spec.uses_gradient else None)
    opts, fopts, iopts, sizes, method_step = _prepare(spec, options, tol, n, lower, upper,
                                                      x0.dtype)
    check = _hook(spec, "check")
    if check is not None:
        check(x0, opts, lower, upper)  # method-specific warnings before the run
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
    if iws[W.REASON] == W.RAISED_REASON:  # compiled code caught the objective's exception
        xo = iws[W.X]
        reraise(fun, jac, kind, fd, args, ws[xo:xo + n])
    return _result(ws, iws, n, x0.dtype, fev, spec)


# -- front-door features that run minimize again on a prepared problem -------------------
# Methods whose scipy versions honour return_all (allvecs) and disp (a message).
_REPORTING = ("BFGS", "CG", "Nelder-Mead")


def _front_door(spec, fun, x0, args, jac, kind, lower, upper, callback, options, tol):
    """What scipy's ``minimize`` does around the method itself, where it applies:
    ``special(method) -> OptimizeResult`` running it, else None.

    - L-BFGS-B with every variable fixed by equal bounds: no run (scipy's result).
    - L-BFGS-B with some variables fixed and a finite-difference gradient: scipy removes
      them from the problem (a difference cannot step within lb == ub) and puts them
      back in the result, with NaN in ``jac``.
    - ``return_all`` (``allvecs``) and ``disp`` (scipy's message, warning or print) of
      BFGS, CG and Nelder-Mead.
    """
    if options is None and lower is None:  # the common call: nothing to do here
        return None
    if spec.name == "L-BFGS-B" and lower is not None:
        fixed = lower == upper
        if fixed.all():
            return lambda method: _all_fixed(fun, kind, lower, args, x0.dtype)
        if fixed.any() and kind == "fd":
            return lambda method: _without_fixed(fun, x0, args, method, jac, lower, upper,
                                                 fixed, callback, options, tol)
    opts = options or {}
    if spec.name in _REPORTING and (opts.get("return_all") or opts.get("disp")):
        return lambda method: _reporting(spec, fun, x0, args, method, jac, lower, upper,
                                         callback, options, tol)
    return None


def _again(fun, x0, args, method, jac, bounds, callback, options, tol):
    """``minimize`` on a prepared problem, without giving scipy's warnings again."""
    token = _INNER.set(True)
    try:
        return minimize(fun, x0, args=args, method=method, jac=jac, bounds=bounds, tol=tol,
                        callback=callback, options=options)
    finally:
        _INNER.reset(token)


def _all_fixed(fun, kind, lower, args, dtype):
    """scipy's ``_optimize_result_for_equal_bounds``: x is the bounds, one evaluation."""
    x = lower.copy()
    if kind in ("grad", "value-grad"):  # @numopt.objective(grad=True)
        value = fun(x.copy(), np.zeros(x.size), *args)
    else:
        value = fun(x.copy(), *args)
        if kind in ("tuple", "value-tuple"):
            value = value[0]
    status, success, message = describe(_ALL_FIXED)
    return OptimizeResult(x=_cast(x, dtype), fun=value_of(value), nit=0, nfev=1,
                          njev=0, nhev=0, status=status, success=success, message=message)


_ALL_FIXED = 9  # the reason of numopt._result.REASONS


def _without_fixed(fun, x0, args, method, jac, lower, upper, fixed, callback, options, tol):
    """L-BFGS-B over the free variables only (scipy's ``_Remove_From_Func``), the fixed
    ones put back into ``x`` (their ``jac`` NaN, ``hess_inv`` None, as scipy). A
    compiled objective is called from Python here."""
    free = ~fixed
    values = lower[fixed]

    def full(xr):
        x = np.empty(fixed.size, dtype=xr.dtype)
        x[fixed] = values
        x[free] = xr
        return x

    def reduced(xr, *a):
        return fun(full(xr), *a)

    cb = None
    if callback is not None:
        call = _caller(callback)

        def cb(intermediate_result):
            call(full(intermediate_result.x), intermediate_result.fun)

    from scipy.optimize import Bounds
    res = _again(reduced, x0[free], args, method, jac, Bounds(lower[free], upper[free]), cb,
                 options, tol)
    res.x = full(res.x)
    jac_full = np.full(fixed.size, np.nan)
    jac_full[free] = res.jac
    res.jac = jac_full
    if "hess_inv" in res:
        res.hess_inv = None  # unknown for the fixed variables, as in scipy
    return res


def _reporting(spec, fun, x0, args, method, jac, lower, upper, callback, options, tol):
    """The run, then scipy's ``allvecs`` (``return_all``: x0, then the iterate after
    each iteration, as the callback sees it) and ``disp`` output."""
    options = dict(options)
    return_all = bool(options.pop("return_all", False))
    disp = bool(options.pop("disp", False))
    allvecs = None
    cb = callback
    if return_all:
        first = x0.copy()
        sim = options.get("initial_simplex")
        if spec.name == "Nelder-Mead" and sim is not None:
            first = np.array(np.atleast_2d(sim)[0], dtype=x0.dtype)
        elif lower is not None:
            first = np.clip(x0, lower, upper).astype(x0.dtype)
        allvecs = [first]
        call = None if callback is None else _caller(callback)

        def cb(intermediate_result):
            allvecs.append(np.copy(intermediate_result.x))
            if call is not None:
                call(intermediate_result.x, intermediate_result.fun)

    bounds = None if lower is None else _bounds_object(lower, upper)
    res = _again(fun, x0, args, method, jac, bounds, cb, options, tol)
    if allvecs is not None:
        res["allvecs"] = allvecs
    if disp:
        _display(spec, res)
    return res


def _bounds_object(lower, upper):
    from scipy.optimize import Bounds
    return Bounds(lower, upper)


def _display(spec, res):
    """scipy's ``disp=True``: a warning if the run failed, else the message printed;
    then the counts."""
    if not res.success:
        # Nelder-Mead warns with RuntimeWarning, the gradient methods OptimizeWarning.
        kind = RuntimeWarning if spec.name == "Nelder-Mead" else OptimizeWarning
        warnings.warn(res.message, kind, stacklevel=5)
        if spec.name == "Nelder-Mead":
            return
    else:
        print(res.message)
    print(f"         Current function value: {res.fun:f}")
    print(f"         Iterations: {res.nit:d}")
    print(f"         Function evaluations: {res.nfev:d}")
    if spec.uses_gradient:
        print(f"         Gradient evaluations: {res.njev:d}")


def _iteration_hook(callback, n, dtype):
    """``on_iteration(ws, iws) -> stop`` calling the user's ``callback`` after each
    iteration, new style or legacy; ``StopIteration`` from it stops the run."""
    call = _caller(callback)

    def on_iteration(ws, iws):
        xo = iws[W.XR]
        xk = _cast(ws[xo:xo + n], dtype)
        try:
            call(xk, float(ws[W.FR]))
        except StopIteration:
            return True
        return False
    return on_iteration


_HOOKS = {}


def _hook(spec, name):
    """The method module's optional ``check`` or ``extras`` (a module attribute that is
    missing costs half a microsecond to look up: a tenth of a small compiled solve)."""
    key = (spec.name, name)
    if key not in _HOOKS:
        _HOOKS[key] = getattr(spec.module, name, None)
    return _HOOKS[key]


def _cast(x, dtype):
    """``x`` (float64) as ``dtype``, a copy; kept float64 where the cast would turn a
    finite value infinite (a float32 or float16 ``x0`` whose run went beyond that
    type's range): a wrong solution is worse than a wider dtype."""
    if dtype == np.float64:
        return x.copy()
    with np.errstate(over="ignore"):
        out = x.astype(dtype, copy=True)
    if dtype != np.float64 and np.isinf(out).any() and not np.isinf(x[np.isinf(out)]).all():
        return x.copy()
    return out


def _result(ws, iws, n, dtype, fev, spec):
    status, success, message = describe(iws[W.REASON])
    xo, go = iws[W.XR], iws[W.GR]
    x = _cast(ws[xo:xo + n], dtype)
    if x.dtype != dtype:
        message = (f"{message} (x is float64: the point found is beyond the range of "
                   f"the {np.dtype(dtype).name} of x0)")
    res = OptimizeResult(
        x=x,
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
    extras = _hook(spec, "extras")
    if extras is not None:
        res.update(extras(ws, iws, n, dtype))
    return res
