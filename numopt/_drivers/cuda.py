"""CUDA driver: compile an element-wise update rule into a grid-stride kernel.

The kernel calls the very function the CPU drivers loop over (see
:mod:`numopt._drivers.cpu`); there is no second copy of any rule's arithmetic. Under
``NUMBA_ENABLE_CUDASIM=1`` the same code runs on numba's CUDA simulator.
"""
from .. import config

_kernels = {}

# numba.cuda, imported on first use: it is optional and slow to import. Kernels must
# reach it as a module global, which is where the CUDA simulator swaps in its own.
cuda = None


def _import_cuda():
    global cuda
    if cuda is None:
        from numba import cuda as module

        cuda = module
    return cuda


def cuda_available():
    """True when numba-cuda is installed and a GPU (or the simulator) is usable."""
    try:
        module = _import_cuda()
    except ImportError:
        return False
    try:
        return bool(module.is_available())
    except Exception:  # a broken driver install reports as unavailable, not a crash
        return False


def require_cuda():
    """Raise a clear error when no CUDA device (or simulator) can be used."""
    if not cuda_available():
        raise RuntimeError(
            "device='cuda' needs numba-cuda (pip install 'numopt[cuda]') and an NVIDIA GPU "
            "with a working driver, or NUMBA_ENABLE_CUDASIM=1 set before numba is imported"
        )


def rule_kernel(rule, flags):
    """Return the CUDA kernel ``kernel(param, grad, state, hyper, lo, hi)`` of an
    element-wise rule (a :class:`numopt._rules._record.Rule`), with its structural
    ``flags`` compiled in as constants (as on the CPU)."""
    key = (rule, flags)
    if key in _kernels:
        return _kernels[key]
    require_cuda()
    elem = cuda.jit(device=True)(rule.update)

    @cuda.jit
    def kernel(param, grad, state, hyper, lo, hi):
        i = lo + cuda.grid(1)
        stride = cuda.gridsize(1)
        while i < hi:
            elem(i, param, grad, state, hyper, flags)
            i += stride

    _kernels[key] = kernel
    return kernel


def launch_rule(rule, flags, param, grad, state, hyper, lo, hi, threads_per_block=None):
    """Apply ``rule`` to elements ``[lo, hi)`` of device buffers."""
    n = hi - lo
    if n <= 0:
        return
    tpb = threads_per_block or config.CUDA_THREADS_PER_BLOCK
    blocks = min((n + tpb - 1) // tpb, config.CUDA_MAX_BLOCKS)
    rule_kernel(rule, flags)[blocks, tpb](param, grad, state, hyper, lo, hi)
