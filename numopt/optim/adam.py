"""Adam."""
from .._rules.adam import RULE
from .optimizer import (Optimizer, _check_betas, _check_betas_kind, _check_eps, _check_lr,
                        _check_torch_only, _check_weight_decay)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015), as ``torch.optim.Adam``.

    Parameters
    ----------
    params : iterable
        Parameters, named parameters or parameter-group dicts.
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moment averages, each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0
        L2 penalty added to the gradient, or with ``decoupled_weight_decay`` a
        multiplicative decay of the parameters (AdamW).
    amsgrad : bool, default False
        Normalise by the running maximum of the second moment (Reddi et al., 2018).
    maximize : bool, default False
    decoupled_weight_decay : bool, default False
        Decay the parameters by ``1 - lr * weight_decay`` before the update (AdamW).
    foreach, fused : optional
        Accepted for compatibility with torch; no effect.
    capturable, differentiable : bool, default False
        Must be False (CUDA graphs and autograd are torch's).

    Notes
    -----
    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}
                   \frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}.

    As in torch, :math:`\epsilon` is added after the bias correction of
    :math:`\sqrt{v_t}` (optax's ``eps`` sits there too; the paper's
    :math:`\hat\epsilon` variant differs).

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([3.0, -1.0]))
    >>> opt = optim.Adam([w], lr=0.1)
    >>> for _ in range(300):
    ...     opt.zero_grad()
    ...     w.grad = 2 * (w.data - 1.0)
    ...     _ = opt.step()
    >>> np.round(w.data, 3)
    array([1., 1.])
    """

    _rule = RULE
    # torch's __setstate__ also fills in amsgrad (for state dicts older than 2018); here
    # it must be there, so that RAdam's state dict, with the same keys, is not taken.
    _load_defaults = dict(maximize=False, foreach=None, capturable=False, differentiable=False,
                          decoupled_weight_decay=False, fused=None)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        _check_eps(h)
        _check_betas(h)
        _check_weight_decay(h)
        _check_betas_kind(h)
        _check_torch_only(h, "capturable", "differentiable")
