"""SGD with momentum."""
from .._rules.sgd import RULE
from .optimizer import (Optimizer, _check_lr, _check_nonnegative, _check_number,
                        _check_torch_only, _check_weight_decay)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with (Nesterov) momentum, as ``torch.optim.SGD``.

    Parameters
    ----------
    params : iterable
        Parameters, named parameters or parameter-group dicts.
    lr : float, default 1e-3
    momentum : float, default 0
    dampening : float, default 0
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    nesterov : bool, default False
    maximize : bool, default False
        Maximise the objective instead of minimising it.
    foreach, fused : optional
        Accepted for compatibility with torch; no effect.
    differentiable : bool, default False
        Must be False (numopt has no autograd).

    Notes
    -----
    With gradient :math:`g_t` (plus :math:`\lambda\theta_{t-1}` for weight decay) and
    momentum :math:`\mu`:

    .. math::
        b_t = \mu b_{t-1} + (1-\tau) g_t \ (b_1 = g_1), \qquad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if Nesterov else } b_t).

    This is torch's formulation (Sutskever et al.), in which the learning rate
    multiplies the velocity rather than the gradient inside it.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0, -2.0]))
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(200):
    ...     opt.zero_grad()
    ...     w.grad = 2 * w.data          # gradient of sum(w**2)
    ...     _ = opt.step()
    >>> bool(np.abs(w.data).max() < 1e-3)
    True
    """

    _rule = RULE
    _load_defaults = dict(nesterov=False, maximize=False, foreach=None, differentiable=False,
                          fused=False)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        _check_nonnegative(h, "momentum")
        _check_number(h, "dampening")
        _check_weight_decay(h)
        _check_torch_only(h, "differentiable")
        if h["nesterov"] and (h["momentum"] <= 0 or h["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _loaded_entry(self, group, entry, pid):
        # torch before 2.0 stored ``momentum_buffer: None`` for a buffer not made yet.
        entry = super()._loaded_entry(group, entry, pid)
        if entry.get("momentum_buffer", 0) is None:
            entry = {k: v for k, v in entry.items() if k != "momentum_buffer"}
        return entry
