"""Learning-rate schedulers, mirroring ``torch.optim.lr_scheduler`` (torch 2.13).

A scheduler edits ``optimizer.param_groups[i]["lr"]`` (and, for :class:`CyclicLR`
and :class:`OneCycleLR` with ``cycle_momentum=True``, ``"momentum"`` or the first
entry of ``"betas"``) between optimizer steps. It reads nothing else, so it works
with every numopt optimizer, and it follows torch's arithmetic in the same order,
so a schedule matches torch's to the last bit or so.

Schedulers
----------
LRScheduler
    Base class: ``step()``, ``get_last_lr()``, ``state_dict()``, ``load_state_dict()``.
LambdaLR
    ``base_lr * lr_lambda(epoch)``.
MultiplicativeLR
    ``lr *= lr_lambda(epoch)`` every step.
StepLR
    ``lr *= gamma`` every ``step_size`` steps.
MultiStepLR
    ``lr *= gamma`` at each milestone.
ConstantLR
    ``lr = base_lr * factor`` for ``total_iters`` steps, then ``base_lr``.
LinearLR
    Linear ramp of the factor from ``start_factor`` to ``end_factor``.
ExponentialLR
    ``lr *= gamma`` every step.
PolynomialLR
    ``base_lr * (1 - t / total_iters) ** power``.
CosineAnnealingLR
    Cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` steps.
CosineAnnealingWarmRestarts
    SGDR: cosine annealing with restarts every ``T_i`` steps, ``T_i *= T_mult``.
CyclicLR
    Cyclical learning rates (triangular, triangular2, exp_range), cycling momentum inversely.
OneCycleLR
    The 1cycle policy (two or three phases, cosine or linear annealing).
SequentialLR
    Runs schedulers one after another, switching at milestones.
ChainedScheduler
    Steps several schedulers together, their effects multiplying.
ReduceLROnPlateau
    Divides the learning rate when a metric stops improving.
InverseTimeDecay
    ``base_lr / (1 + decay * t)``: the ``decay`` option of Flux's optimisers (numopt only).

Notes
-----
Differences from torch, all deliberate:

* The optimizer is checked by duck typing (it needs ``param_groups`` and ``step``)
  instead of ``isinstance(optimizer, torch.optim.Optimizer)``; the ``TypeError``
  message is torch's.
* Learning rates are plain Python numbers; torch's tensor-valued ``lr`` has no
  counterpart.
* ``optimizer.step`` is replaced, as torch does, by a small wrapper that records
  that the optimizer has stepped (to warn when ``scheduler.step()`` comes first).
  The wrapper holds the optimizer through a weak reference and pickles and
  deep-copies along with the optimizer.

Examples
--------
>>> import numpy as np
>>> from numopt import Parameter, optim
>>> from numopt.optim.lr_scheduler import StepLR
>>> opt = optim.SGD([Parameter(np.zeros(2))], lr=0.1)
>>> sched = StepLR(opt, step_size=2, gamma=0.5)
>>> for epoch in range(4):
...     opt.step()
...     sched.step()
>>> sched.get_last_lr()
[0.025]
"""

from __future__ import annotations

import functools
import math
import types
import warnings
import weakref
from bisect import bisect_right
from collections import Counter
from functools import partial

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "InverseTimeDecay",
]

# torch's wording, kept verbatim so that filters written for torch also match.
EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)


# --------------------------------------------------------------------------- helpers


def _check_optimizer(optimizer):
    # Duck typing: any object with torch's optimizer surface will do.
    if not (hasattr(optimizer, "param_groups") and hasattr(optimizer, "step")):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


