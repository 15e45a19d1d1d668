"""torch.optim's optimizers for NumPy arrays, compiled with numba.

Every class has torch 2.13's constructor signature, defaults and validation; see
:class:`Optimizer` for the shared interface and :mod:`numopt.optim.lr_scheduler` for
learning-rate schedules.
"""
from . import lr_scheduler
from ._serialization import load_state, save_state
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer, required
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "Optimizer", "required",
    "SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
    "Adagrad", "Adadelta", "RMSprop", "Rprop", "ASGD", "LBFGS", "Lion", "Adafactor",
    "save_state", "load_state", "lr_scheduler",
]
