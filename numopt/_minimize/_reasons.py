"""The termination reasons of every method, named, in one table.

A state machine ends a run with ``finish(iws, reason)`` (:mod:`._workspace`), where
``reason`` is one of the constants below; :mod:`numopt._result` turns it into scipy's
``status``, ``success`` and ``message`` with :data:`TABLE`. The constants are plain ints,
which numba folds into compiled code.
"""
from collections import namedtuple

Reason = namedtuple("Reason", "code name status success message")

TABLE = (
    # shared
    Reason(0, "CONVERGED", 0, True, "Optimization terminated successfully."),
    Reason(1, "MAXITER", 1, False, "Maximum number of iterations has been exceeded."),
    Reason(2, "PRECISION_LOSS", 2, False,
           "Desired error not necessarily achieved due to precision loss."),
    Reason(3, "NAN_RESULT", 3, False, "NaN result encountered."),
    Reason(4, "MAXFEV", 1, False, "Maximum number of function evaluations has been exceeded."),
    Reason(5, "NONFINITE", 5, False,
           "The objective returned NaN or infinity; the result is the best finite point seen."),
    Reason(6, "CALLBACK_STOP", 99, False, "`callback` raised `StopIteration`."),
    # Nelder-Mead and Powell report the iteration limit with status 2
    Reason(7, "MAXITER_STATUS2", 2, False, "Maximum number of iterations has been exceeded."),
    # Compiled code caught an exception of the objective: never returned, the front door
    # re-raises it (see numopt._minimize._workspace.RAISED).
    Reason(8, "RAISED", -1, False, "The objective raised an exception."),
    # minimize's front door: L-BFGS-B with lb == ub for every variable runs nothing
    Reason(9, "ALL_FIXED", 0, True, "All independent variables were fixed by bounds."),
    # L-BFGS-B, in scipy's words
    Reason(20, "LBFGSB_PGTOL", 0, True, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL"),
    Reason(21, "LBFGSB_FACTR", 0, True, "CONVERGENCE: RELATIVE REDUCTION OF F <= FACTR*EPSMCH"),
    Reason(22, "LBFGSB_MAXITER", 1, False, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"),
    Reason(23, "LBFGSB_MAXFUN", 1, False, "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"),
    Reason(24, "LBFGSB_ABNORMAL", 2, False, "ABNORMAL: "),
    # LBFGS (torch's algorithm)
    Reason(30, "LBFGS_TOLERANCE_GRAD", 0, True,
           "Optimization terminated: gradient norm below tolerance_grad."),
    Reason(31, "LBFGS_TOLERANCE_CHANGE", 0, True,
           "Optimization terminated: change below tolerance_change."),
    Reason(32, "LBFGS_MAX_ITER", 1, False,
           "Maximum number of iterations (max_iter) has been exceeded."),
    Reason(33, "LBFGS_MAX_EVAL", 1, False,
           "Maximum number of function evaluations (max_eval) has been exceeded."),
    # least squares, with scipy's least_squares status. Levenberg-Marquardt: 40 + MINPACK's
    # info (numopt._fit._lm).
    Reason(41, "LM_FTOL", 2, True, "`ftol` termination condition is satisfied."),
    Reason(42, "LM_XTOL", 3, True, "`xtol` termination condition is satisfied."),
    Reason(43, "LM_FTOL_XTOL", 4, True,
           "Both `ftol` and `xtol` termination conditions are satisfied."),
    Reason(44, "LM_GTOL", 1, True, "`gtol` termination condition is satisfied."),
    Reason(45, "LM_MAXFEV", 0, False,
           "The maximum number of function evaluations is exceeded."),
    # info 6-8: ftol, xtol or gtol below machine precision, which scipy's checks exclude
    # (it has no status for them); numopt reports the condition they refine, and success
    # as scipy's status > 0 would.
    Reason(46, "LM_FTOL_EPS", 2, True, "`ftol` is too small: no further reduction in "
           "the sum of squares is possible."),
    Reason(47, "LM_XTOL_EPS", 3, True, "`xtol` is too small: no further improvement in "
           "the approximate solution x is possible."),
    Reason(48, "LM_GTOL_EPS", 1, True, "`gtol` is too small: the residuals are "
           "orthogonal to the Jacobian to machine precision."),
    # numopt's, not MINPACK's (scipy's lm reports the gtol test passed on a NaN Jacobian):
    # a failed evaluation is never a success. Status -3, scipy has none for it.
    Reason(49, "LM_NONFINITE_JAC", -3, False, "The Jacobian is not finite: the residuals or their derivatives are NaN or infinite near x."),
    # Trust Region Reflective: 50 + scipy's status (numopt._fit._trf)
    Reason(50, "TRF_MAXFEV", 0, False,
           "The maximum number of function evaluations is exceeded."),
    Reason(51, "TRF_GTOL", 1, True, "`gtol` termination condition is satisfied."),
    Reason(52, "TRF_FTOL", 2, True, "`ftol` termination condition is satisfied."),
    Reason(53, "TRF_XTOL", 3, True, "`xtol` termination condition is satisfied."),
    Reason(54, "TRF_FTOL_XTOL", 4, True,
           "Both `ftol` and `xtol` termination conditions are satisfied."),
    Reason(55, "TRF_CALLBACK_STOP", -2, False,
           "Stopped because `callback` function raised `StopIteration` or returned `True`"),
    Reason(56, "TRF_NONFINITE_JAC", -3, False, "The Jacobian is not finite: the residuals or their derivatives are NaN or infinite near x."),
)

BY_CODE = {r.code: r for r in TABLE}


def group(prefix):
    """The reasons whose names start with ``prefix`` (one method's)."""
    return tuple(r for r in TABLE if r.name.startswith(prefix))


CONVERGED = 0
MAXITER = 1
PRECISION_LOSS = 2
NAN_RESULT = 3
MAXFEV = 4
NONFINITE = 5
CALLBACK_STOP = 6
MAXITER_STATUS2 = 7
RAISED = 8
ALL_FIXED = 9
LBFGSB_PGTOL = 20
LBFGSB_FACTR = 21
LBFGSB_MAXITER = 22
LBFGSB_MAXFUN = 23
LBFGSB_ABNORMAL = 24
LBFGS_TOLERANCE_GRAD = 30
LBFGS_TOLERANCE_CHANGE = 31
LBFGS_MAX_ITER = 32
LBFGS_MAX_EVAL = 33
LM_FTOL = 41
LM_XTOL = 42
LM_FTOL_XTOL = 43
LM_GTOL = 44
LM_MAXFEV = 45
LM_FTOL_EPS = 46
LM_XTOL_EPS = 47
LM_GTOL_EPS = 48
LM_NONFINITE_JAC = 49
TRF_MAXFEV = 50
TRF_GTOL = 51
TRF_FTOL = 52
TRF_XTOL = 53
TRF_FTOL_XTOL = 54
TRF_CALLBACK_STOP = 55
TRF_NONFINITE_JAC = 56
