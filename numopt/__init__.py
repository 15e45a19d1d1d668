"""numopt: Numba-compiled optimizers for NumPy.

- :mod:`numopt.optim`: torch.optim's optimizers and learning-rate schedulers for
  NumPy arrays, each update rule one compiled kernel over flat buffers.
- :func:`numopt.minimize`: scipy.optimize.minimize's interface; with a compiled
  objective (:func:`numopt.objective` or numba ``@njit``) the whole solve runs in
  compiled code; :func:`numopt.show_options` lists each method's options.
- :func:`numopt.least_squares` and :func:`numopt.curve_fit`: scipy's fitting front
  doors (Levenberg-Marquardt, Trust Region Reflective), compiled with an ``@njit``
  model.
"""
from . import config, optim
from ._params import Parameter
from ._version import __version__

# minimize and friends import scipy.optimize (about 0.4 s): loaded on first use, so that
# a program using only the optimizers starts fast.
_LAZY = {
    "minimize": "._minimize._minimize",
    "minimize_batch": "._minimize._batch",
    "BatchResult": "._minimize._batch",
    "objective": "._minimize._objective",
    "Objective": "._minimize._objective",
    "OptimizeResult": "._result",
    "show_options": "._show_options",
    "least_squares": "._fit._least_squares",
    "curve_fit": "._fit._curve_fit",
    "pointwise": "._fit._pointwise",
    "approx_fprime": "._gradcheck",
    "check_grad": "._gradcheck",
    "PointwiseModel": "._fit._pointwise",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'numopt' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["Parameter", "optim", "config", "minimize", "minimize_batch", "objective", "Objective",
           "OptimizeResult", "BatchResult", "show_options", "least_squares", "curve_fit",
           "pointwise", "PointwiseModel", "approx_fprime", "check_grad", "__version__"]
