"""Objectives: ``@numopt.objective``, and turning whatever the user passes into ``fg``.

Every solver evaluates the objective through one fixed protocol,
``fg(x, g, args) -> f``: the value at ``x``, with the gradient written into ``g``.

- A Python objective becomes a Python ``fg`` (the loop of :mod:`._drivers` stays in
  Python and calls it).
- A compiled objective (``@numopt.objective`` or a numba ``@njit`` function) becomes a
  compiled ``fg`` with the exact signature
  ``float64(float64[::1], float64[::1], typeof(args))``. Solvers take it as a numba
  first-class function, so a solver is compiled once per ``args`` type and cached on
  disk, whatever the objective (see DESIGN.md section 3): only this small adapter is
  compiled per objective.

Finite differences take scipy's steps (see :mod:`._finite_diff`), in compiled code for
compiled objectives.
"""
import hashlib
import inspect
import numbers
import os
import pickle
import sys
import types as pytypes

import numba
import numpy as np
from numba import float64, njit, types
from numba.extending import intrinsic, overload, register_jitable

from . import _workspace as W
from .._cache import BoundedCache, ObjectCache
from .._numba import CPUDispatcher, FunctionCache, NumbaError, call_catching
from ._drivers import first_class
from ._finite_diff import FD_METHODS, fg_source, namespace

__all__ = ["objective", "Objective", "make_fg", "gradient_kind", "reraise", "compile_clearly"]


class Objective:
    """A compiled objective following numopt's protocol (see :func:`objective`)."""

    def __init__(self, func, grad, cache=False):
        func = getattr(func, "py_func", func)  # accept an @njit function as well
        self.py_func = func
        self.grad = bool(grad)
        self.cache = bool(cache)
        self.dispatcher = njit(error_model="numpy", cache=self.cache)(func)
        self.__name__ = getattr(func, "__name__", "objective")
        self.__qualname__ = getattr(func, "__qualname__", self.__name__)
        self.__module__ = getattr(func, "__module__", None)
        self.__doc__ = func.__doc__

    def __call__(self, *args):
        return self.dispatcher(*args)

    def __reduce__(self):
        # A module-level objective pickles by reference, as functions do, so the standard
        # pickle (a ProcessPoolExecutor's) can send it: the decorator put the Objective,
        # not the function, under the function's name. Otherwise (__main__, closures)
        # it pickles as its Python function: cloudpickle, as dask and run_chunks use,
        # sends that by value. Either way the receiving process compiles it again.
        module = getattr(self.py_func, "__module__", None)
        qualname = getattr(self.py_func, "__qualname__", "")
        if module not in (None, "__main__") and "<locals>" not in qualname:
            obj = sys.modules.get(module)
            for part in qualname.split("."):
                obj = getattr(obj, part, None)
            if obj is self:
                return qualname
        return (Objective, (self.py_func, self.grad, self.cache))

    def __repr__(self):
        return f"<numopt.objective {self.__name__} (grad={self.grad})>"


def objective(func=None, *, grad=False, cache=False):
    """Mark a function as a compiled numopt objective.

    With ``grad=False`` the function is ``f(x, *args) -> float``; gradients come from
    compiled finite differences (or ``jac``). With ``grad=True`` it is
    ``f(x, g, *args) -> float`` and writes the gradient into ``g``. It must be
    numba-compilable (``nopython`` mode); to run on a GPU as well it must not allocate.

    Parameters
    ----------
    func : callable
    grad : bool, default False
    cache : bool, default False
        Cache the compiled objective on disk, as numba's ``cache=True`` (the function
        must live in a file; its global arrays are frozen into the cached code, as
        numba does), with the adapter that gives it the solvers' signature (unless
        its gradient comes from finite differences). A script's next run then loads
        them instead of compiling them. The solvers themselves are always cached.

    Returns
    -------
    Objective

    Examples
    --------
    >>> import numopt
    >>> @numopt.objective(grad=True)
    ... def rosen_fg(x, g, a, b):
    ...     f = 0.0
    ...     for i in range(x.size):
    ...         g[i] = 0.0
    ...     for i in range(x.size - 1):
    ...         t, u = a - x[i], x[i + 1] - x[i] ** 2
    ...         f += t * t + b * u * u
    ...         g[i] += -2.0 * t - 4.0 * b * x[i] * u
    ...         g[i + 1] += 2.0 * b * u
    ...     return f
    >>> res = numopt.minimize(rosen_fg, [-1.2, 1.0], args=(1.0, 100.0), method="BFGS")
    >>> bool(res.success), [round(float(v), 6) for v in res.x]
    (True, [1.0, 1.0])
    """
    if func is None:
        return lambda f: Objective(f, grad, cache)
    return Objective(func, grad, cache)


