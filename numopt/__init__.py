"""numopt: Numba-compiled optimizers for NumPy.

- :mod:`numopt.optim`: torch.optim's optimizers and learning-rate schedulers for
  NumPy arrays, each update rule one compiled kernel over flat buffers.
"""
from . import optim
from ._params import Parameter

__version__ = "0.1.0"

__all__ = ["Parameter", "optim", "__version__"]
