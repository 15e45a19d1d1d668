"""Lion."""
from .._rules.lion import RULE
from .optimizer import Optimizer, _check_betas, _check_lr, _check_weight_decay

__all__ = ["Lion"]


class Lion(Optimizer):
    r"""Lion, evolved sign momentum (Chen et al., 2023).

    torch 2.13 has no Lion; this follows the paper's Algorithm 2 and the reference
    implementation (lucidrains/lion-pytorch): the update is the sign of an
    interpolation of the momentum and the gradient, so every element moves by
    exactly ``lr`` (a learning rate 3-10x smaller than AdamW's is typical).

    Parameters
    ----------
    params : iterable
        Parameters, named parameters or parameter-group dicts.
    lr : float, default 1e-4
    betas : (float, float), default (0.9, 0.99)
        Interpolation weight of the update (:math:`\beta_1`) and decay of the momentum
        (:math:`\beta_2`), each in [0, 1).
    weight_decay : float, default 0
        Decoupled: the parameters are scaled by ``1 - lr * weight_decay`` before the
        update.
    maximize : bool, default False
    foreach : optional
        Accepted for symmetry with torch's optimizers; no effect.

    Notes
    -----
    .. math::
        c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        \theta_t = (1 - \gamma\lambda)\,\theta_{t-1} - \gamma\,\mathrm{sign}(c_t), \quad
        m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t.

    The state is ``exp_avg`` (:math:`m`) only; there is no step count.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0, -2.0]))
    >>> opt = optim.Lion([w], lr=0.01)
    >>> w.grad = np.array([0.5, -3.0])
    >>> _ = opt.step()                 # each element moves by lr against the gradient's sign
    >>> w.data
    array([ 0.99, -1.99])
    """

    _rule = RULE
    _load_defaults = dict(maximize=False, foreach=None)

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *,
                 maximize=False, foreach=None):
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize,
                        foreach=foreach)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        _check_betas(h)
        _check_weight_decay(h)