def _format_param(name, optimizer, param):
    """Broadcast a scalar option to one value per param group, or check a list's length."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has {len(optimizer.param_groups)}."
            )
        return list(param)
    return [param] * len(optimizer.param_groups)


def _group_values(optimizer, key):
    """``[group[key] for group in optimizer.param_groups]`` (KeyError if missing)."""
    return [group[key] for group in optimizer.param_groups]


def _set_momentum(group, use_beta1, value):
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class _StepTracker:
    """Stand-in for ``optimizer.step`` that records that the optimizer has stepped.

    torch patches ``optimizer.step`` with a closure; a closure cannot be pickled,
    which would make an optimizer unpicklable once a scheduler is attached. This
    class holds the optimizer weakly (no reference cycle) and reduces to the
    optimizer plus the original function, so pickle and deepcopy rebuild it.
    """

    _wrapped_by_lr_sched = True

    def __init__(self, optimizer, func, bound):
        self._opt_ref = weakref.ref(optimizer)
        self._func = func  # the optimizer class's step function, or any callable
        self._bound = bound  # call as func(optimizer, ...) when True
        functools.update_wrapper(self, func, updated=())

    def __call__(self, *args, **kwargs):
        opt = self._opt_ref()
        if opt is not None:
            opt._opt_called = True
        if self._bound:
            return self._func(opt, *args, **kwargs)
        return self._func(*args, **kwargs)

    def __reduce__(self):
        return (_StepTracker, (self._opt_ref(), self._func, self._bound))


def _patch_track_step_called(optimizer):
    step = optimizer.step
    if getattr(step, "_wrapped_by_lr_sched", False):
        return  # already patched by another scheduler
    if isinstance(step, types.MethodType) and step.__self__ is optimizer:
        tracker = _StepTracker(optimizer, step.__func__, True)
    else:
        tracker = _StepTracker(optimizer, step, False)
    try:
        optimizer.step = tracker
    except AttributeError:  # e.g. __slots__ without step: just skip the warning machinery
        pass


class _enable_get_lr_call:
    def __init__(self, sched):
        self.sched = sched

    def __enter__(self):
        self.sched._get_lr_called_within_step = True
        return self

    def __exit__(self, *exc):
        self.sched._get_lr_called_within_step = False


class _initial_mode:
    def __init__(self, sched):
        self.sched = sched

    def __enter__(self):
        self.sched._is_initial = True

    def __exit__(self, *exc):
        self.sched._is_initial = False


def _warn_get_lr_called_within_step(sched):
    if not sched._get_lr_called_within_step:
        warnings.warn(
            "To get the last learning rate computed by the scheduler, "
            "please use `get_last_lr()`.",
            UserWarning,
            stacklevel=3,
        )


def _lambdas_state_dict(sched):
    # Functions and lambdas cannot be saved portably; callable objects save their __dict__.
    state = {k: v for k, v in sched.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
    state["lr_lambdas"] = [
        None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
        for fn in sched.lr_lambdas
    ]
    return state


def _lambdas_load_state_dict(sched, state_dict):
    lr_lambdas = state_dict.pop("lr_lambdas")
    sched.__dict__.update(state_dict)
    state_dict["lr_lambdas"] = lr_lambdas  # leave the caller's dict as it was
    for idx, fn_state in enumerate(lr_lambdas):
        if fn_state is not None:
            sched.lr_lambdas[idx].__dict__.update(fn_state)


def _lambdas_list(optimizer, lr_lambda):
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * len(optimizer.param_groups)
    if len(lr_lambda) != len(optimizer.param_groups):
        raise ValueError(
            f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}"
        )
    return list(lr_lambda)


# --------------------------------------------------------------------------- base class


class LRScheduler:
    r"""Base class of the learning-rate schedulers.

    Subclasses implement :meth:`get_lr` (the chainable, recursive form) and, where
    there is one, ``_get_closed_form_lr`` (used by the deprecated ``step(epoch)``).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose ``param_groups[i]["lr"]`` the scheduler sets.
    last_epoch : int, default -1
        Index of the last epoch seen. ``-1`` starts a new schedule and records each
        group's ``lr`` as ``initial_lr``; any other value resumes one and requires
        ``initial_lr`` in every param group.

    Attributes
    ----------
    base_lrs : list of float
        The groups' ``initial_lr`` values.
    last_epoch : int
        The number of ``step()`` calls so far (0 right after construction).

    Raises
    ------
    TypeError
        If ``optimizer`` is not an optimizer.
    KeyError
        If ``last_epoch != -1`` and a param group has no ``initial_lr``.

    Notes
    -----
    Constructing a scheduler performs its first step, which sets the groups' ``lr``.
    When restoring a checkpoint, build the scheduler before calling the optimizer's
    ``load_state_dict`` so as not to overwrite the restored learning rates.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import LRScheduler
    >>> class Halving(LRScheduler):
    ...     def get_lr(self):
    ...         return [b * 0.5 ** self.last_epoch for b in self.base_lrs]
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = Halving(opt)
    >>> opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.5]
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        "scheduler with last_epoch >= 0.\n"
                        "This typically happens when:\n"
                        "1. You're trying to resume training from a checkpoint but haven't "
                        "properly loaded the optimizer state\n"
                        "2. You're using last_epoch >= 0 for a fresh training run (not recommended)"
                    )
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch

        # Warn if scheduler.step() is called before optimizer.step() (pytorch#20124).
        _patch_track_step_called(optimizer)
        self._initial_step()

    def _initial_step(self):
        """Reset the step count and take the constructor's step."""
        self._step_count = 0
        with _initial_mode(self):
            self.step()

    def state_dict(self):
        """Return the scheduler's state: every attribute except the optimizer.

        Returns
        -------
        dict
            Plain Python values; it pickles.
        """
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict`.

        Parameters
        ----------
        state_dict : dict
            The scheduler's state.
        """
        self.__dict__.update(state_dict)

    def get_last_lr(self):
        """Return the learning rates set by the last step, one per param group.

        Returns
        -------
        list of float
        """
        return self._last_lr

    def get_lr(self):
        """Compute the next learning rate of each param group (called by :meth:`step`).

        Use :meth:`get_last_lr` to read the current learning rates.
        """
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance the schedule by one step and write the new ``lr`` into each group.

        Parameters
        ----------
        epoch : int, optional
            Deprecated, as in torch: sets ``last_epoch`` to ``epoch`` and uses the
            closed form where the scheduler has one. Warns.

        Notes
        -----
        Call it after the optimizer's ``step()``.
        """
        if self._step_count == 1:
            if not getattr(self.optimizer.step, "_wrapped_by_lr_sched", False):
                warnings.warn(
                    "Seems like `optimizer.step()` has been overridden after learning rate "
                    "scheduler initialization. Please, make sure to call `optimizer.step()` before "
                    "`lr_scheduler.step()`. See more details at "
                    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                    UserWarning,
                    stacklevel=2,
                )
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(
                    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
                    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
                    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
                    "will result in PyTorch skipping the first value of the learning rate "
                    "schedule. "
                    "See more details at "
                    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
                    UserWarning,
                    stacklevel=2,
                )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        with _enable_get_lr_call(self):
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                if hasattr(self, "_get_closed_form_lr"):
                    values = self._get_closed_form_lr()
                else:
                    values = self.get_lr()
        groups = self.optimizer.param_groups
        if len(values) != len(groups):
            raise ValueError(
                f"{type(self).__name__} computed {len(values)} learning rates for "
                f"{len(groups)} param groups"
            )
        for group, lr in zip(groups, values):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")


class _LRScheduler(LRScheduler):
    """Old name of :class:`LRScheduler`, kept as torch keeps it."""


# --------------------------------------------------------------------------- schedulers


class LambdaLR(LRScheduler):
    """Set each group's learning rate to its initial lr times ``lr_lambda(epoch)``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    lr_lambda : callable or list of callable
        ``f(epoch) -> factor``, or one such function per param group.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        If a list of ``lr_lambda`` does not have one entry per param group.

    Notes
    -----
    :meth:`state_dict` saves the ``__dict__`` of callable objects, and ``None`` for
    functions and lambdas (which cannot be saved); :meth:`load_state_dict` restores
    the former into the scheduler's own callables.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import LambdaLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = LambdaLR(opt, lr_lambda=lambda epoch: 1.0 / (epoch + 1))
    >>> for _ in range(3):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.25]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_list(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        """Return the state; functions and lambdas are saved as ``None``."""
        return _lambdas_state_dict(self)

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict`."""
        _lambdas_load_state_dict(self, state_dict)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        return [
            base_lr * lmbda(self.last_epoch)
            for lmbda, base_lr in zip(self.lr_lambdas, self.base_lrs)
        ]


class MultiplicativeLR(LRScheduler):
    """Multiply each group's learning rate by ``lr_lambda(epoch)`` at every step.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    lr_lambda : callable or list of callable
        ``f(epoch) -> factor``, or one such function per param group.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        If a list of ``lr_lambda`` does not have one entry per param group.
    TypeError
        If an ``lr_lambda`` is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import MultiplicativeLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.5)
    >>> for _ in range(3):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.125]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas_list(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        """Return the state; functions and lambdas are saved as ``None``."""
        return _lambdas_state_dict(self)

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict`."""
        _lambdas_load_state_dict(self, state_dict)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [
            group["lr"] * lmbda(self.last_epoch)
            for lmbda, group in zip(self.lr_lambdas, self.optimizer.param_groups)
        ]


class StepLR(LRScheduler):
    """Multiply each group's learning rate by ``gamma`` every ``step_size`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    step_size : int
        Period of the decay.
    gamma : float, default 0.1
        Multiplicative factor of the decay.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Notes
    -----
    Closed form: :math:`\\eta_t = \\eta_0 \\gamma^{\\lfloor t / \\text{step\\_size} \\rfloor}`.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import StepLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    """Multiply each group's learning rate by ``gamma`` at each milestone epoch.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    milestones : iterable of int
        Epoch indices; a milestone listed ``n`` times multiplies by ``gamma ** n``.
    gamma : float, default 0.1
        Multiplicative factor of the decay.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import MultiStepLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        return [
            group["lr"] * self.gamma ** self.milestones[self.last_epoch]
            for group in self.optimizer.param_groups
        ]

    def _get_closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [
            base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
            for base_lr in self.base_lrs
        ]


class ConstantLR(LRScheduler):
    """Multiply each group's learning rate by ``factor`` for the first ``total_iters`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    factor : float, default 1/3
        Factor applied until epoch ``total_iters``; in ``[0, 1]``.
    total_iters : int, default 5
        Number of epochs the factor applies.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        If ``factor`` is outside ``[0, 1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import ConstantLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [
            base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
            for base_lr in self.base_lrs
        ]


class LinearLR(LRScheduler):
    """Ramp each group's learning-rate factor linearly from ``start_factor`` to ``end_factor``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    start_factor : float, default 1/3
        Factor at epoch 0; in ``(0, 1]``.
    end_factor : float, default 1.0
        Factor from epoch ``total_iters`` on; in ``[0, 1]``.
    total_iters : int, default 5
        Length of the ramp.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        If a factor is out of range.

    Notes
    -----
    Closed form: :math:`\\eta_t = \\eta_0 (s + (e - s) \\min(t, T) / T)`.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import LinearLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1
    ):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 "
                "and less or equal to 1."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        delta = self.end_factor - self.start_factor
        ratio = 1.0 + delta / (self.total_iters * self.start_factor + (self.last_epoch - 1) * delta)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [
            base_lr
            * (
                self.start_factor
                + (self.end_factor - self.start_factor)
                * min(self.total_iters, self.last_epoch)
                / self.total_iters
            )
            for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """Multiply each group's learning rate by ``gamma`` every epoch.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    gamma : float
        Multiplicative factor of the decay.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import ExponentialLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> for _ in range(3):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.125]
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        # When resuming, the constructor's step must not advance the lr again.
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class SequentialLR(LRScheduler):
    """Run schedulers one after another, switching to the next at each milestone.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer; every scheduler must belong to it.
    schedulers : list of LRScheduler
        The schedulers, in order (not :class:`ReduceLROnPlateau`).
    milestones : list of int
        Epochs at which to switch; ``len(schedulers) - 1`` of them.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        For an empty list, a :class:`ReduceLROnPlateau`, a scheduler of another
        optimizer, or a wrong number of milestones.
    TypeError
        If an entry has no ``optimizer`` attribute.

    Notes
    -----
    At a milestone the next scheduler restarts from epoch 0 (its closed form if it
    has one), from the groups' ``initial_lr``.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import ConstantLR, ExponentialLR, SequentialLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> warmup = ConstantLR(opt, factor=0.1, total_iters=2)
    >>> decay = ExponentialLR(opt, gamma=0.5)
    >>> sched = SequentialLR(opt, schedulers=[warmup, decay], milestones=[2])
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.1, 0.1, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise ValueError(
                f"{self.__class__.__name__} expects at least one scheduler, but got no scheduler."
            )
        for idx, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(
                    f"{self.__class__.__name__} at index {idx} should have `optimizer` "
                    "as its attribute."
                )
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"{self.__class__.__name__} does not support `ReduceLROnPlateau` scheduler "
                    "as it requires additional kwargs to be specified when calling `step`, "
                    f"but got one at index {idx} in the given schedulers sequence."
                )
            if optimizer != scheduler.optimizer:
                raise ValueError(
                    f"{self.__class__.__name__} expects all schedulers to belong to the same "
                    f"optimizer, but got scheduler {scheduler.__class__.__name__} at index {idx} "
                    f"has {scheduler.optimizer}, "
                    f"which is different from {optimizer.__class__.__name__}."
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to {len(milestones)}"
            )
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer

        # Every scheduler stepped once when it was built: reset the lrs and undo that step,
        # then redo it only for the scheduler that runs at epoch 0.
        for group in self.optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = schedulers[idx].get_last_lr()

    def recursive_undo(self, sched=None):
        """Undo the constructor step of every (nested) scheduler."""
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self):
        """Step the scheduler that is active at the next epoch."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Return the state, with each wrapped scheduler's state in ``_schedulers``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict` (the wrapped schedulers' too)."""
        _schedulers = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        state_dict["_schedulers"] = _schedulers
        for idx, s in enumerate(_schedulers):
            self._schedulers[idx].load_state_dict(s)


class PolynomialLR(LRScheduler):
    """Decay each group's learning rate polynomially to zero over ``total_iters`` epochs.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    total_iters : int, default 5
        Number of epochs of decay.
    power : float, default 1.0
        Power of the polynomial.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Notes
    -----
    Closed form: :math:`\\eta_t = \\eta_0 (1 - \\min(t, T) / T)^p`.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import PolynomialLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = PolynomialLR(opt, total_iters=4, power=1.0)
    >>> lrs = []
    >>> for _ in range(5):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        decay_factor = (
            (1.0 - self.last_epoch / self.total_iters)
            / (1.0 - (self.last_epoch - 1) / self.total_iters)
        ) ** self.power
        return [group["lr"] * decay_factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [
            base_lr
            * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
            for base_lr in self.base_lrs
        ]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's learning rate along a cosine from its initial lr to ``eta_min``.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    T_max : int
        Half-period: epochs from the initial lr down to ``eta_min``.
    eta_min : float, default 0.0
        Minimum learning rate.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Notes
    -----
    The recursive (chainable) form used by :meth:`step`,

    .. math::
        \eta_{t+1} = \eta_{\min} + (\eta_t - \eta_{\min})
        \frac{1 + \cos((t+1)\pi / T_{max})}{1 + \cos(t\pi / T_{max})},

    follows the closed form of SGDR (Loshchilov & Hutter, 2017) without restarts,

    .. math::
        \eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(t\pi / T_{max})),

    and keeps going (back up) after ``T_max``, as torch does.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import CosineAnnealingLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> lrs = []
    >>> for _ in range(2):
    ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 12))
    >>> lrs
    [0.5, 0.0]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and self.last_epoch > 0:
            # first step after resuming: closed form
            return [
                self.eta_min
                + (base_lr - self.eta_min)
                * (1 + math.cos(self.last_epoch * math.pi / self.T_max))
                / 2
                for base_lr in self.base_lrs
            ]
        if (self.last_epoch - 1 - self.T_max) % (2 * self.T_max) == 0:
            # leaving the minimum, where the ratio below would be 0/0
            return [
                group["lr"] + (base_lr - self.eta_min) * (1 - math.cos(math.pi / self.T_max)) / 2
                for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups)
            ]
        return [
            (1 + math.cos(math.pi * self.last_epoch / self.T_max))
            / (1 + math.cos(math.pi * (self.last_epoch - 1) / self.T_max))
            * (group["lr"] - self.eta_min)
            + self.eta_min
            for group in self.optimizer.param_groups
        ]

    def _get_closed_form_lr(self):
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
            for base_lr in self.base_lrs
        ]


class ChainedScheduler(LRScheduler):
    """Step several schedulers at once; their effects on the learning rate multiply.

    Parameters
    ----------
    schedulers : sequence of LRScheduler
        Chainable schedulers (not :class:`ReduceLROnPlateau`), stepped in order.
    optimizer : Optimizer, optional
        Wrapped optimizer; defaults to the first scheduler's.

    Raises
    ------
    ValueError
        For an empty sequence, a :class:`ReduceLROnPlateau`, or schedulers of
        different optimizers.
    TypeError
        If an entry has no ``optimizer`` attribute.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import ChainedScheduler, ConstantLR, ExponentialLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2),
    ...                           ExponentialLR(opt, gamma=0.5)])
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError(
                f"{self.__class__.__name__} expects at least one scheduler to be chained, "
                "but got no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        for idx, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(
                    f"{self.__class__.__name__} at index {idx} should have `optimizer` "
                    "as its attribute."
                )
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"{self.__class__.__name__} does not support `ReduceLROnPlateau` scheduler "
                    "as it requires additional kwargs to be specified when calling `step`, "
                    f"but got one at index {idx} in the given schedulers sequence."
                )
            if optimizer != scheduler.optimizer:
                raise ValueError(
                    f"{self.__class__.__name__} expects all schedulers to belong to the same "
                    f"optimizer, but got scheduler {scheduler.__class__.__name__} at index {idx} "
                    f"has {scheduler.optimizer}, "
                    f"which is different from {optimizer.__class__.__name__}."
                )
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def step(self):
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _group_values(self._schedulers[-1].optimizer, "lr")

    def state_dict(self):
        """Return the state, with each wrapped scheduler's state in ``_schedulers``."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict` (the wrapped schedulers' too)."""
        _schedulers = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        state_dict["_schedulers"] = _schedulers
        for idx, s in enumerate(_schedulers):
            self._schedulers[idx].load_state_dict(s)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the learning rate by ``factor`` when a metric has stopped improving.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    mode : {"min", "max"}, default "min"
        Whether the metric should decrease or increase.
    factor : float, default 0.1
        ``new_lr = lr * factor``; must be < 1.
    patience : int, default 10
        Number of epochs without improvement tolerated before reducing.
    threshold : float, default 1e-4
        Minimum change counted as an improvement.
    threshold_mode : {"rel", "abs"}, default "rel"
        ``rel``: better than ``best * (1 -/+ threshold)``; ``abs``: better than
        ``best -/+ threshold``.
    cooldown : int, default 0
        Epochs to wait after a reduction before counting bad epochs again.
    min_lr : float or list of float, default 0
        Lower bound of the learning rate, for all groups or per group.
    eps : float, default 1e-8
        Reductions smaller than this are skipped.

    Raises
    ------
    ValueError
        If ``factor >= 1``, ``mode`` or ``threshold_mode`` is unknown, or ``min_lr``
        has the wrong length.

    Notes
    -----
    ``step(metrics)`` takes the monitored value; ``last_epoch`` counts calls.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import ReduceLROnPlateau
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
    ...     opt.step(); sched.step(loss)
    >>> sched.get_last_lr()
    [0.5]
    """

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0,
        eps=1e-8,
    ):
        if factor >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = _group_values(self.optimizer, "lr")
        self._init_is_better(mode=mode, threshold=threshold, threshold_mode=threshold_mode)
        self._reset()

    def _reset(self):
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics, epoch=None):
        """Record the monitored metric and reduce the learning rate if it has plateaued.

        Parameters
        ----------
        metrics : float
            The monitored value (anything ``float()`` accepts).
        epoch : int, optional
            Deprecated; warns.
        """
        current = float(metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch

        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count

        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

        self._last_lr = _group_values(self.optimizer, "lr")

    def _reduce_lr(self, epoch):
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(self.optimizer.param_groups)}) differs "
                    f"from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new "
                    "param group being added to the optimizer. Please "
                    "modify the `min_lrs` field to match the length "
                    "of the `optimizer` param groups."
                )
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for i, group in enumerate(self.optimizer.param_groups):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr

    @property
    def in_cooldown(self):
        """Whether the scheduler is in its cooldown period."""
        return self.cooldown_counter > 0

    def _is_better(self, a, best):
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min" and self.threshold_mode == "abs":
            return a < best - self.threshold
        if self.mode == "max" and self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode, threshold, threshold_mode):
        if mode not in {"min", "max"}:
            raise ValueError("mode " + mode + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + threshold_mode + " is unknown!")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict`."""
        self.__dict__.update(state_dict)
        self._init_is_better(
            mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode
        )