# Keyed on numopt's cheap keys of the args' types (see _arg_key).
_ARGS_TYPES = BoundedCache("minimize.args_types", maxsize=1024)


def _arg_key(a):
    if isinstance(a, np.ndarray):
        f = a.flags
        return (np.ndarray, a.dtype.str, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable,
                f.aligned)
    if isinstance(a, (bool, int, float, complex, np.generic)):
        return type(a)
    return None


def args_type(args):
    """``numba.typeof(args)``, memoised on a cheap key: numba's typing of a tuple costs
    about 20 us, close to a whole small compiled solve."""
    keys = tuple(_arg_key(a) for a in args)
    if None in keys:  # nested containers and other objects: type them every time
        return numba.typeof(args)
    t = _ARGS_TYPES.get(keys)
    if t is None:
        t = _ARGS_TYPES[keys] = numba.typeof(args)
    return t


def is_compiled(func):
    return isinstance(func, (Objective, CPUDispatcher))


# -- building fg ---------------------------------------------------------------------------
def gradient_kind(fun, jac, need_gradient=True):
    """Where ``fg`` gets the gradient for ``minimize``'s ``fun`` and ``jac``.

    Returns
    -------
    str
        "grad" (a ``@numopt.objective(grad=True)``), "tuple" (``jac=True``), "jac" (a
        callable) or "fd" (finite differences: ``jac`` None, False or a scheme name);
        "value", "value-tuple" or "value-grad" when no gradient is needed (``fg`` then
        returns the value only and leaves ``g`` alone).
    """
    if not need_gradient:
        if isinstance(fun, Objective) and fun.grad:
            return "value-grad"
        return "value-tuple" if jac is True else "value"
    if isinstance(fun, Objective) and fun.grad:
        if jac not in (None, True, False):
            raise ValueError("a @numopt.objective(grad=True) objective computes its own gradient; "
                             "pass jac=None")
        return "grad"
    if jac is True:
        return "tuple"
    if callable(jac) and not isinstance(jac, str):
        if is_compiled(fun) and not is_compiled(jac):
            raise TypeError("a compiled objective needs a compiled jac (numba @njit), or jac=None "
                            "for compiled finite differences")
        return "jac"
    if jac is None or jac is False or jac in FD_METHODS:
        return "fd"
    raise ValueError(f"jac must be a callable, True, None or one of {FD_METHODS}, got {jac!r}")


def make_fg(fun, jac, kind, fd, args):
    """Return ``(fg, compiled)``: ``fg(x, g, args) -> f`` for ``minimize``'s objective.

    Parameters
    ----------
    fun : callable, numba dispatcher or Objective
    jac : callable, dispatcher, True, None or a finite-difference scheme name
    kind : str
        From :func:`gradient_kind`.
    fd : FiniteDiff or None
        The differencing of ``kind == "fd"``; ``args`` then ends with its
        ``(3, n)`` step and bound array (see :mod:`._finite_diff`).
    args : tuple

    Returns
    -------
    fg : callable
        A ``CompileResultWAP`` when compiled.
    compiled : bool
    """
    args = tuple(args)
    if is_compiled(fun):
        return _compiled_fg(fun, jac, kind, fd, args), True
    return _python_fg(fun, jac, kind, fd, len(args)), False


def _fd_fg(disp, fd, nargs, as_float):
    """The finite-difference ``fg(x, g, args)`` over ``disp(x, args[0], ...)``, whose
    ``args`` end with the step and bound array; ``as_float`` wraps each value."""
    call = "disp({x}" + "".join(f", args[{k}]" for k in range(nargs - 1)) + ")"
    src = fg_source(fd, "def fg(x, g, args):", call, f"args[{nargs - 1}]", as_float=as_float)
    ns = namespace()
    ns.update(disp=disp, value_of=value_of, scalar=scalar)
    exec(src, ns)  # noqa: S102 -- generated from the arity only, no user text
    return ns["fg"]


def value_of(v):
    """An objective's return value as a float, as scipy's ``ScalarFunction`` reads it: a
    real number, or a real array of one element; anything else raises, with scipy's
    message."""
    if type(v) is float:  # the common case, first
        return v
    if isinstance(v, (numbers.Real, np.bool_)) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, np.ndarray) and v.dtype.kind in "fiu":
        if v.size == 1:
            return float(v.reshape(()))
        raise ValueError("The user-provided objective function must return a scalar value. "
                         f"(It returned an array of shape {v.shape}.)")
    raise TypeError("The user-provided objective function must return a real scalar value; "
                    f"it returned {type(v).__name__} {v!r:.40}")


