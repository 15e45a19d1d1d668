"""AdamW: Adam with decoupled weight decay."""
from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019), as ``torch.optim.AdamW``.

    :class:`Adam` with ``decoupled_weight_decay=True`` and a default
    ``weight_decay`` of 1e-2: each step first scales the parameters by
    :math:`1 - \gamma\lambda`, then applies Adam's update without weight decay in
    the gradient. Parameters as :class:`Adam`.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.ones(3, dtype=np.float32))
    >>> opt = optim.AdamW([w], lr=1e-2)
    >>> w.grad = np.zeros(3, dtype=np.float32)
    >>> _ = opt.step()                 # pure decay: w *= 1 - 1e-2 * 1e-2
    >>> w.data
    array([0.9999, 0.9999, 0.9999], dtype=float32)
    """

    # A loaded group without the key is decoupled: torch's AdamW makes every group so.
    _load_defaults = dict(Adam._load_defaults, decoupled_weight_decay=True)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
