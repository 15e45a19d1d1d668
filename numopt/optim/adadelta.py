"""Adadelta."""
from .._rules.adadelta import RULE
from .optimizer import (Optimizer, _check_eps, _check_lr, _check_torch_only, _check_weight_decay,
                        _real)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), as ``torch.optim.Adadelta``.

    Parameters
    ----------
    params : iterable
    lr : float, default 1.0
        Scales the delta before it is applied.
    rho : float, default 0.9
        Decay rate of both running averages, in [0, 1].
    eps : float, default 1e-6
    weight_decay : float, default 0
    foreach : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False
    capturable, differentiable : bool, default False
        Must be False.

    Notes
    -----
    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}} g_t, \quad
        u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2, \quad
        \theta_t = \theta_{t-1} - \gamma\Delta_t.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0]))
    >>> opt = optim.Adadelta([w], lr=1.0)
    >>> w.grad = np.array([1.0]); _ = opt.step()
    >>> sorted(opt.state[w])
    ['acc_delta', 'square_avg', 'step']
    """

    _rule = RULE
    _load_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        rho = _real(h["rho"], "rho")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_eps(h)
        _check_weight_decay(h)
        _check_torch_only(h, "capturable", "differentiable")