def gradient_into(g, grad, name="jac"):
    """Copy ``grad``, the gradient a user function returned, into ``g``; raise a clear
    error naming ``name`` unless it has ``g.size`` real entries."""
    a = np.asarray(grad)
    if a.dtype.kind not in "fiub" or a.size != g.size:
        what = f"shape {a.shape}" if a.dtype.kind in "fiub" else f"{type(grad).__name__}"
        raise ValueError(f"{name} returned {what}, expected a gradient of shape {g.shape}")
    g[:] = a.reshape(g.shape)


def _python_fg(fun, jac, kind, fd, nargs):
    f = fun.py_func if isinstance(fun, Objective) else fun

    if kind == "value":
        def fg(x, g, args):
            return value_of(f(x, *args))
    elif kind == "value-tuple":
        def fg(x, g, args):
            return value_of(f(x, *args)[0])
    elif kind == "value-grad":
        def fg(x, g, args):
            return value_of(f(x, np.empty_like(x), *args))
    elif kind == "grad":
        def fg(x, g, args):
            return value_of(f(x, g, *args))
    elif kind == "tuple":
        def fg(x, g, args):
            out = f(x, *args)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("with jac=True, fun must return a pair (f, g); it returned "
                                f"{type(out).__name__}")
            gradient_into(g, out[1], "fun (the gradient of its (f, g), with jac=True)")
            return value_of(out[0])
    elif kind == "jac":
        def fg(x, g, args):
            value = value_of(f(x, *args))
            gradient_into(g, jac(x, *args))
            return value
    else:
        fg = _fd_fg(f, fd, nargs, as_float="value_of")
    return fg


def reraise(fun, jac, kind, fd, args, x, problem=None):
    """Raise the exception a compiled objective raised at ``x`` inside compiled code.

    The compiled loops cannot carry an exception out (see ``_workspace.RAISED``), so it
    is raised again here by one more evaluation at ``x`` from Python, through the same
    dispatchers: the user sees their own exception, type and message, with a note
    naming the batch problem (``problem``) when there is one. ``x`` and ``args`` are
    the caller's; they are not modified.
    """
    disp = fun.dispatcher if isinstance(fun, Objective) else fun
    jdisp = jac.dispatcher if isinstance(jac, Objective) else jac
    fg = _python_fg(disp, jdisp, kind, fd, len(args))
    x = np.array(x, dtype=np.float64)
    try:
        fg(x.copy(), np.zeros(x.size), args)
    except Exception as e:
        if problem is not None and hasattr(e, "add_note"):
            e.add_note(f"numopt: raised by problem {problem} of the batch")
        raise
    where = "" if problem is None else f" (problem {problem} of the batch)"
    raise RuntimeError(f"the objective raised an exception in compiled code at x = {x!r}"
                       f"{where}, but not when evaluated there again from Python")


# An objective's compiled adapters, by its dispatcher: dropped with the objective, as
# they hold its compiled code only (see _compiled_fg).
_adapters = ObjectCache("minimize.adapters", maxsize=256)

# Placeholders: each adapter is a copy of a template below whose globals bind these
# names to one objective's dispatchers (see _bind).
disp = jdisp = inner = None


def scalar(v):
    """An objective's value as a float in compiled code: a number, or a real array of
    one element (as scipy accepts); another size raises (the front door's replay from
    Python then says what was wrong, see :func:`value_of`)."""
    return float(v)


@overload(scalar, jit_options={"no_cpython_wrapper": True})
def _scalar(v):
    if isinstance(v, (types.Float, types.Integer, types.Boolean)):
        return lambda v: float(v)
    if isinstance(v, types.Array) and isinstance(v.dtype, (types.Float, types.Integer)):
        if v.ndim == 0:
            return lambda v: float(v[()])

        def one(v):
            if v.size != 1:
                raise ValueError("the objective must return a scalar value")
            return float(v.ravel()[0])
        return one
    return None  # anything else fails to type: compile_clearly explains it


@register_jitable(no_cpython_wrapper=True, no_cfunc_wrapper=True)
def copy_gradient(g, grad):
    """Copy a returned gradient into ``g``, raising unless it has ``g.size`` entries."""
    if grad.size != g.size:
        raise ValueError("the gradient has the wrong size")
    flat = grad.ravel()
    for i in range(g.size):
        g[i] = flat[i]


