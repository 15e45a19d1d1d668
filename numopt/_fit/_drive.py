"""The drivers of the least-squares state machines (:mod:`._lm`, :mod:`._trf`).

Both machines ask for the same two things through the same header (see
:mod:`numopt._minimize._workspace`): the m residuals at ``ws[iws[W.X]:...]`` into
``ws[iws[W.G]:...]`` (task ``W.EVALUATE``), or the Jacobian there into
``ws[iws[JAC]:...]``, column-major (task ``JACOBIAN``, slot ``JAC``, the same for both).
So one Python loop (:func:`run_python`) and one compiled loop (:func:`machine`'s
``loop``) serve both, and the first-class adapters that put a numba model into the
compiled loop (:func:`adapters`) are shared: a model is compiled into them once,
whichever method fits it.
"""
import numpy as np
from numba import float64, njit, types, typeof

from .._cache import BoundedCache, ObjectCache
from .._fingerprint import source_fingerprint
from .._minimize import _workspace as W
from .._minimize._drivers import entry_point, first_class
from .._minimize._objective import _bind as bind, _disk_stamp, catching
from .._minimize._standalone import jitable

__all__ = ["JACOBIAN", "JAC", "relative_steps", "machine", "run_python", "compiled_loop",
           "adapters", "args_type_of", "raised_at", "reraise"]

OPTIONS = dict(cache=True, error_model="numpy")
JACOBIAN = 2    # the task asking for the Jacobian, in both machines
JAC = W.HEADER_INTS + 1   # iws slot of its offset (each Layout's "jac", after "m")


def relative_steps(dtype=np.float64):
    """scipy's relative steps of ``"2-point"`` and ``"3-point"`` differences for residuals
    of this dtype: the square and cube roots of the machine epsilon of float64, or of the
    residuals' narrower float type (``approx_derivative``'s ``_eps_for_method``: steps of
    float64's size are lost in float32 residuals), computed in that type as numpy does."""
    dtype = np.dtype(dtype)
    eps = np.finfo(dtype if dtype.kind == "f" and dtype.itemsize < 8 else np.float64).eps
    return float(eps ** 0.5), float(eps ** (1 / 3))


class Machine:
    """A state machine's compiled pieces: ``init`` and ``step`` callable from Python,
    ``run`` (the compiled loop's body, to inline into other compiled code) and
    ``loop``, the loop to compile per type of ``args`` (see :func:`compiled_loop`)."""

    def __init__(self, init, step, run, loop):
        self.init, self.step, self.run, self.loop = init, step, run, loop
        self._step_entry = None

    def step_entry(self):
        """``step``'s compiled entry point: a Python loop calls it once per evaluation,
        and the entry point skips the dispatcher's typing of ``(ws, iws)``."""
        if self._step_entry is None:
            self._step_entry = entry_point(self.step, (float64[::1], types.int64[::1]))
        return self._step_entry


def machine(module, name):
    """The compiled ``init``/``step`` of a state machine module and its loop over
    first-class residual and Jacobian functions, as closures over the fingerprint of
    numopt's compiled sources: numba's disk cache checks only the file a function is
    defined in, and these inline code from the machine's modules (see
    :mod:`numopt._fingerprint`)."""
    fp = source_fingerprint("_fit", "_minimize")
    init_i, step_i = jitable(module.init), jitable(module.step)
    assert module.JACOBIAN == JACOBIAN and module.JAC == JAC

    def init(ws, iws, x0, m, fopts, iopts):
        fp  # noqa: B018 -- part of the cache key
        init_i(ws, iws, x0, m, fopts, iopts)

    def step(ws, iws):
        fp  # noqa: B018
        step_i(ws, iws)

    # An adapter returns W.RAISED where the model raised: the run stops with reason
    # RAISED, the point still at iws[W.X], and the front door raises the exception again.
    def run(res, jacf, ws, iws, x0, m, fopts, iopts, args):
        init_i(ws, iws, x0, m, fopts, iopts)
        n = x0.size
        while iws[W.TASK] != W.DONE:
            xo = iws[W.X]
            if iws[W.TASK] == JACOBIAN:
                jo = iws[JAC]
                flag = jacf(ws[xo:xo + n], ws[jo:jo + m * n], args)
            else:
                go = iws[W.G]
                flag = res(ws[xo:xo + n], ws[go:go + m], args)
            if W.raised(flag):
                W.finish(iws, W.RAISED_REASON)
                break
            step_i(ws, iws)

    run_i = jitable(run)

    def loop(res, jacf, ws, iws, x0, m, fopts, iopts, args):
        fp  # noqa: B018
        run_i(res, jacf, ws, iws, x0, m, fopts, iopts, args)

    init.__qualname__, step.__qualname__, loop.__qualname__ = (
        f"{name}_init", f"{name}_step", f"{name}_loop")
    return Machine(njit(**OPTIONS)(init), njit(**OPTIONS)(step), run_i, loop)


