"""Rprop."""
from .._rules.rprop import RULE
from .optimizer import Optimizer, _check_lr, _check_torch_only, _not_nan, _pair

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller and Braun, 1993), as ``torch.optim.Rprop``.

    Parameters
    ----------
    params : iterable
    lr : float, default 1e-2
        Initial step size of every element.
    etas : (float, float), default (0.5, 1.2)
        Multiplicative decrease and increase factors, ``0 < etaminus < 1 < etaplus``.
    step_sizes : (float, float), default (1e-6, 50)
        Minimal and maximal step sizes.
    capturable, differentiable : bool, default False
        Must be False.
    foreach : optional
        Accepted for compatibility with torch; no effect.
    maximize : bool, default False

    Notes
    -----
    Each element keeps its own step size :math:`\Delta`, multiplied by ``etaplus`` when
    the gradient keeps its sign and by ``etaminus`` when it flips (that element then
    skips the update and forgets its gradient); the parameter moves by
    :math:`-\operatorname{sign}(g)\Delta`. Only the gradient's sign is used, so Rprop
    suits full-batch problems.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.array([1.0, -3.0]))
    >>> opt = optim.Rprop([w], lr=0.1)
    >>> for _ in range(100):
    ...     opt.zero_grad(); w.grad = 2 * w.data; _ = opt.step()
    >>> bool(np.abs(w.data).max() < 1e-3)
    True
    """

    _rule = RULE
    _load_defaults = dict(foreach=None, maximize=False, differentiable=False, capturable=False)

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        _check_lr(h)
        etaminus, etaplus = h["etas"] = _pair(h["etas"], "etas")
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus}")
        # torch does not check step_sizes; numopt checks they are two numbers.
        h["step_sizes"] = tuple(_not_nan(v, f"step_sizes[{i}]") for i, v in
                                enumerate(_pair(h["step_sizes"], "step_sizes")))
        _check_torch_only(h, "capturable", "differentiable")