def _templates():
    """The adapters ``fg(x, g, args)`` of each kind, over the global ``disp`` (and
    ``jdisp``), before :func:`_guard`."""
    def value(x, g, args):
        return scalar(disp(x, *args))

    def value_tuple(x, g, args):
        return scalar(disp(x, *args)[0])

    def value_grad(x, g, args):
        return scalar(disp(x, np.empty_like(x), *args))

    def grad(x, g, args):
        return scalar(disp(x, g, *args))

    def tuple_(x, g, args):
        value, grad = disp(x, *args)
        copy_gradient(g, grad)
        return scalar(value)

    def jac(x, g, args):
        copy_gradient(g, jdisp(x, *args))
        return scalar(disp(x, *args))

    return {"value": value, "value-tuple": value_tuple, "value-grad": value_grad,
            "grad": grad, "tuple": tuple_, "jac": jac}


_TEMPLATES = _templates()


@intrinsic
def catching(typingctx, fn, x, g, args):
    """``fn(x, g, args)`` in compiled code, or ``RAISED`` where ``fn`` (a compiled
    dispatcher) raised. numba's ``try``/``except`` would do the same at ten times the
    cost of the call (see :func:`numopt._numba.call_catching`)."""
    if not isinstance(fn, types.Dispatcher):
        return None
    sig = fn.get_call_type(typingctx, (x, g, args), {})

    def codegen(context, builder, signature, llargs):
        return call_catching(context, builder, fn.dispatcher, sig, llargs[1:], W.RAISED)

    return sig.return_type(fn, x, g, args), codegen


def _guard(stamp):
    """The adapter itself: the global ``inner`` (an unguarded adapter, compiled) whose
    exceptions become ``RAISED`` (see ``_workspace.RAISED``). ``stamp`` names the
    objective's code and version and the adapter's kind: numba keys a cached closure on
    its cells' contents, so it keeps one cached adapter per objective and kind."""
    def fg(x, g, args):
        stamp  # noqa: B018 -- part of the disk cache's key
        return catching(inner, x, g, args)

    return fg


def _bind(template, **names):
    """``template`` with its global ``names`` bound (a new function over the same code)."""
    func = pytypes.FunctionType(template.__code__, dict(template.__globals__, **names),
                              template.__name__, template.__defaults__, template.__closure__)
    func.__qualname__ = template.__qualname__
    return func


def _disk_stamp(*dispatchers):
    """A string naming the code and version of numba dispatchers that numba caches on
    disk (``cache=True``), as numba's own cache tells versions apart: the source file's
    path, size and modification time, the function's name, bytecode, constants and
    closure. ``None`` if one of them is not cached on disk (or its closure cannot be
    pickled): its adapter is then compiled afresh in every process."""
    parts = []
    for d in dispatchers:
        if not isinstance(getattr(d, "_cache", None), FunctionCache):
            return None
        f = d.py_func
        code = f.__code__
        try:
            st = os.stat(code.co_filename)
            cells = pickle.dumps(tuple(c.cell_contents for c in f.__closure__ or ()))
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return None
        digest = hashlib.sha256(code.co_code + repr(code.co_consts).encode() + cells)
        parts.append(f"{code.co_filename}:{f.__qualname__}:{st.st_size}:{st.st_mtime_ns}:"
                     f"{digest.hexdigest()}")
    return "|".join(parts)


def _unguarded(disp, jdisp, kind, fd, nargs):
    """The compiled adapter ``fg(x, g, args)`` without the guard: an exception of the
    objective propagates (see :func:`adapter`)."""
    if kind == "fd":
        inner = _fd_fg(disp, fd, nargs, as_float="scalar")
    else:
        inner = _bind(_TEMPLATES[kind], disp=disp, jdisp=jdisp)
    return njit(error_model="numpy", no_cpython_wrapper=True, no_cfunc_wrapper=True)(inner)


def adapter(disp, jdisp, kind, fd, nargs, stamp=None):
    """The plain function ``fg(x, g, args)`` of a compiled objective's adapter, for
    ``nargs`` arguments (with finite differences the last is the step and bound array),
    compiled for :func:`numopt.minimize`. ``stamp`` keys its disk cache (see
    :func:`_guard`); an exception of the objective makes it return ``W.RAISED``.
    ``minimize_batch``'s adapters make the same call (see :func:`batch_fg_source`)."""
    inner = _unguarded(disp, jdisp, kind, fd, nargs)
    return _bind(_guard(f"{kind}|{stamp}"), inner=inner, catching=catching)


