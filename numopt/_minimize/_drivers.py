"""The two drivers of every method: a Python loop and a compiled loop.

Both run a method's ``init`` and then call its ``step`` once per objective evaluation
(see :mod:`._workspace`). They differ only in who evaluates the objective: Python code
(any callable, a callback, per-iteration hooks) or a compiled loop that takes the
objective as a numba first-class function. Both call the very same compiled ``step``,
so for the same objective they produce the same iterates, ``nit`` and ``nfev``.

The compiled loop closes over the method's plain ``init``/``step`` functions (as the
optimizers' drivers close over their rules, see :mod:`numopt._drivers.cpu`): numba's
disk cache then keys it on the method's code, and it is compiled once per ``args`` type,
never per objective. Calls go straight to the compiled entry point: numba's dispatcher
spends about 10 us typing a first-class-function argument, longer than a whole small
solve.
"""
import numpy as np
from numba import float64, int64, njit, types

from .._cache import BoundedCache
from .._fingerprint import code_fingerprint
from .._numba import CompileResultWAP
from . import _reasons
from . import _workspace as W
from ._standalone import jitable

_OPTIONS = dict(cache=True, error_model="numpy")
# Keyed on a method's own init/step functions (and an args type): a few per method.
_jitted = BoundedCache("minimize.jitted", maxsize=256)
_solvers = BoundedCache("minimize.solvers", maxsize=256)


def fingerprint(*funcs):
    """Closed over by every cached loop of ``_minimize``: the fingerprint of the source
    compiled into ``funcs`` (see :func:`numopt._fingerprint.code_fingerprint`), the loop
    itself among them, so that an edit to a file none of them compiles recompiles
    nothing.

    Raises
    ------
    TypeError
        No function given (a key of every file would recompile every loop for a
        docstring edit anywhere).
    """
    if not funcs:
        raise TypeError("fingerprint() needs the functions compiled into the loop")
    return code_fingerprint(*funcs)


def jitted(func):
    """The compiled form of a method's plain ``init``/``step`` function, callable from Python."""
    compiled = _jitted.get(func)
    if compiled is None:
        inner = jitable(func)

        def call(ws, iws, *rest):
            fp  # noqa: B018 -- part of the cache key
            return inner(ws, iws, *rest)

        fp = fingerprint(func)  # read by numba when it compiles call
        call.__qualname__ = f"{func.__module__.rsplit('.', 1)[-1]}_{func.__name__}"
        compiled = _jitted[func] = njit(**_OPTIONS)(call)
    return compiled


def run_python(init, step, fg, x0, fopts, iopts, args, sizes, copy_x=True, on_iteration=None):
    """Drive a method from Python.

    Parameters
    ----------
    init, step : plain functions of the method (compiled here on first use).
    fg : callable ``fg(x, g, args) -> float``.
    x0 : float64 array
    fopts, iopts : float64 and int64 option arrays of the method.
    args : tuple
    sizes : (int, int)
        Lengths of the ``ws`` and ``iws`` workspaces.
    copy_x : bool
        Give the objective a copy of the point (user Python code may modify it).
    on_iteration : callable, optional
        Called as ``on_iteration(ws, iws)`` after every completed iteration; returning
        True stops the run (a callback that raised ``StopIteration``).

    Returns
    -------
    ws, iws : the final workspaces.
    """
    ws = np.zeros(sizes[0])
    iws = np.zeros(sizes[1], dtype=np.int64)
    init_j, step_j = jitted(init), jitted(step)
    init_j(ws, iws, x0, fopts, iopts)
    n = x0.size
    nit = iws[W.NIT]
    while iws[W.TASK] == W.EVALUATE:
        xo, go = iws[W.X], iws[W.G]
        x = ws[xo:xo + n]
        f = fg(x.copy() if copy_x else x, ws[go:go + n], args)
        if f != f and W.raised(f):  # a compiled adapter caught an exception
            W.finish(iws, W.RAISED_REASON)
            break
        step_j(ws, iws, float(f))
        if on_iteration is not None and iws[W.NIT] != nit:
            nit = iws[W.NIT]
            if on_iteration(ws, iws):  # after every completed iteration, the last one too
                W.finish(iws, _reasons.CALLBACK_STOP)
    return ws, iws


