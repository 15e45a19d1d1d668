"""``OptimizeResult`` and the one table of termination reasons.

Solvers end with an integer *reason*. This table turns it into scipy's fields: the
``status`` number scipy's method would report, ``success`` and ``message`` (scipy's
words where scipy has them). Solvers and the batch driver share it, so a code means
the same thing everywhere.
"""
from scipy.optimize import OptimizeResult as _ScipyOptimizeResult

from ._minimize import _reasons

__all__ = ["OptimizeResult", "REASONS", "describe"]


class OptimizeResult(_ScipyOptimizeResult):
    """The result of :func:`numopt.minimize`: a ``scipy.optimize.OptimizeResult``.

    Attributes
    ----------
    x : ndarray
        The solution (the best finite point seen if the run failed).
    fun : float
        The objective at ``x``.
    jac : ndarray
        The gradient at ``x`` (methods that use gradients).
    nit, nfev, njev : int
        Iterations, objective evaluations and gradient evaluations.
    status : int
        scipy's status number for the method (0 is success).
    success : bool
    message : str
    """


# reason -> (status, success, message), from the one table of named reasons
REASONS = {r.code: (r.status, r.success, r.message) for r in _reasons.TABLE}


def describe(reason):
    """Return ``(status, success, message)`` for a termination reason."""
    return REASONS[int(reason)]
