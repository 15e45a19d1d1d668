"""Where a flat buffer lives: host memory (NumPy) or a CUDA device (numba device arrays).

The optimizers' bookkeeping (:mod:`numopt.optim.optimizer`) goes through one of these
two small objects for every allocation, fill and copy, and for the step itself, so the
same code serves parameters in host memory and on a GPU.
"""
import numpy as np

from ._buffers import aligned_empty

__all__ = ["HOST", "DEVICE", "backend_of", "is_cuda_array", "as_device_array"]


def is_cuda_array(obj):
    """True for an array on a CUDA device: it exposes ``__cuda_array_interface__``, or it
    is a device array of numba's CUDA simulator (which does not)."""
    if isinstance(obj, np.ndarray):
        return False
    return hasattr(obj, "__cuda_array_interface__") or type(obj).__name__ == "FakeCUDAArray"


def as_device_array(obj):
    """A numba device array viewing the same memory (CuPy, torch CUDA, numba arrays)."""
    if type(obj).__name__ == "FakeCUDAArray":
        return obj
    from numba import cuda

    return cuda.as_cuda_array(obj)


class _Host:
    name = "cpu"

    @staticmethod
    def empty(shape, dtype):
        return aligned_empty(shape, dtype)

    @staticmethod
    def fill(view, value):
        view[...] = value

    @staticmethod
    def copy(dst, src):
        if is_cuda_array(src):
            src = as_device_array(src).copy_to_host()
        np.copyto(dst, np.asarray(src).reshape(dst.shape), casting="same_kind")

    @staticmethod
    def to_host(view):
        return np.array(view, copy=True)

    @staticmethod
    def run(rule, flags, param, grad, state, hyper, lo, hi):
        from ._drivers.cpu import run_rule

        run_rule(rule, flags, param, grad, state, hyper, lo, hi)

    @staticmethod
    def run_factored(rule, flags, param, grad, state, hyper, lo, hi, shape):
        from ._drivers.cpu import run_factored

        run_factored(rule, flags, param, grad, state, hyper, lo, hi, shape)


class _Device:
    name = "cuda"

    @staticmethod
    def empty(shape, dtype):
        from numba import cuda

        return cuda.device_array(shape, dtype=dtype)

    @staticmethod
    def fill(view, value):
        view.copy_to_device(np.full(view.shape, value, dtype=view.dtype))

    @staticmethod
    def copy(dst, src):
        if is_cuda_array(src):
            src = as_device_array(src)
            if src.dtype != dst.dtype:
                src = src.copy_to_host()  # rare: a gradient of another float dtype
        if not is_cuda_array(src):
            src = np.ascontiguousarray(np.asarray(src).reshape(dst.shape), dtype=dst.dtype)
        else:
            src = src.reshape(dst.shape)
        dst.copy_to_device(src)

    @staticmethod
    def to_host(view):
        return view.copy_to_host()

    @staticmethod
    def run(rule, flags, param, grad, state, hyper, lo, hi):
        from ._drivers.cuda import launch_rule

        launch_rule(rule, flags, param, grad, state, hyper, lo, hi)

    @staticmethod
    def run_factored(rule, flags, param, grad, state, hyper, lo, hi, shape):
        from ._drivers.cuda import launch_factored

        launch_factored(rule, flags, param, grad, state, hyper, lo, hi, shape)


HOST, DEVICE = _Host(), _Device()


def backend_of(array):
    return DEVICE if is_cuda_array(array) else HOST
