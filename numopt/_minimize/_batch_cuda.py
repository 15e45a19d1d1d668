"""``minimize_batch(device="cuda")``: one problem per CUDA thread.

The kernel runs, per thread, exactly the loop of the CPU drivers: the method's ``init``
and ``step`` (compiled as device functions from the same Python source) and the user's
``@numopt.objective``, on that thread's row of the workspaces. Under
``NUMBA_ENABLE_CUDASIM=1`` the same kernel runs on numba's CUDA simulator.

Device code must not allocate, so finite differences perturb the trial point in place
(the CPU adapter perturbs a copy: the arithmetic, and so the result, is the same), and
objectives that return gradient arrays (``jac=`` callables, ``jac=True``) are not
accepted here: write the gradient into ``g`` with ``@numopt.objective(grad=True)``.
"""
import numpy as np

from .. import config
from .._cache import ObjectCache
from .._drivers.cuda import require_cuda
from . import _workspace as W
from ._finite_diff import fg_source, namespace as fd_namespace
from ._objective import Objective

__all__ = ["run_cuda", "check_cuda_objective"]

# By the objective's Python function. A kernel compiles on its first launch, from the
# objective's source, so it keeps the objective: the LRU bound alone frees it.
_kernels = ObjectCache("minimize.cuda_kernels", maxsize=32)


def _device(func):
    from numba import cuda

    return cuda.jit(device=True)(getattr(func, "py_func", func))


def _objective_source(kind, fd, names):
    """Source of the device ``fg(x, g, <names>)`` for an objective of the given kind;
    with finite differences the last name is the step and bound array, which the
    objective does not see."""
    extra = "".join(", " + a for a in names)
    params = "x, g" + extra
    if kind == "grad":
        return f"def fg({params}):\n    return obj(x, g{extra})\n"
    if kind == "value":
        return f"def fg({params}):\n    return obj(x{extra})\n"
    if kind == "fd" and fd.method in ("2-point", "3-point"):
        user = "".join(", " + a for a in names[:-1])
        return fg_source(fd, f"def fg({params}):", "obj({x}" + user + ")", names[-1],
                         in_place=True, as_float="")
    raise NotImplementedError(
        "device='cuda' takes a @numopt.objective: with grad=True (writing the gradient into "
        "g), or a value-only objective with jac=None/'2-point'/'3-point'; jac callables, "
        "jac=True and 'cs' need arrays, which GPU code cannot allocate")


def device_objective(fun, kind, fd, mask):
    """The device ``fg_d(x, g, a0, a1, ...)`` of ``fun`` for a kernel's source.

    Returns
    -------
    namespace : dict
        ``cuda``, ``fg_d`` and what the finite differences use, for ``exec``.
    extra : str
        The kernel's argument parameters, ``", a0, a1"``.
    row : str
        Those arguments as ``fg_d`` takes them for problem ``b``: ``", a0[b], a1"`` when
        only ``a0`` is per problem (``mask``).
    """
    from numba import cuda

    names = [f"a{k}" for k in range(len(mask))]
    extra = "".join(", " + a for a in names)
    row = "".join(f", {a}[b]" if m else f", {a}" for a, m in zip(names, mask))
    namespace = fd_namespace()
    namespace.update(cuda=cuda, obj=_device(fun.py_func))
    exec(_objective_source(kind, fd, names), namespace)  # noqa: S102 -- arity only
    namespace["fg_d"] = cuda.jit(device=True)(namespace["fg"])
    return namespace, extra, row


def _kernel(spec, step, fun, kind, fd, mask):
    rest = (spec.name, step, kind, fd, mask)
    kernel = _kernels.lookup(fun.py_func, *rest)
    if kernel is not None:
        return kernel
    namespace, extra, row = device_objective(fun, kind, fd, mask)
    namespace.update(init_d=_device(spec.init), step_d=_device(step), W=W)
    src = (f"def kernel(WS, IWS, X0, FOPTS, IOPTS{extra}):\n"
           "    b = cuda.grid(1)\n"
           "    if b < X0.shape[0]:\n"
           "        n = X0.shape[1]\n"
           "        ws = WS[b]\n        iws = IWS[b]\n"
           "        init_d(ws, iws, X0[b], FOPTS[b], IOPTS[b])\n"
           "        while iws[W.TASK] == W.EVALUATE:\n"
           "            xo = iws[W.X]\n            go = iws[W.G]\n"
           f"            f = fg_d(ws[xo:xo + n], ws[go:go + n]{row})\n"
           "            step_d(ws, iws, f)\n")
    exec(src, namespace)  # noqa: S102 -- generated from the arity only, no user text
    kernel = namespace["cuda"].jit(namespace["kernel"])
    return _kernels.store(fun.py_func, *rest, value=kernel)


def check_cuda_objective(fun):
    """Raise unless a GPU (or the simulator) is there and ``fun`` can run on it."""
    require_cuda()
    if not isinstance(fun, Objective) and not hasattr(fun, "py_func"):
        raise TypeError("device='cuda' needs a compiled objective (@numopt.objective or "
                        "numba @njit): a Python function cannot run on the GPU")


def run_cuda(spec, fun, jac, kind, fd, X0, FOPTS, IOPTS, args, mask, sizes,
             threads_per_block=None):
    """Run the batch on the GPU; returns the host workspaces ``(WS, IWS)``."""
    check_cuda_objective(fun)
    from numba import cuda

    kernel = _kernel(spec, spec.step_for(IOPTS), fun, kind, fd, mask)
    B = X0.shape[0]
    d_ws = cuda.to_device(np.zeros((B, sizes[0])))
    d_iws = cuda.to_device(np.zeros((B, sizes[1]), dtype=np.int64))
    d_args = [cuda.to_device(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a
              for a in args]
    tpb = threads_per_block or config.CUDA_THREADS_PER_BLOCK
    blocks = (B + tpb - 1) // tpb
    kernel[blocks, tpb](d_ws, d_iws, cuda.to_device(X0), cuda.to_device(FOPTS),
                        cuda.to_device(IOPTS), *d_args)
    return d_ws.copy_to_host(), d_iws.copy_to_host()