def run_python(mach, fun, jac, x0, m, fopts, iopts, args, sizes, r0, on_iteration=None,
               copy_x=True):
    """Drive ``mach`` from Python: ``fun(x, *args)`` returns the residuals, ``jac(x,
    *args)`` the ``(m, n)`` Jacobian (a (1,) array for m = n = 1, as scipy accepts).
    ``r0``: the residuals at the first point asked for, which the caller has already
    evaluated (scipy evaluates them once). ``on_iteration(ws, iws)`` is called after
    each completed iteration (``iws[W.NIT]`` grew); returning True stops the run, which
    it must end itself. ``copy_x=False`` hands the functions a view of the point in the
    workspace, for callers whose functions never keep or modify it (curve_fit's
    residuals unpack it into the model's arguments), saving a copy per evaluation.
    Returns the final ``ws, iws``."""
    n = x0.size
    ws = np.zeros(sizes[0])
    iws = np.zeros(sizes[1], dtype=np.int64)
    step = mach.step_entry()
    mach.init(ws, iws, x0, m, fopts, iopts)
    head = memoryview(iws)   # reads Python ints, several times faster than numpy scalars
    r = r0
    task = head[W.TASK]
    while task != W.DONE:
        xo = head[W.X]
        x = ws[xo:xo + n].copy() if copy_x else ws[xo:xo + n]
        if task == JACOBIAN:
            J = np.atleast_2d(np.asarray(jac(x, *args), dtype=np.float64))
            if J.shape != (m, n):
                raise ValueError(f"jac returned shape {J.shape}, expected {(m, n)}")
            jo = head[JAC]
            ws[jo:jo + m * n].reshape(n, m)[...] = J.T
        else:
            if r is None:
                r = fun(x, *args)
            go = head[W.G]
            ws[go:go + m] = r   # (numpy's assignment checks the size and converts)
            r = None
        if on_iteration is None:
            step(ws, iws)
        else:
            nit = head[W.NIT]
            step(ws, iws)
            if head[W.NIT] != nit and on_iteration(ws, iws):
                break
        task = head[W.TASK]
    return ws, iws


def raised_at(ws, iws, n):
    """The point where a compiled model raised (reason RAISED), else None."""
    if iws[W.REASON] != W.RAISED_REASON:
        return None
    xo = iws[W.X]
    return ws[xo:xo + n].copy()


def reraise(fun, jac, args, x, what="residual function"):
    """Raise again, from Python, the exception a compiled ``fun`` (or ``jac``) raised at
    ``x`` in the compiled loop, which cannot carry it out: the user's own type and
    message (see :func:`raised_at`)."""
    fun(x.copy(), *args)
    if callable(jac):
        jac(x.copy(), *args)
    raise RuntimeError(f"the {what} raised an exception in compiled code at x = {x!r}, "
                       "but not when evaluated there again from Python")


def compiled_loop(cache, loop, args_type, key, extra=()):
    """``loop``'s dispatcher for ``args`` of this numba type and the entry point of its
    one overload, which a call reaches without numba's typing of the arguments, kept
    in ``cache`` under ``key`` (what stands for the type, see :func:`args_type_of`).
    ``extra``: numba types of arguments after ``args``."""
    entry = cache.get(key)
    if entry is None:   # (a BoundedCache may drop it: then compiled again)
        fn_type = types.FunctionType(float64(float64[::1], float64[::1], args_type))
        sig = (fn_type, fn_type, float64[::1], types.int64[::1], float64[::1], types.int64,
               float64[::1], types.int64[::1], args_type) + tuple(extra)
        disp = njit(**OPTIONS)(loop)
        entry = cache[key] = (disp, entry_point(disp, sig))
    return entry


