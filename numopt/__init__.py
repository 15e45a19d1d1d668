"""numopt: Numba-compiled optimizers for NumPy.

- :mod:`numopt.optim`: torch.optim's optimizers and learning-rate schedulers for
  NumPy arrays, each update rule one compiled kernel over flat buffers.
- :func:`numopt.minimize`: scipy.optimize.minimize's interface; with a compiled
  objective (:func:`numopt.objective` or numba ``@njit``) the whole solve runs in
  compiled code.
"""
from . import optim
from ._minimize._batch import BatchResult, minimize_batch
from ._minimize._minimize import minimize
from ._minimize._objective import Objective, objective
from ._params import Parameter
from ._result import OptimizeResult

__version__ = "0.1.0"

__all__ = ["Parameter", "optim", "minimize", "minimize_batch", "objective", "Objective",
           "OptimizeResult", "BatchResult", "__version__"]
