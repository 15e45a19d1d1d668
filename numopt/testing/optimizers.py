"""The table of numopt's first-order optimizers, for the tests (and the ``minimize`` methods).

One :class:`OptimizerInfo` per optimizer class, in the manner of torch's
``OptimizerInfo`` (``torch/testing/_internal/common_optimizers.py``): the class, sample
hyperparameter configurations that switch its options on, and what the tests need to
know about it. The common tests, the trajectory tests and the GPU tests are
parametrized over :data:`OPTIMIZERS`; adding an optimizer is adding a row.

Not a public API: its fields change with the tests that read them.
"""
from dataclasses import dataclass, field

from .. import optim

__all__ = ["OptimizerInfo", "OPTIMIZERS", "configs", "classes", "info"]


@dataclass(frozen=True)
class OptimizerInfo:
    """What the tests know about one optimizer class.

    Parameters
    ----------
    cls : type
        The ``numopt.optim`` class.
    configs : tuple of dict
        Sample constructor keyword arguments (besides the parameters), together
        switching every option on; each is run by every common test, on the CPU and on
        a CUDA device (or numba's simulator).
    reference : {"torch", "naive"}
        What the trajectories are checked against: torch 2.13's recorded runs
        (``tests/data``, from ``tools/make_golden_*.py``) or, for an optimizer torch
        does not have, only the hand-written NumPy implementation of
        ``tests/reference/naive_optim.py`` (every optimizer is checked against that).
    eager_state : bool
        The state exists from construction (torch's Adagrad), not from the first step.
    param_shaped_state : bool
        Every state array has the parameter's shape (False: Adafactor's factored rows).
    minimize : bool
        Offered as a first-order ``minimize`` method (``method=cls.__name__.lower()``).
    golden : str
        The file of ``tests/data`` holding torch's recorded trajectories (reference
        "torch"): ``optim_golden.npz`` (``tools/make_golden_optim.py``) or one of the
        optimizer's own (Adafactor's, ``tools/make_golden_adafactor.py``).
    """

    cls: type
    configs: tuple = field(default_factory=tuple)
    reference: str = "torch"
    eager_state: bool = False
    param_shaped_state: bool = True
    minimize: bool = True
    golden: str = "optim_golden.npz"

    @property
    def name(self):
        return self.cls.__name__


OPTIMIZERS = (
    OptimizerInfo(optim.SGD, configs=(
        dict(lr=0.05),
        dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True))),
    OptimizerInfo(optim.Adam, configs=(
        dict(lr=0.01),
        dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True),
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True))),
    OptimizerInfo(optim.AdamW, configs=(dict(lr=0.01, amsgrad=True),)),
    OptimizerInfo(optim.Adamax, configs=(dict(lr=0.01, weight_decay=0.1),)),
    OptimizerInfo(optim.NAdam, configs=(
        dict(lr=0.01, weight_decay=0.1),
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True))),
    OptimizerInfo(optim.RAdam, configs=(
        dict(lr=0.01, weight_decay=0.1),
        dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True))),
    OptimizerInfo(optim.Adagrad, configs=(
        dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1),), eager_state=True),
    OptimizerInfo(optim.Adadelta, configs=(dict(lr=0.5, weight_decay=0.1),)),
    OptimizerInfo(optim.RMSprop, configs=(
        dict(lr=0.01),
        dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1),
        dict(lr=0.01, centered=True))),
    OptimizerInfo(optim.Rprop, configs=(dict(lr=0.01),)),
    OptimizerInfo(optim.ASGD, configs=(dict(lr=0.01, t0=3, weight_decay=0.1),)),
    OptimizerInfo(optim.Lion, configs=(dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.5, maximize=True)),
                  reference="naive", minimize=False),
    OptimizerInfo(optim.Adafactor, configs=(
        dict(lr=0.01),
        dict(lr=0.02, beta2_decay=-0.5, eps=(1e-6, 1e-2), d=2.0, weight_decay=0.1,
             maximize=True)),
                  golden="adafactor_golden.npz", param_shaped_state=False, minimize=False),
)


def configs(where=None):
    """``[(cls, kwargs), ...]`` of every sample configuration of the rows ``where(info)``
    selects (all by default), and their test ids ``Name-k`` (numbered over the list)."""
    rows = [i for i in OPTIMIZERS if where is None or where(i)]
    cases = [(i.cls, dict(kw)) for i in rows for kw in i.configs]
    ids = [f"{cls.__name__}-{k}" for k, (cls, _) in enumerate(cases)]
    return cases, ids


def classes(where=None):
    """The optimizer classes of the rows ``where(info)`` selects (all by default)."""
    return [i.cls for i in OPTIMIZERS if where is None or where(i)]


def info(cls):
    """The row of ``cls``."""
    for i in OPTIMIZERS:
        if i.cls is cls:
            return i
    raise KeyError(f"{cls.__name__} is not in numopt.testing.optimizers.OPTIMIZERS")