# -- first-class adapters of numba models ------------------------------------------------------
_adapters = ObjectCache("_fit._drive.adapters")   # dropped with the model

# Placeholders: each adapter is a copy of a template below whose globals bind these
# names to one model's dispatchers (see numopt._minimize._objective._bind).
model = model_jac = inner = None


# The copies are bounded by both sizes: a model returning the wrong length must not write
# past its slot of the workspace (compiled code checks no bounds).
def _residuals_template(x, r, args):
    out = model(x, *args)
    for i in range(min(r.size, out.size)):
        r[i] = out[i]
    return 0.0


def _jacobian_template(x, J, args):
    out = model_jac(x, *args)
    n = x.size
    m = J.size // n
    for j in range(min(n, out.shape[1])):
        for i in range(min(m, out.shape[0])):
            J[j * m + i] = out[i, j]
    return 0.0


def _no_jacobian(x, J, args):   # never asked for: the Jacobian comes by differences
    return 0.0


def _guard(stamp):
    """The adapter the loop calls: the global ``inner`` (compiled) whose exceptions
    become ``W.RAISED`` (they cannot cross the loop's first-class call). ``stamp``
    names the model's code and version: numba keys a cached closure on its cells'
    contents, so each model keeps its own adapter in numba's disk cache."""
    def adapter(x, out, args):
        stamp  # noqa: B018 -- part of the disk cache's key
        return catching(inner, x, out, args)
    return adapter


def _compile_adapter(template, sig, stamp, **names):
    """``template`` with ``names`` bound, compiled behind :func:`_guard`; cached on disk
    unless ``stamp`` is None."""
    inner_ = njit(error_model="numpy", no_cpython_wrapper=True)(bind(template, **names))
    guard = bind(_guard(stamp), inner=inner_, catching=catching)
    wap = first_class(guard, sig, cache=stamp is not None)
    # The compiled code calls the model's machine code: the cached adapter must not keep
    # the model alive through these globals.
    for name in names:
        inner_.py_func.__globals__[name] = None
    guard.__globals__["inner"] = None
    return wap


def adapters(fun, jac, args_type, key=None, stamp=None):
    """First-class adapters ``res(x, r, args)`` and ``jac(x, J, args)`` (J flat,
    column-major) for njit functions ``fun(x, *args) -> r`` and ``jac(x, *args) -> J``
    (None: differences), returning ``W.RAISED`` where the model raised. They are cached
    on disk where the model is (numba ``cache=True``), or where the caller gives a
    ``stamp`` that names the functions' code and version (see :func:`_guard`)."""
    key = args_type if key is None else key
    pair = _adapters.lookup(fun, jac, key)
    if pair is not None:
        return pair
    sig = float64(float64[::1], float64[::1], args_type)
    if stamp is None:
        stamp = _disk_stamp(fun, jac) if jac is not None else _disk_stamp(fun)

    def tag(kind):
        return None if stamp is None else f"{kind}|{stamp}"
    res = _compile_adapter(_residuals_template, sig, tag("res"), model=fun)
    if jac is None:
        jacf = _compile_adapter(_no_jacobian, sig, "nojac")
    else:
        jacf = _compile_adapter(_jacobian_template, sig, tag("jac"), model_jac=jac)
    return _adapters.store(fun, jac, key, value=(res, jacf))


_args_types = BoundedCache("_fit._drive.args_types", maxsize=256)


def args_type_of(args):
    """``(key, type)``: numba's type of ``args``, and a cheap key that stands for it in
    the caches here. ``numba.typeof`` takes about 50 us for a tuple of two arrays, and
    hashing a numba type some more, longer than a small fit: tuples of arrays and floats
    are typed once per kind (what numba's array type depends on: dtype, ndim, layout,
    writeable, aligned)."""
    key = []
    for a in args:
        if type(a) is np.ndarray:
            f = a.flags
            key.append((a.dtype, a.ndim, f.c_contiguous, f.f_contiguous, f.writeable,
                        f.aligned))
        elif type(a) is float:
            key.append(float)
        else:
            at = typeof(args)
            return at, at
    key = tuple(key)
    at = _args_types.get(key)
    if at is None:
        at = _args_types[key] = typeof(args)
    return key, at