class FirstClass(CompileResultWAP):
    """A compiled function as a numba first-class function value (what the compiled loops
    take as their objective), holding its machine code and nothing of the Python objects
    it was compiled from.

    numba's ``CompileResultWAP`` keeps the whole ``CompileResult``, whose typed IR names
    every global the function was typed with (an adapter's: the user's dispatcher), so
    an adapter cached for an objective would keep that objective alive. This keeps the
    code library, environment and entry point only (``type_annotation`` dropped).

    Attributes
    ----------
    dispatcher : callable
        The compiled function called from Python (its entry point, same arguments).
    cache_hits : int
        1 if the code was loaded from numba's disk cache, else 0.
    solvers : dict
        The compiled solvers' entry points found for this function, by method ``step``
        (:func:`run_compiled`): a second call skips hashing the numba type of ``args``.
    """

    def __init__(self, cres, cache_hits=0):
        super().__init__(cres._replace(type_annotation=None))
        self.dispatcher = cres.entry_point
        self.cache_hits = int(cache_hits)
        self.solvers = {}


def first_class(func, sig, cache=False):
    """Compile ``func`` for the numba signature ``sig`` (or load it from numba's disk
    cache, with ``cache=True``) and return it as a :class:`FirstClass` for the compiled
    loops.

    Parameters
    ----------
    func : function
    sig : numba signature
    cache : bool

    Returns
    -------
    FirstClass

    Notes
    -----
    What ``func``'s globals name may stay alive with the result (numba's environment of
    the compiled code refers to them): a caller that caches it for a user's objective
    drops the globals naming that objective once it is compiled (see
    :func:`numopt._minimize._objective._release`).
    """
    compiled = njit(sig, error_model="numpy", cache=cache)(func)
    hits = sum(compiled.stats.cache_hits.values())
    return FirstClass(compiled.overloads[sig.args], hits)


def entry_point(dispatcher, arg_types):
    """Compile ``dispatcher`` for ``arg_types`` and return that overload's entry point,
    which a call reaches without the dispatcher's typing of its arguments."""
    dispatcher.compile(arg_types)
    return dispatcher.overloads[dispatcher.signatures[-1]].entry_point


def compiled_solver(name, init, step, args_type):
    """Return the entry point of the compiled loop of a method for objectives taking ``args_type``.

    The entry point is called as ``solve(fg, ws, iws, x0, fopts, iopts, args)`` with
    ``fg`` a first-class function (:class:`FirstClass`) of signature
    ``float64(float64[::1], float64[::1], args_type)``.
    """
    key = (init, step, args_type)
    entry = _solvers.get(key)
    if entry is not None:
        return entry
    init_i = jitable(init)
    step_i = jitable(step)

    def solve(fg, ws, iws, x0, fopts, iopts, args):
        fp  # noqa: B018 -- part of the cache key
        init_i(ws, iws, x0, fopts, iopts)
        n = x0.size
        while iws[W.TASK] == W.EVALUATE:
            xo = iws[W.X]
            go = iws[W.G]
            f = fg(ws[xo:xo + n], ws[go:go + n], args)
            if W.raised(f):  # the objective raised: stop, the point stays at iws[W.X]
                W.finish(iws, W.RAISED_REASON)
            else:
                step_i(ws, iws, f)

    fp = fingerprint(init, step, solve)  # read by numba when it compiles solve
    solve.__qualname__ = f"solve_{name}"
    dispatcher = njit(**_OPTIONS)(solve)
    fg_type = types.FunctionType(float64(float64[::1], float64[::1], args_type))
    sig = (fg_type, float64[::1], int64[::1], float64[::1], float64[::1], int64[::1], args_type)
    entry = _solvers[key] = entry_point(dispatcher, sig)
    return entry


def run_compiled(name, init, step, fg, x0, fopts, iopts, args, sizes):
    """Drive a method entirely in compiled code. Same returns as :func:`run_python`."""
    # The adapter was compiled for these args: its signature names their type. It keeps
    # the solvers found for it (see FirstClass.solvers).
    solve = fg.solvers.get(step)
    if solve is None:
        solve = fg.solvers[step] = compiled_solver(name, init, step, fg.signature().args[2])
    ws = np.zeros(sizes[0])
    iws = np.zeros(sizes[1], dtype=np.int64)
    solve(fg, ws, iws, x0, fopts, iopts, args)
    return ws, iws