def compile_clearly(build, fun, jac, kind, args):
    """``build()``, compiling an adapter of ``fun``; a numba error on the way becomes a
    ``TypeError`` that names the objective, says how numopt calls it and what does not
    fit (numba's own message stays as its ``__cause__``). ``args`` are one problem's
    adapter arguments (with finite differences, the step and bound array last)."""
    try:
        return build()
    except NumbaError as e:
        user_args = args[:-1] if kind == "fd" else args
        raise TypeError(_explain(fun, jac, kind, user_args)) from e


def _explain(fun, jac, kind, user_args):
    disp = fun.dispatcher if isinstance(fun, Objective) else fun
    func = getattr(disp, "py_func", disp)
    name = getattr(func, "__name__", "objective")
    takes_g = kind in ("grad", "value-grad")
    head = "x, g" if takes_g else "x"
    arg_types = [str(numba.typeof(a)) for a in user_args]
    text = (f"numopt could not compile the compiled objective {name!r} for the call "
            f"{name}({head}{', *args' if user_args else ''}) with x a float64 array"
            f"{', g its gradient array' if takes_g else ''} and args of types "
            f"({', '.join(arg_types)}{',' if len(arg_types) == 1 else ''}).")
    hint = _arity_hint(func, name, takes_g, len(user_args))
    if hint is None:
        hint = _typing_hint(disp, name, takes_g, kind, user_args)
    if hint is None and kind == "fd" and jac == "cs":
        hint = _typing_hint(disp, name, False, kind, user_args, types.complex128[::1])
        hint = hint and "With jac='cs' it is called with a complex array x, and " + hint
    if hint is None and kind == "jac":
        jdisp = jac.dispatcher if isinstance(jac, Objective) else jac
        hint = _typing_hint(jdisp, getattr(jdisp, "__name__", "jac"), False, "jac", user_args)
    return text + (" " + hint if hint else "") + " (numba's message is the cause, above.)"


def _arity_hint(func, name, takes_g, nargs):
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    given = (2 if takes_g else 1) + nargs
    if len(required) <= given <= len(positional):
        return None
    if takes_g and len(positional) == given - 1:
        return (f"{name} takes {len(positional)} parameters: a "
                "@numopt.objective(grad=True) function takes the gradient array as its "
                "second parameter, f(x, g, *args), and writes the gradient into it.")
    return (f"{name} takes {len(positional)} positional parameters "
            f"({', '.join(p.name for p in positional)}) but is called with {given}: "
            f"{'x, g' if takes_g else 'x'} and the {nargs} value(s) of args; check args.")


def _typing_hint(disp, name, takes_g, kind, user_args, xtype=float64[::1]):
    if not hasattr(disp, "compile"):
        return None
    sig = (xtype,) + ((float64[::1],) if takes_g else ()) + tuple(
        numba.typeof(a) for a in user_args)
    try:
        disp.compile(sig)
        result = disp.overloads[sig].signature.return_type
    except NumbaError as e:
        # numba's first line names its pipeline stage; the next ones say what failed.
        lines = [ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()]
        what = " ".join(lines[:2])
        what = what[:300] + ("..." if len(what) > 300 else "")
        return f"{name} itself does not compile for these argument types: {what}"
    except Exception:  # noqa: BLE001 -- only a hint; the cause stays attached
        return None
    if kind == "jac":
        if not (isinstance(result, types.Array) and result.ndim == 1):
            return f"{name} returns {result}; a jac must return a 1-D array of the gradient."
        return None
    if kind in ("tuple", "value-tuple"):
        if not (isinstance(result, types.BaseTuple) and len(result) == 2):
            return (f"{name} returns {result}; with jac=True it must return a pair "
                    "(value, gradient array).")
        return None
    if isinstance(result, types.Array):
        return (f"{name} returns {result}; an objective must return a float (an array "
                "of one element is accepted): return a number.")
    if not isinstance(result, (types.Float, types.Integer, types.Boolean)):
        return f"{name} returns {result}; an objective must return a float."
    return None


