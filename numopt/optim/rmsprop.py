"""RMSprop."""
from .._rules.rmsprop import RULE
from .optimizer import (Optimizer, _check_eps, _check_lr, _check_nonnegative, _check_torch_only,
                        _check_weight_decay)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), optionally centered and with momentum, as ``torch.optim.RMSprop``.

    Parameters
    ----------
    params : iterable
    lr : float, default 1e-2
    alpha : float, default 0.99
        Smoothing constant of the squared-gradient average.
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False
        Normalise by an estimate of the gradient's variance rather than its second moment.
    capturable, differentiable : bool, default False
        Must be False.
    foreach : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False

    Notes
    -----
    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        \tilde v_t = v_t - \bar g_t^2 \text{ (centered) or } v_t, \quad
        b_t = \mu b_{t-1} + \frac{g_t}{\sqrt{\tilde v_t}+\epsilon}, \quad
        \theta_t = \theta_{t-1} - \gamma b_t,

    with :math:`\bar g_t` the running average of the gradient and :math:`b_t = g_t /
    (\sqrt{\tilde v_t}+\epsilon)` when momentum is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0]))
    >>> opt = optim.RMSprop([w], lr=0.01, momentum=0.9, centered=True)
    >>> w.grad = np.array([0.5]); _ = opt.step()
    >>> sorted(opt.state[w])
    ['grad_avg', 'momentum_buffer', 'square_avg', 'step']
    """

    _rule = RULE
    _load_defaults = dict(momentum=0, centered=False, foreach=None, maximize=False,
                          differentiable=False, capturable=False)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        _check_eps(h)
        _check_nonnegative(h, "momentum")
        _check_weight_decay(h)
        _check_nonnegative(h, "alpha")
        _check_torch_only(h, "capturable", "differentiable")
