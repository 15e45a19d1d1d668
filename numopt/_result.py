"""The results: ``OptimizeResult``, ``BatchResult`` and the one table of termination reasons.

Solvers end with an integer *reason*. This table turns it into scipy's fields: the
``status`` number scipy's method would report, ``success`` and ``message`` (scipy's
words where scipy has them). Solvers and the batch driver share it, so a code means
the same thing everywhere. The front doors and the batch executor build their results
here, below all of them.
"""
import numpy as np
from scipy.optimize import OptimizeResult as _ScipyOptimizeResult

from ._minimize import _reasons

__all__ = ["OptimizeResult", "BatchResult", "REASONS", "describe"]


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


class BatchResult:
    """The results of :func:`numopt.minimize_batch`, one entry per problem.

    Attributes
    ----------
    x : ndarray, shape (B, n)
    fun : ndarray, shape (B,)
    jac : ndarray, shape (B, n)
        Gradients at ``x`` (methods that use gradients; NaN otherwise).
    nit, nfev : ndarray of int, shape (B,)
    status : ndarray of int, shape (B,)
        scipy's status number of each problem.
    success : ndarray of bool, shape (B,)
    reason : ndarray of int, shape (B,)
        numopt's termination reason (see ``message``).
    message : dict
        ``{reason: text}`` for the reasons that occur.

    ``res[i]`` is problem ``i`` as an :class:`OptimizeResult`; ``len(res)`` is B.
    """

    def __init__(self, x, fun, jac, nit, nfev, reason, uses_gradient=True):
        self.x, self.fun, self.jac, self.nit, self.nfev = x, fun, jac, nit, nfev
        self.reason = reason
        codes, index = np.unique(reason, return_inverse=True)
        table = [describe(r) for r in codes]  # vectorised: B can be millions
        self.status = np.array([t[0] for t in table], dtype=np.int64)[index].reshape(reason.shape)
        self.success = np.array([t[1] for t in table], dtype=bool)[index].reshape(reason.shape)
        self.message = {int(r): t[2] for r, t in zip(codes, table)}
        self._uses_gradient = uses_gradient

    def __len__(self):
        return self.x.shape[0]

    def __getitem__(self, i):
        r = int(self.reason[i])
        res = OptimizeResult(x=self.x[i].copy(), fun=float(self.fun[i]), nit=int(self.nit[i]),
                             nfev=int(self.nfev[i]), status=int(self.status[i]),
                             success=bool(self.success[i]), message=self.message[r])
        if self._uses_gradient:
            res["jac"] = self.jac[i].copy()
            res["njev"] = int(self.nfev[i])
        return res

    def __repr__(self):
        ok = int(self.success.sum())
        return (f"BatchResult({len(self)} problems, {ok} successful; "
                f"reasons {dict(zip(*np.unique(self.reason, return_counts=True)))})")