def _compiled_fg(fun, jac, kind, fd, args):
    """Compile the ``fg`` adapter for a compiled objective and wrap it as a first-class
    function. An objective cached on disk (``@numopt.objective(cache=True)``, numba's
    ``cache=True``) gets a disk-cached adapter too, unless it differences its gradient:
    a new process then loads both instead of compiling them."""
    disp = fun.dispatcher if isinstance(fun, Objective) else fun
    jdisp = jac.dispatcher if isinstance(jac, Objective) else jac
    # Keyed on the args' cheap key where they have one: hashing a numba type costs more.
    keys = tuple(_arg_key(a) for a in args)
    rest = (jdisp if kind == "jac" else None, kind, fd,
            keys if None not in keys else args_type(args))
    wap = _adapters.lookup(disp, *rest)
    if wap is not None:
        return wap
    sig = float64(float64[::1], float64[::1], args_type(args))
    stamp = None
    if kind != "fd":
        stamp = _disk_stamp(disp, jdisp) if kind == "jac" else _disk_stamp(disp)
    fg = adapter(disp, jdisp, kind, fd, len(args), stamp)
    wap = compile_clearly(lambda: first_class(fg, sig, cache=stamp is not None),
                          fun, jac, kind, args)
    _release(fg)
    return _adapters.store(disp, *rest, value=wap)


def _release(fg):
    """Drop the names of an adapter's globals that name the objective, now that it is
    compiled: the compiled code calls the objective's machine code, not these, and the
    cached adapter must not keep the objective alive (its environment keeps the globals
    of the adapter and of the inner function it calls)."""
    inner = fg.__globals__["inner"]
    scope = inner.py_func.__globals__
    for name in ("disp", "jdisp"):
        if name in scope:
            scope[name] = None
    fg.__globals__["inner"] = None


def dispatchers(fun, jac, kind):
    """``(disp, jdisp)``: the numba dispatcher of a compiled objective and, with
    ``kind == "jac"``, of its ``jac`` (else None); what a batch adapter is compiled from
    and cached by (see :func:`batch_fg_source`)."""
    disp = fun.dispatcher if isinstance(fun, Objective) else fun
    if kind != "jac":
        return disp, None
    return disp, jac.dispatcher if isinstance(jac, Objective) else jac


def batch_fg_source(fun, jac, kind, fd, mask, rows=False):
    """A Python function of ``minimize_batch`` that evaluates the objective of row ``i``:
    :func:`adapter`'s guarded call with row ``i`` of each per-problem arg, generated for
    the args' arity and ``mask``.

    Parameters
    ----------
    fun, jac, kind, fd
        The compiled objective, as :func:`make_fg` takes it. With finite differences
        (``kind == "fd"``) the last of ``args`` is the step and bound array of
        :mod:`._finite_diff` (``mask``'s last entry: one per problem or shared), which
        the objective does not see.
    mask : tuple of bool
        Which args are per problem (sliced by row).
    rows : bool
        False: ``fg(x, g, args, i) -> f`` (the ``prange`` loop's adapter). True:
        ``fg_rows(X, G, F, ACTIVE, args, lo)``, setting ``F[k]`` for the active rows
        ``k`` of a chunk starting at row ``lo`` (the first-order methods' row loop).

    Notes
    -----
    The call sits in the generated function itself, not in a helper registered with
    numba (``register_jitable``): numba keeps such a helper, and the typed code of what
    it calls, for the life of the process, and with it the objective. A new function
    each call, whose globals name the objective: its caller compiles it, caches the
    compiled code (keyed on :func:`dispatchers`) and then drops those names with
    :func:`release_batch_source`.
    """
    disp, jdisp = dispatchers(fun, jac, kind)
    # The row's arguments: (args[0][i], args[1]) for a per-problem first argument.
    row = "".join(f"args[{k}][i], " if m else f"args[{k}], " for k, m in enumerate(mask))
    scope = {"inner": _unguarded(disp, jdisp, kind, fd, len(mask)), "catching": catching}
    if rows:
        src = ("def fg_rows(X, G, F, ACTIVE, args, lo):\n"
               "    for k in range(X.shape[0]):\n"
               "        if ACTIVE[k]:\n"
               "            i = lo + k\n"
               f"            F[k] = catching(inner, X[k], G[k], ({row}))\n")
    else:
        src = f"def fg(x, g, args, i):\n    return catching(inner, x, g, ({row}))\n"
    exec(src, scope)  # noqa: S102 -- generated from the arity only, no user text
    return scope["fg_rows" if rows else "fg"]


def release_batch_source(py_fg):
    """:func:`_release` for a :func:`batch_fg_source` function, once compiled: the
    compiled code keeps its globals, so the names that lead to the objective go."""
    if py_fg.__globals__.get("inner") is not None:
        _release(py_fg)
