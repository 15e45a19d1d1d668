"""``numopt.minimize``: scipy.optimize.minimize's interface over compiled state machines."""
import contextvars
import inspect
import warnings

import numpy as np

from .._cache import BoundedCache
from .._result import OptimizeResult, describe
from . import _drivers
from . import _prepare as P
from . import _registry
from . import _workspace as W
from ._objective import is_compiled, make_fg, reraise, value_of

__all__ = ["minimize"]


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


# What _bounds and _packed return for a call without options and tol, by method, size,
# dtype of x0 and bounds (a loop of small solves, typically): building the bounds
# arrays and packing the options again costs more than a small compiled solve. Every
# part is only ever read (the option arrays by ``init``, the bounds by the checks and
# the finite differences), so calls share them; the bounds are made read-only to keep
# it so.
_PREPARED = BoundedCache("minimize.prepared", maxsize=256)
_NO_KEY = object()  # the key of no bounds
# A bound of these types converts to the same float64 as any bound equal to it, so
# equal keys mean equal arrays (a complex 1 + 0j equals 1 but is refused by numpy).
_PLAIN = (float, int, type(None))


def _bounds_key(bounds):
    """A hashable key that equal bounds share: ``_NO_KEY`` for None, the pairs as a
    tuple for a short list or tuple of ``(min, max)`` pairs of Python numbers or None;
    else None (a ``Bounds``, whose arrays may be changed in place, NumPy values or long
    lists: those are converted every time)."""
    if bounds is None:
        return _NO_KEY
    if type(bounds) not in (list, tuple) or len(bounds) > 32:
        return None
    for b in bounds:
        if (type(b) not in (tuple, list) or len(b) != 2 or type(b[0]) not in _PLAIN
                or type(b[1]) not in _PLAIN):
            return None
    return tuple(map(tuple, bounds))


def _bounds(spec, bounds, n):
    """``(lower, upper, fixed)``: the bounds as arrays and which variables they fix
    (``lower == upper``; None where they fix none), all None for no bounds or a method
    without bounds (scipy validates the bounds whatever the method; only the methods
    with bounds use them)."""
    lower, upper = P.bounds_arrays(bounds, n, spec if spec.bounds else None)
    if not spec.bounds or lower is None:
        return None, None, None
    fixed = lower == upper
    return lower, upper, fixed if fixed.any() else None


def _packed(spec, options, tol, n, lower, upper, dtype):
    """``(opts, fopts, iopts, sizes, step)``: the merged options, the method's option
    arrays, workspace sizes and ``step``. A method with ``keeps_dtype`` reads the dtype
    (``opts[FLOAT32_OPTION]``: a float32 ``x0`` keeps float32 vertices in Nelder-Mead, as
    scipy's)."""
    opts = P.merged_options(spec, options, tol, stacklevel=4)
    if spec.keeps_dtype:
        opts[_registry.FLOAT32_OPTION] = np.dtype(dtype) == np.float32
    fopts, iopts = spec.pack(opts, n, lower, upper)
    return opts, fopts, iopts, spec.sizes(n, fopts, iopts), spec.step_for(iopts)


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
    x0 = P.prepare_x0(x0)
    n = x0.size
    if options is not None:
        P.options_dict(options)  # checked before the front-door features read it
    if method is None:
        method = "L-BFGS-B" if bounds is not None else "BFGS"
    if not isinstance(method, str):
        raise ValueError("method must be a string; numopt does not accept callables as methods")
    spec = _registry.get(method)
    if not isinstance(args, tuple):
        args = (args,)
    if not _INNER.get():  # a front-door feature calling minimize again has warned already
        P.warn_unused(spec, method, jac, hess, hessp, bounds, constraints)
    dtype = x0.dtype
    key = None
    if options is None and tol is None:
        bkey = _bounds_key(bounds)
        if bkey is not None:
            key = (spec.name, n, dtype, bkey)
    hit = None if key is None else _PREPARED.get(key)
    if hit is None:
        lower, upper, fixed = _bounds(spec, bounds, n)
    else:
        lower, upper, fixed, opts, fopts, iopts, sizes, method_step = hit
    jac, kind = P.gradient(spec, fun, jac)
    if options is not None or lower is not None:
        special = _front_door(spec, fun, x0, args, jac, kind, lower, upper, fixed, callback,
                              options, tol)
        if special is not None:
            return special(method)
    if hit is None:  # after the front door: its features merge the options themselves
        opts, fopts, iopts, sizes, method_step = _packed(spec, options, tol, n, lower,
                                                         upper, dtype)
        if key is not None:
            for a in (lower, upper, fixed):
                if a is not None:
                    a.setflags(write=False)
            _PREPARED[key] = (lower, upper, fixed, opts, fopts, iopts, sizes, method_step)
    fun, jac = _as_scipy_calls(fun, jac, kind, dtype if spec.keeps_dtype else None)
    if spec.check is not None:
        spec.check(x0, opts, lower, upper)  # method-specific warnings before the run
    fd = None
    if kind == "fd":  # the steps and bounds ride along as a last argument
        fd, steps = P.finite_differences(kind, spec, jac, opts, n, lower, upper)
        args = args + (steps,)
    fg, compiled = make_fg(fun, jac, kind, fd, args)
    xd = x0 if dtype is _FLOAT64 and x0.flags.c_contiguous else \
        np.ascontiguousarray(x0, dtype=np.float64)

    if compiled and callback is None and spec.run is None:
        ws, iws = _drivers.run_compiled(spec.name, spec.init, method_step, fg, xd,
                                        fopts, iopts, args, sizes)
    else:
        on_iteration = None if callback is None else _iteration_hook(callback, n, dtype)
        pyfg = fg.dispatcher if compiled else fg
        if spec.run is not None:  # a method with its own Python loop (see Method.run)
            ws, iws = spec.run(pyfg, xd, fopts, iopts, args, copy_x=not compiled,
                               on_iteration=on_iteration)
        else:
            ws, iws = _drivers.run_python(spec.init, method_step, pyfg, xd, fopts,
                                          iopts, args, sizes, copy_x=not compiled,
                                          on_iteration=on_iteration)
    if iws[W.REASON] == W.RAISED_REASON:  # compiled code caught the objective's exception
        xo = iws[W.X]
        reraise(fun, jac, kind, fd, args, ws[xo:xo + n])
    return _result(ws, iws, n, dtype, P.evaluations(fd, n), spec)


