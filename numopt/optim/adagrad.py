"""Adagrad."""
from .._rules.adagrad import RULE
from .optimizer import (Optimizer, _check_eps, _check_lr, _check_nonnegative, _check_torch_only,
                        _check_weight_decay)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad`` (dense gradients).

    Parameters
    ----------
    params : iterable
    lr : float, default 1e-2
    lr_decay : float, default 0
        The step size is ``lr / (1 + (t - 1) * lr_decay)``.
    weight_decay : float, default 0
    initial_accumulator_value : float, default 0
    eps : float, default 1e-10
    foreach, fused : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False
    differentiable : bool, default False
        Must be False.

    Notes
    -----
    .. math::
        s_t = s_{t-1} + g_t^2, \qquad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1+(t-1)\eta}\frac{g_t}{\sqrt{s_t}+\epsilon}.

    As in torch, the state (``step`` 0 and ``sum`` filled with
    ``initial_accumulator_value``) is created when the optimizer is built.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0, -1.0]))
    >>> opt = optim.Adagrad([w], lr=0.5)
    >>> for _ in range(200):
    ...     opt.zero_grad(); w.grad = 2 * w.data; _ = opt.step()
    >>> bool(np.abs(w.data).max() < 1e-3)
    True
    """

    _rule = RULE
    _load_defaults = dict(foreach=None, maximize=False, differentiable=False, fused=None)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        initial_accumulator_value = self.defaults["initial_accumulator_value"]
        for group, buckets in zip(self.param_groups, self._buckets):
            for b in buckets:
                b.ensure_rows(self._state_rows(group), lambda name: 0)
                for j in range(len(b.params)):
                    b.init_param(j, lambda name: initial_accumulator_value, {"step": 0})

    def _check_hyper(self, h):
        _check_lr(h)
        _check_nonnegative(h, "lr_decay")
        _check_weight_decay(h)
        _check_nonnegative(h, "initial_accumulator_value")
        _check_eps(h)
        _check_torch_only(h, "differentiable")