class CyclicLR(LRScheduler):
    r"""Cycle each group's learning rate between ``base_lr`` and ``max_lr`` (CLR).

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    base_lr : float or list of float
        Lower boundary of the cycle, for all groups or per group.
    max_lr : float or list of float
        Upper boundary of the cycle (reached only if the scaling allows).
    step_size_up : int, default 2000
        Iterations in the increasing half of a cycle.
    step_size_down : int, optional
        Iterations in the decreasing half; defaults to ``step_size_up``.
    mode : {"triangular", "triangular2", "exp_range"}, default "triangular"
        Amplitude scaling policy; ignored when ``scale_fn`` is given.
    gamma : float, default 1.0
        Base of the ``exp_range`` scaling ``gamma ** iterations``.
    scale_fn : callable, optional
        Custom scaling ``f(x)`` with ``0 <= f(x) <= 1``; overrides ``mode``.
    scale_mode : {"cycle", "iterations"}, default "cycle"
        Argument of ``scale_fn``: the cycle number or the iteration count.
    cycle_momentum : bool, default True
        Cycle ``momentum`` (or ``betas[0]``) inversely to the learning rate.
    base_momentum : float or list of float, default 0.8
        Momentum at the peak of the learning rate.
    max_momentum : float or list of float, default 0.9
        Momentum at the start of a cycle.
    last_epoch : int, default -1
        Index of the last batch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        If ``mode`` is invalid without ``scale_fn``, a per-group list has the wrong
        length, or ``cycle_momentum`` is set for an optimizer without ``momentum``
        or ``betas``.

    Notes
    -----
    Smith (2017), "Cyclical Learning Rates for Training Neural Networks". Step it
    after every batch.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import CyclicLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=0.1, momentum=0.9)
    >>> sched = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(4):
    ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 12))
    >>> lrs
    [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up=2000,
        step_size_down=None,
        mode="triangular",
        gamma=1.0,
        scale_fn=None,
        scale_mode="cycle",
        cycle_momentum=True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch=-1,
    ):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

        base_lrs = _format_param("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr

        self.max_lrs = _format_param("max_lr", optimizer, max_lr)

        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size

        if mode not in ["triangular", "triangular2", "exp_range"] and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")

        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()

        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in defaults
            self.base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            self.max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m_momentum, b_momentum, group in zip(
                    self.max_momentums, self.base_momentums, optimizer.param_groups
                ):
                    _set_momentum(group, self.use_beta1, m_momentum)
                    group["max_momentum"] = m_momentum
                    group["base_momentum"] = b_momentum

        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        if self._scale_fn_custom is not None:
            return
        if self.mode == "triangular":
            self._scale_fn_ref = self._triangular_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "triangular2":
            self._scale_fn_ref = self._triangular2_scale_fn
            self.scale_mode = "cycle"
        elif self.mode == "exp_range":
            self._scale_fn_ref = partial(self._exp_range_scale_fn, self.gamma)
            self.scale_mode = "iterations"

    def scale_fn(self, x):
        """Evaluate the scaling policy (the custom ``scale_fn`` or the mode's)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return self._scale_fn_ref(x)

    @staticmethod
    def _triangular_scale_fn(x):
        return 1.0

    @staticmethod
    def _triangular2_scale_fn(x):
        return 1 / (2.0 ** (x - 1))

    @staticmethod
    def _exp_range_scale_fn(gamma, x):
        return gamma**x

    def get_lr(self):
        """Compute the learning rates; also sets the momentum when it is cycled."""
        _warn_get_lr_called_within_step(self)
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        # scale_fn is evaluated once per group and quantity, as torch does (a custom
        # scale_fn may keep state).
        x_scale = cycle if self.scale_mode == "cycle" else self.last_epoch

        lrs = [
            base_lr + (max_lr - base_lr) * scale_factor * self.scale_fn(x_scale)
            for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)
        ]
        if self.cycle_momentum:
            momentums = [
                max_m - (max_m - base_m) * scale_factor * self.scale_fn(x_scale)
                for base_m, max_m in zip(self.base_momentums, self.max_momentums)
            ]
            for group, momentum in zip(self.optimizer.param_groups, momentums):
                _set_momentum(group, self.use_beta1, momentum)
        return lrs

    def state_dict(self):
        """Return the state; a function ``scale_fn`` is saved as ``None``.

        A callable-object ``scale_fn`` is saved as its ``__dict__``.
        """
        state = super().state_dict()
        state.pop("_scale_fn_ref", None)  # rebuilt from mode by load_state_dict
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = fn.__dict__.copy()
        return state

    def load_state_dict(self, state_dict):
        """Load a state returned by :meth:`state_dict`."""
        fn = state_dict.pop("_scale_fn_custom")
        super().load_state_dict(state_dict)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR).

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    T_0 : int
        Iterations until the first restart.
    T_mult : int, default 1
        Factor by which the period grows after each restart.
    eta_min : float, default 0.0
        Minimum learning rate.
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        If ``T_0`` is not a positive int, ``T_mult`` not an int >= 1, or ``eta_min``
        not a number.

    Notes
    -----
    .. math::
        \eta_t = \eta_{\min} + \tfrac12(\eta_0 - \eta_{\min})(1 + \cos(\pi T_{cur} / T_i)),

    where :math:`T_{cur}` counts epochs since the last restart (Loshchilov & Hutter,
    2017). ``step(epoch)`` accepts fractional epochs, for per-batch stepping.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import CosineAnnealingWarmRestarts
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 12))
    >>> lrs
    [1.0, 0.5, 1.0, 0.5]
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        return [
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
            for base_lr in self.base_lrs
        ]

    def step(self, epoch=None):
        """Advance the schedule; may be called once per batch with a fractional ``epoch``.

        Parameters
        ----------
        epoch : float, optional
            Epoch (possibly fractional) to jump to. Without it, advance by one.

        Raises
        ------
        ValueError
            If ``epoch`` is negative.
        """
        if epoch is None and self.last_epoch < 0:
            epoch = 0

        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** (n)
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)

        with _enable_get_lr_call(self):
            values = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal far below the initial lr.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    max_lr : float or list of float
        Peak learning rate, for all groups or per group.
    total_steps : int, optional
        Total number of steps in the cycle; otherwise ``epochs * steps_per_epoch``.
    epochs : int, optional
        Number of epochs (with ``steps_per_epoch``).
    steps_per_epoch : int, optional
        Steps per epoch (with ``epochs``).
    pct_start : float, default 0.3
        Fraction of the cycle spent increasing the learning rate.
    anneal_strategy : {"cos", "linear"}, default "cos"
        Annealing shape.
    cycle_momentum : bool, default True
        Cycle ``momentum`` (or ``betas[0]``) inversely to the learning rate.
    base_momentum : float or list of float, default 0.85
        Momentum at the peak learning rate.
    max_momentum : float or list of float, default 0.95
        Momentum at the start and end of the cycle.
    div_factor : float, default 25.0
        ``initial_lr = max_lr / div_factor``.
    final_div_factor : float, default 1e4
        ``min_lr = initial_lr / final_div_factor``.
    three_phase : bool, default False
        Use three phases (up, symmetric down to ``initial_lr``, then annihilation)
        as in Smith's paper, instead of fastai's two.
    last_epoch : int, default -1
        Index of the last batch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        For invalid step counts, ``pct_start`` outside ``[0, 1]`` (or not a float),
        an unknown ``anneal_strategy``, ``cycle_momentum`` on an optimizer without
        ``momentum`` or ``betas``, or when stepped more than ``total_steps`` times.

    Notes
    -----
    Smith & Topin (2017), "Super-Convergence". Step it after every batch.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import OneCycleLR
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=0.1, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear")
    >>> sched.get_last_lr()
    [0.04]
    >>> for _ in range(2):
    ...     opt.step(); sched.step()
    >>> sched.get_last_lr()
    [1.0]
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        _check_optimizer(optimizer)
        self.optimizer = optimizer

        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}"
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")

        def phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
            return {
                "end_step": end_step,
                "start_lr": start_lr,
                "end_lr": end_lr,
                "start_momentum": start_momentum,
                "end_momentum": end_momentum,
            }

        up_end = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if three_phase:
            self._schedule_phases = [
                phase(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                phase(
                    float(2 * pct_start * self.total_steps) - 2,
                    "max_lr", "initial_lr", "base_momentum", "max_momentum",
                ),
                phase(last, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._schedule_phases = [
                phase(up_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                phase(last, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]

        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")

        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_func_type = anneal_strategy

        max_lrs = _format_param("max_lr", self.optimizer, max_lr)
        if last_epoch == -1:
            for idx, group in enumerate(self.optimizer.param_groups):
                group["initial_lr"] = max_lrs[idx] / div_factor
                group["max_lr"] = max_lrs[idx]
                group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = cycle_momentum
        if self.cycle_momentum:
            defaults = getattr(optimizer, "defaults", {})
            if "momentum" not in defaults and "betas" not in defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                )
            self.use_beta1 = "betas" in defaults
            max_momentums = _format_param("max_momentum", optimizer, max_momentum)
            base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m_momentum, b_momentum, group in zip(
                    max_momentums, base_momentums, optimizer.param_groups
                ):
                    _set_momentum(group, self.use_beta1, m_momentum)
                    group["max_momentum"] = m_momentum
                    group["base_momentum"] = b_momentum

        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start, end, pct):
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        if self._anneal_func_type == "linear":
            return self._annealing_linear(start, end, pct)
        raise ValueError(f"Unknown _anneal_func_type: {self._anneal_func_type}")

    @staticmethod
    def _annealing_cos(start, end, pct):
        """Cosine anneal from ``start`` to ``end`` as ``pct`` goes from 0 to 1."""
        cos_out = math.cos(math.pi * pct) + 1
        return end + (start - end) / 2.0 * cos_out

    @staticmethod
    def _annealing_linear(start, end, pct):
        """Linear anneal from ``start`` to ``end`` as ``pct`` goes from 0 to 1."""
        return (end - start) * pct + start

    def get_lr(self):
        """Compute the learning rates; also sets the momentum when it is cycled."""
        _warn_get_lr_called_within_step(self)
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"Tried to step {step_num} times. "
                f"The specified number of total steps is {self.total_steps}"
            )
        lrs = []
        last = len(self._schedule_phases) - 1
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, ph in enumerate(self._schedule_phases):
                end_step = ph["end_step"]
                if step_num <= end_step or i == last:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lr = self._anneal_func(group[ph["start_lr"]], group[ph["end_lr"]], pct)
                    if self.cycle_momentum:
                        momentum = self._anneal_func(
                            group[ph["start_momentum"]], group[ph["end_momentum"]], pct
                        )
                    break
                start_step = ph["end_step"]
            lrs.append(lr)
            if self.cycle_momentum:
                _set_momentum(group, self.use_beta1, momentum)
        return lrs


# --------------------------------------------------------------------------- numopt additions


class InverseTimeDecay(LRScheduler):
    r"""Inverse-time decay: :math:`\eta_t = \eta_0 / (1 + \text{decay} \cdot t)`.

    The ``decay`` option of Flux's optimisers (``InvDecay`` in Flux.Optimise), as a
    scheduler. Not in torch.

    Parameters
    ----------
    optimizer : Optimizer
        Wrapped optimizer.
    decay : float
        Decay rate, ``>= 0`` (0 keeps the learning rate constant).
    last_epoch : int, default -1
        Index of the last epoch (``-1`` starts a new schedule).

    Raises
    ------
    ValueError
        If ``decay`` is negative.

    Notes
    -----
    :meth:`step` uses the chainable form
    :math:`\eta_t = \eta_{t-1} (1 + d(t-1)) / (1 + d t)`, so that it composes with
    other schedulers in :class:`ChainedScheduler` as torch's schedulers do; on its
    own it follows the closed form to a few ulps per step. ``step(epoch)`` (deprecated)
    uses the closed form.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> from numopt.optim.lr_scheduler import InverseTimeDecay
    >>> opt = optim.SGD([Parameter(np.zeros(2))], lr=1.0)
    >>> sched = InverseTimeDecay(opt, decay=0.5)
    >>> lrs = [sched.get_last_lr()[0]]
    >>> for _ in range(3):
    ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [1.0, 0.6666666666666666, 0.5, 0.4]
    """

    def __init__(self, optimizer, decay, last_epoch=-1):
        if not decay >= 0.0:
            raise ValueError(f"Invalid decay value: {decay}")
        self.decay = decay
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        _warn_get_lr_called_within_step(self)
        if self._is_initial or self.last_epoch == 0:
            return _group_values(self.optimizer, "lr")
        t = self.last_epoch
        ratio = (1.0 + self.decay * (t - 1)) / (1.0 + self.decay * t)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr / (1.0 + self.decay * self.last_epoch) for base_lr in self.base_lrs]