# -- front-door features that run minimize again on a prepared problem -------------------
def _front_door(spec, fun, x0, args, jac, kind, lower, upper, fixed, callback, options, tol):
    """What scipy's ``minimize`` does around the method itself, where it applies:
    ``special(method) -> OptimizeResult`` running it, else None.

    - A method with ``removes_fixed`` (L-BFGS-B) and every variable fixed by equal
      bounds: no run (scipy's result).
    - The same with some variables fixed and a finite-difference gradient: scipy removes
      them from the problem (a difference cannot step within lb == ub) and puts them
      back in the result, with NaN in ``jac``.
    - ``return_all`` (``allvecs``) and ``disp`` (scipy's message, warning or print) of
      a method with ``reporting`` (BFGS, CG and Nelder-Mead).
    """
    if spec.removes_fixed and fixed is not None:  # some lower == upper
        if fixed.all():
            return lambda method: _all_fixed(fun, kind, lower, args, x0.dtype)
        if kind == "fd":
            return lambda method: _without_fixed(fun, x0, args, method, jac, lower, upper,
                                                 fixed, callback, options, tol)
    opts = options or {}
    if spec.reporting is not None and (opts.get("return_all") or opts.get("disp")):
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
    """The method (L-BFGS-B) over the free variables only (scipy's ``_Remove_From_Func``),
    the fixed ones put back into ``x`` (their ``jac`` NaN, ``hess_inv`` None, as scipy).
    A compiled objective is called from Python here."""
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
        first = None
        if spec.reporting.first_iterate is not None:
            first = spec.reporting.first_iterate(x0, options)
        if first is None:
            first = x0.copy() if lower is None else np.clip(x0, lower, upper).astype(x0.dtype)
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
    """scipy's ``disp=True``: a warning if the run failed (``spec.reporting.warning``),
    else the message printed; then the counts (after a failure only where
    ``spec.reporting.counts_on_failure``)."""
    if not res.success:
        warnings.warn(res.message, spec.reporting.warning, stacklevel=5)
        if not spec.reporting.counts_on_failure:
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


_FLOAT64 = np.dtype(np.float64)


def _result(ws, iws, n, dtype, fev, spec):
    """The ``OptimizeResult`` of a run from its workspaces: ``nfev`` counts ``fev``
    objective evaluations per evaluation of the state machine."""
    head = iws[:W.HEADER_INTS].tolist()  # Python ints, in one conversion
    xo, go, nit, nev = head[W.XR], head[W.GR], head[W.NIT], head[W.NFEV]
    status, success, message = describe(head[W.REASON])
    if dtype is _FLOAT64:  # the common case: a copy, no cast to check
        x = ws[xo:xo + n].copy()
    else:
        x = _cast(ws[xo:xo + n], dtype)
        if x.dtype != dtype:
            message = (f"{message} (x is float64: the point found is beyond the range of "
                       f"the {np.dtype(dtype).name} of x0)")
    if spec.uses_gradient:
        res = OptimizeResult(x=x, fun=ws[W.FR].item(), nit=nit, nfev=nev * fev,
                             status=status, success=success, message=message,
                             jac=ws[go:go + n].copy(), njev=nev)
    else:
        res = OptimizeResult(x=x, fun=ws[W.FR].item(), nit=nit, nfev=nev * fev,
                             status=status, success=success, message=message)
    if spec.extras is not None:
        res.update(spec.extras(ws, iws, n, dtype))
    return res
