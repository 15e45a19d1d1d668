"""ASGD."""
from .._rules.asgd import RULE
from .optimizer import (Optimizer, _check_lr, _check_number, _check_torch_only,
                        _check_weight_decay)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent (Polyak and Juditsky, 1992), as ``torch.optim.ASGD``.

    Parameters
    ----------
    params : iterable
    lr : float, default 1e-2
    lambd : float, default 1e-4
        Decay term.
    alpha : float, default 0.75
        Power of the step-size schedule.
    t0 : float, default 1e6
        Step at which averaging starts.
    weight_decay : float, default 0
    foreach : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False
    differentiable, capturable : bool, default False
        Must be False.

    Notes
    -----
    .. math::
        \theta_t = \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t, \quad
        \bar\theta_t = \bar\theta_{t-1} + \mu_{t-1}(\theta_t - \bar\theta_{t-1}),

    with :math:`\eta_t = \gamma / (1 + \lambda\gamma t)^\alpha` and
    :math:`\mu_t = 1/\max(1, t - t_0)`. The average is the state ``ax``; ``eta`` and
    ``mu`` are per-parameter scalars kept in float64.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0]))
    >>> opt = optim.ASGD([w], lr=0.1, t0=5)
    >>> for _ in range(100):
    ...     opt.zero_grad(); w.grad = 2 * w.data; _ = opt.step()
    >>> bool(abs(opt.state[w]["ax"][0]) < 0.05)
    True
    """

    _rule = RULE
    _load_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        # torch checks only lr and weight_decay; lambd, alpha and t0 must be numbers too.
        for name in ("lambd", "alpha", "t0"):
            _check_number(h, name)
        _check_weight_decay(h)
        _check_torch_only(h, "capturable", "differentiable")
