"""CUDA driver: compile an update rule into grid-stride kernels (an element-wise rule:
one kernel; a factored rule: one per phase, see :func:`launch_factored`).

The kernel calls the very function the CPU drivers loop over (see
:mod:`numopt._drivers.cpu`); there is no second copy of any rule's arithmetic. Under
``NUMBA_ENABLE_CUDASIM=1`` the same code runs on numba's CUDA simulator.
"""
from .. import config
from .._cache import BoundedCache

# By rule and flags (numopt's own): a few per optimizer.
_kernels = BoundedCache("drivers.cuda_kernels", maxsize=256)

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
    kernel = _kernels.get(key)
    if kernel is not None:
        return kernel
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


# -- factored rules (Adafactor) -----------------------------------------------------------
#: At most this many blocks take part in a sum (each thread adds its part atomically).
_SUM_BLOCKS = 256


def factored_kernels(rule, flags):
    """The CUDA kernels of a factored rule (:class:`numopt._rules._record.FactoredPhases`),
    with ``flags`` compiled in: the same phases as the CPU driver
    (:func:`numopt._drivers.cpu.factored_drivers`), each sum over a row or a column taken
    by one thread in the CPU's order; the two sums over the whole parameter are
    atomic (their order, and so their last bits, vary)."""
    key = ("factored", rule, flags)
    kernels = _kernels.get(key)
    if kernels is not None:
        return kernels
    require_cuda()
    (param_square, grad_square, row_update, col_update, row_mean, scaled_update, step_size,
     apply) = (cuda.jit(device=True)(phase) for phase in rule.update)

    @cuda.jit
    def sum_param(param, grad, state, hyper, lo, hi, sums):
        i = lo + cuda.grid(1)
        stride = cuda.gridsize(1)
        acc = 0.0
        while i < hi:
            acc += param_square(i, param, grad, state, hyper, flags)
            i += stride
        cuda.atomic.add(sums, 0, acc)

    @cuda.jit
    def rows(param, grad, state, hyper, lo, nrows, C):
        k = cuda.grid(1)
        stride = cuda.gridsize(1)
        while k < nrows:
            base = lo + k * C
            acc = 0.0
            for c in range(C):
                acc += grad_square(base + c, param, grad, state, hyper, flags)
            row_update(lo + k, param, grad, state, hyper, flags, acc, C)
            k += stride

    @cuda.jit
    def cols(param, grad, state, hyper, lo, nbatch, R, C):
        k = cuda.grid(1)
        stride = cuda.gridsize(1)
        while k < nbatch * C:
            b = k // C
            c = k - b * C
            acc = 0.0
            for r in range(R):
                acc += grad_square(lo + (b * R + r) * C + c, param, grad, state, hyper, flags)
            col_update(lo + k, param, grad, state, hyper, flags, acc, R)
            k += stride

    @cuda.jit
    def batch_means(param, grad, state, hyper, lo, nbatch, R, means):
        b = cuda.grid(1)
        stride = cuda.gridsize(1)
        while b < nbatch:
            acc = 0.0
            for k in range(b * R, b * R + R):
                acc += float(state[0, lo + k])
            means[b] = row_mean(param, grad, state, hyper, flags, acc, R)
            b += stride

    @cuda.jit(device=True)
    def update_at(i, param, grad, state, hyper, lo, R, C, factored, means):
        k = (i - lo) // C
        b = k // R
        return scaled_update(i, param, grad, state, hyper, flags, lo + k,
                             lo + b * C + (i - lo - k * C), means[b], factored)

    @cuda.jit
    def sum_update(param, grad, state, hyper, lo, hi, R, C, factored, means, sums):
        i = lo + cuda.grid(1)
        stride = cuda.gridsize(1)
        acc = 0.0
        while i < hi:
            u = update_at(i, param, grad, state, hyper, lo, R, C, factored, means)
            acc += float(u) * float(u)
            i += stride
        cuda.atomic.add(sums, 1, acc)

    @cuda.jit
    def apply_update(param, grad, state, hyper, lo, hi, R, C, factored, means, sums):
        step = step_size(param, hyper, flags, hi - lo, sums[0], sums[1])
        i = lo + cuda.grid(1)
        stride = cuda.gridsize(1)
        while i < hi:
            u = update_at(i, param, grad, state, hyper, lo, R, C, factored, means)
            apply(i, param, grad, state, hyper, flags, u, step)
            i += stride

    kernels = (sum_param, rows, cols, batch_means, sum_update, apply_update)
    _kernels[key] = kernels
    return kernels


def launch_factored(rule, flags, param, grad, state, hyper, lo, hi, shape,
                    threads_per_block=None):
    """Apply the factored ``rule`` to one parameter of ``shape``, elements ``[lo, hi)``
    of device buffers: six kernels on one stream, each phase after the one before."""
    import numpy as np

    from .cpu import factors

    n = hi - lo
    if n <= 0:
        return
    R, C, factored = factors(shape)
    nrows = n // C
    nbatch = nrows // R
    sum_param, rows, cols, batch_means, sum_update, apply_update = factored_kernels(rule, flags)
    tpb = threads_per_block or config.CUDA_THREADS_PER_BLOCK

    def blocks(m, limit=config.CUDA_MAX_BLOCKS):
        return max(1, min((m + tpb - 1) // tpb, limit))

    sums = cuda.to_device(np.zeros(2))
    means = cuda.to_device(np.ones(nbatch, dtype=np.dtype(param.dtype)))
    sum_param[blocks(n, _SUM_BLOCKS), tpb](param, grad, state, hyper, lo, hi, sums)
    rows[blocks(nrows), tpb](param, grad, state, hyper, lo, nrows, C)
    if factored:
        cols[blocks(nbatch * C), tpb](param, grad, state, hyper, lo, nbatch, R, C)
        batch_means[blocks(nbatch), tpb](param, grad, state, hyper, lo, nbatch, R, means)
    sum_update[blocks(n, _SUM_BLOCKS), tpb](param, grad, state, hyper, lo, hi, R, C, factored,
                                            means, sums)
    apply_update[blocks(n), tpb](param, grad, state, hyper, lo, hi, R, C, factored, means, sums)
