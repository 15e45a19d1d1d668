"""The finite-difference steps both least-squares machines take, as scipy takes them.

scipy's ``approx_derivative`` (``_compute_absolute_step``) steps a variable at ``x`` by
``h = s sign(x) max(1, |x|)``, with ``s`` the square root (``"2-point"``) or cube root
(``"3-point"``) of the residuals' machine epsilon, or by ``h = diff_step sign(x) |x|``
where ``diff_step`` is given and that step is not lost in ``x + h``; ``sign(0)`` is 1.
"""
from .._minimize._standalone import jitable

__all__ = ["scipy_step"]


@jitable
def scipy_step(xj, rel, eps):
    """The step for a variable at ``xj``: ``rel`` scipy's ``diff_step`` (NaN for None),
    ``eps`` the relative step of the scheme."""
    sign = 1.0 if xj >= 0.0 else -1.0
    if rel == rel:
        h = rel * sign * abs(xj)
        if (xj + h) - xj == 0.0:
            h = eps * sign * max(1.0, abs(xj))
        return h
    return eps * sign * max(1.0, abs(xj))
