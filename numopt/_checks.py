"""Checks of hyperparameters and options, shared by ``numopt.optim`` and ``minimize``.

Each optimizer's ``_check_hyper(h)`` runs these on a dict of hyperparameters (its
constructor's defaults, a parameter group, a loaded group) in torch's order, with
torch's messages where torch checks a value; ``minimize(method="LBFGS")`` checks its
options with the same functions as ``optim.LBFGS``. Types are checked first, so a
string or None gets a TypeError naming the argument rather than a failed comparison.
Values may be normalised in place: a pair becomes a tuple, a 1-element array lr a 0-d
view. A module of its own, below both, so that neither imports the other for them.
"""
import numbers
from collections.abc import Sequence

import numpy as np

def _describe(value):
    return f"{type(value).__name__} {value!r}"


def _real(value, name, arrays=False):
    """``value`` if it is a real number, else TypeError.

    With ``arrays``, a 1-element real array (torch's Tensor hyperparameter) is accepted
    too and returned as a 0-d view of itself.
    """
    if type(value) is float:
        return value
    if arrays and isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"Tensor {name} must be 1-element")
        if value.dtype.kind not in "fiu":
            raise TypeError(f"{name} must be a real number or a 1-element real array, got "
                            f"an array of dtype {value.dtype}")
        return value.reshape(()) if value.ndim else value
    if isinstance(value, numbers.Real):  # int, bool, NumPy's real scalars, Fraction
        try:
            float(value)
        except OverflowError:
            raise ValueError(f"{name} = {value} is too large for a float") from None
        return value
    kind = "a real number or a 1-element real array" if arrays else "a real number"
    raise TypeError(f"{name} must be {kind}, got {_describe(value)}")


def _not_nan(value, name):
    if value != value:
        raise ValueError(f"{name} must be a real number, got nan")
    return value


def _pair(value, name, arrays=False):
    """``value`` (a tuple, list or 1-d array of two real numbers) as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a pair of real numbers, got {_describe(value)}")
    if (isinstance(value, np.ndarray) and value.ndim != 1) or len(value) != 2:
        raise ValueError(f"{name} must be a pair of real numbers, got {value!r}")
    return (_real(value[0], f"{name}[0]", arrays), _real(value[1], f"{name}[1]", arrays))


def _check_lr(h):
    lr = h["lr"] = _real(h["lr"], "lr", arrays=True)
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonnegative(h, name, what=None):
    """torch's ``if not 0.0 <= value: raise ValueError("Invalid <what> value: ...")``."""
    value = h[name] = _real(h[name], name)
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what or name} value: {value}")


def _check_eps(h):
    _check_nonnegative(h, "eps", "epsilon")


def _check_weight_decay(h):
    _check_nonnegative(h, "weight_decay")


def _check_number(h, name):
    """A hyperparameter torch does not check: any real number but NaN."""
    h[name] = _not_nan(_real(h[name], name), name)


def _check_betas(h):
    """torch's range checks of ``betas``; each may be a number or a 1-element array."""
    beta1, beta2 = h["betas"] = _pair(h["betas"], "betas", arrays=True)
    if not 0.0 <= beta1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {beta1}")
    if not 0.0 <= beta2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {beta2}")


def _check_betas_kind(h):
    """torch's Adam (and AdamW): no bools, and not one array and one number."""
    beta1, beta2 = h["betas"]
    if (isinstance(beta1, bool) or isinstance(beta2, bool)
            or isinstance(beta1, np.ndarray) != isinstance(beta2, np.ndarray)):
        raise ValueError("betas must be either both floats or both Tensors")


def _check_torch_only(h, *names):
    """Reject options that only make sense for torch tensors (autograd, CUDA graphs).

    ``foreach`` and ``fused`` are accepted and have no effect: numopt always runs one
    fused compiled call per buffer.
    """
    for name in names:
        if h[name]:
            raise ValueError(
                f"{name}=True is not supported: numopt has no autograd or CUDA graphs "
                "(options that exist for torch tensors only)"
            )
