"""RAdam."""
from .._rules.radam import RULE
from .optimizer import (Optimizer, _check_betas, _check_eps, _check_lr,
                        _check_torch_only, _check_weight_decay)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020): Adam with a rectified adaptive learning rate, as ``torch.optim.RAdam``.

    Parameters
    ----------
    params : iterable
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    decoupled_weight_decay : bool, default False
    foreach : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False
    capturable, differentiable : bool, default False
        Must be False.

    Notes
    -----
    With :math:`\rho_\infty = 2/(1-\beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1-\beta_2^t)`, the step is SGD with
    momentum on the bias-corrected :math:`\hat m_t` while :math:`\rho_t \le 5`, and
    Adam's step scaled by
    :math:`r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}`
    afterwards.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0]))
    >>> opt = optim.RAdam([w], lr=0.05)
    >>> for _ in range(400):
    ...     opt.zero_grad(); w.grad = 2 * w.data; _ = opt.step()
    >>> bool(abs(w.data[0]) < 1e-2)
    True
    """

    _rule = RULE
    _load_defaults = dict(foreach=None, maximize=False, differentiable=False,
                          decoupled_weight_decay=False, capturable=False)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        _check_eps(h)
        _check_betas(h)
        _check_weight_decay(h)
        _check_torch_only(h, "capturable", "differentiable")
