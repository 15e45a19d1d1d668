"""Adamax."""
from .._rules.adamax import RULE
from .optimizer import (Optimizer, _check_betas, _check_eps, _check_lr,
                        _check_torch_only, _check_weight_decay)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, Adam with an infinity-norm second moment, as ``torch.optim.Adamax``.

    Parameters
    ----------
    params : iterable
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    foreach : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False
    differentiable, capturable : bool, default False
        Must be False.

    Notes
    -----
    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\frac{m_t}{u_t}.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([2.0]))
    >>> opt = optim.Adamax([w], lr=0.1)
    >>> for _ in range(200):
    ...     opt.zero_grad(); w.grad = 2 * w.data; _ = opt.step()
    >>> bool(abs(w.data[0]) < 1e-2)
    True
    """

    _rule = RULE
    _load_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        _check_eps(h)
        _check_betas(h)
        _check_weight_decay(h)
        _check_torch_only(h, "capturable", "differentiable")
