"""``OptimizeResult`` and the one table of termination reasons.

Solvers end with an integer *reason*. This table turns it into scipy's fields: the
``status`` number scipy's method would report, ``success`` and ``message`` (scipy's
words where scipy has them). Solvers and the batch driver share it, so a code means
the same thing everywhere.
"""
from scipy.optimize import OptimizeResult as _ScipyOptimizeResult

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


# reason -> (status, success, message)
REASONS = {
    # shared
    0: (0, True, "Optimization terminated successfully."),
    1: (1, False, "Maximum number of iterations has been exceeded."),
    2: (2, False, "Desired error not necessarily achieved due to precision loss."),
    3: (3, False, "NaN result encountered."),
    4: (1, False, "Maximum number of function evaluations has been exceeded."),
    5: (5, False, "The objective returned NaN or infinity; the result is the best finite point seen."),
    6: (99, False, "`callback` raised `StopIteration`."),
    7: (2, False, "Maximum number of iterations has been exceeded."),  # Nelder-Mead, Powell
    # Compiled code caught an exception of the objective: never returned, the front
    # door re-raises it (see numopt._minimize._workspace.RAISED).
    8: (-1, False, "The objective raised an exception."),
    # minimize's front door: L-BFGS-B with lb == ub for every variable runs nothing
    9: (0, True, "All independent variables were fixed by bounds."),
    # L-BFGS-B, in scipy's words
    20: (0, True, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"),
    21: (0, True, "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH"),
    22: (1, False, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"),
    23: (1, False, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"),
    24: (2, False, "ABNORMAL: "),
    # LBFGS (torch's algorithm)
    30: (0, True, "Optimization terminated: gradient norm below tolerance_grad."),
    31: (0, True, "Optimization terminated: change below tolerance_change."),
    32: (1, False, "Maximum number of iterations (max_iter) has been exceeded."),
    33: (1, False, "Maximum number of function evaluations (max_eval) has been exceeded."),
}


def describe(reason):
    """Return ``(status, success, message)`` for a termination reason."""
    return REASONS[int(reason)]
