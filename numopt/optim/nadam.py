"""NAdam."""
from .._rules.nadam import RULE
from .optimizer import (Optimizer, _check_betas, _check_eps, _check_lr, _check_nonnegative,
                        _check_torch_only, _check_weight_decay)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as ``torch.optim.NAdam``.

    Parameters
    ----------
    params : iterable
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum_decay : float, default 4e-3
        :math:`\psi` in the momentum schedule :math:`\mu_t = \beta_1(1 - 0.5\cdot 0.96^{t\psi})`.
    decoupled_weight_decay : bool, default False
        Decay the parameters by ``1 - lr * weight_decay`` (as AdamW) instead of adding
        an L2 term to the gradient.
    foreach : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False
    capturable, differentiable : bool, default False
        Must be False.

    Notes
    -----
    .. math::
        \theta_t = \theta_{t-1}
          - \gamma\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g_t}{\sqrt{\hat v_t}+\epsilon}
          - \gamma\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m_t}{\sqrt{\hat v_t}+\epsilon},
        \qquad \hat v_t = v_t / (1-\beta_2^t).

    The running product ``mu_product`` is per-parameter state kept in float64 (torch
    keeps it in its default dtype, float32 unless changed).

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0, 2.0]))
    >>> opt = optim.NAdam([w], lr=0.05)
    >>> for _ in range(300):
    ...     opt.zero_grad(); w.grad = 2 * w.data; _ = opt.step()
    >>> bool(np.abs(w.data).max() < 1e-2)
    True
    """

    _rule = RULE
    _load_defaults = dict(maximize=False, foreach=None, capturable=False, differentiable=False,
                          decoupled_weight_decay=False)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        _check_eps(h)
        _check_betas(h)
        _check_weight_decay(h)
        _check_nonnegative(h, "momentum_decay")
        _check_torch_only(h, "capturable", "differentiable")
