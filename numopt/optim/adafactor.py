"""Adafactor."""
from collections.abc import Sequence

import numpy as np

from .._rules.adafactor import RULE
from .optimizer import Optimizer, _describe, _real

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer and Stern, 2018), as torch 2.13's ``torch.optim.Adafactor``.

    The second moment of a parameter with two or more dimensions is factored over its
    last two: the state keeps its mean over the last dimension (``row_var``, of shape
    ``(..., R, 1)``) and over the second to last (``col_var``, ``(..., 1, C)``) instead
    of one value per element; a 0-d or 1-d parameter keeps ``variance`` of its own
    shape. The step is relative to the parameter's RMS and clipped by the update's.

    Parameters
    ----------
    params : iterable
        Parameters, named parameters or parameter-group dicts.
    lr : float or 1-element array, default 1e-2
        The largest relative step size :math:`\rho_t = \min(lr, 1/\sqrt{t})`, and the
        coefficient of the decoupled weight decay (torch's use; the paper has none).
    beta2_decay : float, default -0.8
        :math:`1 - \hat\beta_{2,t} = t^{\tau}`, the weight of the new squared gradient;
        at most 0.
    eps : (float or None, float), default (None, 1e-3)
        :math:`\epsilon_1`, the floor of the row means and (squared) of the variance
        estimate; None is the machine epsilon of the first parameter of the group
        with a gradient (torch's rule: float32's for a float64 parameter behind a
        float32 one). :math:`\epsilon_2`, the floor of the parameter's RMS.
    d : float, default 1.0
        Clipping threshold of the update's RMS; at least 1.
    weight_decay : float, default 0
        Decoupled: the parameters are scaled by ``1 - lr * weight_decay`` (after their
        RMS is taken) before the update.
    foreach : optional
        Accepted for torch's signature; no effect.
    maximize : bool, default False

    Notes
    -----
    With :math:`G` the gradient of the last two dimensions,

    .. math::
        R_t = \hat\beta_{2,t} R_{t-1} + (1-\hat\beta_{2,t})\,\mathrm{mean}_{-1}(G^2), \quad
        C_t = \hat\beta_{2,t} C_{t-1} + (1-\hat\beta_{2,t})\,\mathrm{mean}_{-2}(G^2),

        \hat V_t = \frac{R_t C_t}{\max(\mathrm{mean}_{-2}(R_t), \epsilon_1)}, \quad
        U_t = \frac{G}{\max(\sqrt{\hat V_t}, \epsilon_1)}, \quad
        \theta_t = \theta_{t-1} - \frac{\max(\epsilon_2, \mathrm{RMS}(\theta_{t-1}))\,\rho_t}
                   {\max(1, \mathrm{RMS}(U_t)/d)}\,U_t .

    The state is ``step`` and ``row_var``/``col_var`` or ``variance``, in torch's shapes,
    so ``state_dict()`` has torch's layout. numopt stores each factored array in the
    first elements of the parameter's slice of a full-size state row, so its memory is
    two parameters' worth, not torch's :math:`R + C` per matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.ones((2, 3)))
    >>> opt = optim.Adafactor([w])
    >>> w.grad = np.ones((2, 3))
    >>> _ = opt.step()
    >>> opt.state[w]["row_var"].shape, opt.state[w]["col_var"].shape
    ((2, 1), (1, 3))
    >>> w.data                          # the RMS 1 times lr 0.01, in the gradient's sign
    array([[0.99, 0.99, 0.99],
           [0.99, 0.99, 0.99]])
    """

    _rule = RULE
    _load_defaults = dict(foreach=None)

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyper(self, h):
        # torch's checks, in torch's order, with its messages; types first
        lr = h["lr"] = _real(h["lr"], "lr", arrays=True)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        beta2_decay = h["beta2_decay"] = _real(h["beta2_decay"], "beta2_decay")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        eps1, eps2 = h["eps"] = _eps_pair(h["eps"])
        if eps1 is not None and not 0.0 <= eps1:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps1}")
        if not 0.0 <= eps2:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps2}")
        d = h["d"] = _real(h["d"], "d")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        weight_decay = h["weight_decay"] = _real(h["weight_decay"], "weight_decay")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")

    def _plan_bucket(self, group, b):
        for p in b.params:
            if p._has_grad and p.size == 0 and any(p.shape[-2:]):
                # its row_var or col_var would have elements, its slice of a row has none
                raise ValueError(f"Adafactor cannot step an empty parameter of shape "
                                 f"{p.shape} (its factored state would not be empty)")
        eps1, eps2 = group["eps"]
        if eps1 is None:
            # torch sets eps1 from the first parameter with a gradient and keeps it for
            # the rest of the group, whatever their dtypes
            for p in group["params"]:
                if p._has_grad:
                    group = dict(group, eps=(float(np.finfo(p.dtype).eps), eps2))
                    break
        return super()._plan_bucket(group, b)


def _eps_pair(value):
    """``eps`` as a tuple: ``(None or a real number, a real number)``."""
    name = "eps"
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a pair of real numbers, got {_describe(value)}")
    if (isinstance(value, np.ndarray) and value.ndim != 1) or len(value) != 2:
        raise ValueError(f"{name} must be a pair of real numbers, got {value!r}")
    first = None if value[0] is None else _real(value[0], f"{name}[0]")
    return first, _real(value[1], f"{name}[1]")
