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
import os
import pickle
import sys
import types

import numba
import numpy as np
from numba import float64, njit

from .._numba import CPUDispatcher, FunctionCache
from ._drivers import first_class
from ._finite_diff import FD_METHODS, fg_source, namespace

__all__ = ["objective", "Objective", "make_fg", "gradient_kind"]


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


_ARGS_TYPES = {}


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
    ``args`` end with the step and bound array."""
    call = "disp({x}" + "".join(f", args[{k}]" for k in range(nargs - 1)) + ")"
    src = fg_source(fd, "def fg(x, g, args):", call, f"args[{nargs - 1}]", as_float=as_float)
    ns = namespace()
    ns["disp"] = disp
    exec(src, ns)  # noqa: S102 -- generated from the arity only, no user text
    return ns["fg"]


def _python_fg(fun, jac, kind, fd, nargs):
    f = fun.py_func if isinstance(fun, Objective) else fun

    if kind == "value":
        def fg(x, g, args):
            return float(f(x, *args))
    elif kind == "value-tuple":
        def fg(x, g, args):
            return float(f(x, *args)[0])
    elif kind == "value-grad":
        def fg(x, g, args):
            return float(f(x, np.empty_like(x), *args))
    elif kind == "grad":
        def fg(x, g, args):
            return float(f(x, g, *args))
    elif kind == "tuple":
        def fg(x, g, args):
            value, grad = f(x, *args)
            g[:] = np.asarray(grad, dtype=np.float64).reshape(g.shape)
            return float(value)
    elif kind == "jac":
        def fg(x, g, args):
            value = float(f(x, *args))
            g[:] = np.asarray(jac(x, *args), dtype=np.float64).reshape(g.shape)
            return value
    else:
        fg = _fd_fg(f, fd, nargs, as_float="float")
    return fg


_adapters = {}

# Placeholders: each adapter is a copy of a template below whose globals bind these
# names to one objective's dispatchers (see _bind).
disp = jdisp = None


def _templates(stamp):
    """The adapters ``fg(x, g, args)`` of each kind, over the global ``disp`` (and
    ``jdisp``). ``stamp`` names the objective's code and version: numba keys a cached
    closure on its cells' contents, so it keeps one cached adapter per objective."""
    def value(x, g, args):
        stamp  # noqa: B018 -- part of the disk cache's key
        return disp(x, *args)

    def value_tuple(x, g, args):
        stamp  # noqa: B018
        return disp(x, *args)[0]

    def value_grad(x, g, args):
        stamp  # noqa: B018
        return disp(x, np.empty_like(x), *args)

    def grad(x, g, args):
        stamp  # noqa: B018
        return disp(x, g, *args)

    def tuple_(x, g, args):
        stamp  # noqa: B018
        value, grad = disp(x, *args)
        for i in range(g.size):
            g[i] = grad[i]
        return value

    def jac(x, g, args):
        stamp  # noqa: B018
        grad = jdisp(x, *args)
        for i in range(g.size):
            g[i] = grad[i]
        return disp(x, *args)

    return {"value": value, "value-tuple": value_tuple, "value-grad": value_grad,
            "grad": grad, "tuple": tuple_, "jac": jac}


def _bind(template, **names):
    """``template`` with its global ``names`` bound (a new function over the same code)."""
    func = types.FunctionType(template.__code__, dict(template.__globals__, **names),
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


def adapter(disp, jdisp, kind, fd, nargs, stamp=None):
    """The plain function ``fg(x, g, args)`` of a compiled objective's adapter, for
    ``nargs`` arguments (with finite differences the last is the step and bound array):
    compiled alone for :func:`numopt.minimize`, and inside ``minimize_batch``'s
    per-row adapter. ``stamp`` keys its disk cache (see :func:`_templates`)."""
    if kind == "fd":
        return _fd_fg(disp, fd, nargs, as_float="")
    return _bind(_templates(stamp)[kind], disp=disp, jdisp=jdisp)


def _compiled_fg(fun, jac, kind, fd, args):
    """Compile the ``fg`` adapter for a compiled objective and wrap it as a first-class
    function. An objective cached on disk (``@numopt.objective(cache=True)``, numba's
    ``cache=True``) gets a disk-cached adapter too, unless it differences its gradient:
    a new process then loads both instead of compiling them."""
    disp = fun.dispatcher if isinstance(fun, Objective) else fun
    jdisp = jac.dispatcher if isinstance(jac, Objective) else jac
    # Keyed on the args' cheap key where they have one: hashing a numba type costs more.
    keys = tuple(_arg_key(a) for a in args)
    key = (disp, jdisp if kind == "jac" else None, kind, fd,
           keys if None not in keys else args_type(args))
    wap = _adapters.get(key)
    if wap is not None:
        return wap
    sig = float64(float64[::1], float64[::1], args_type(args))
    stamp = None
    if kind != "fd":
        stamp = _disk_stamp(disp, jdisp) if kind == "jac" else _disk_stamp(disp)
    fg = adapter(disp, jdisp, kind, fd, len(args), stamp)
    wap = first_class(fg, sig, cache=stamp is not None)
    _adapters[key] = wap
    return wap
