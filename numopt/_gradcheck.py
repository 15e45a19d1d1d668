"""``numopt.approx_fprime`` and ``numopt.check_grad``: scipy's gradient checks.

The same signatures, steps and results as scipy's (forward differences with the
absolute step ``epsilon``, falling back to scipy's relative step where ``x + epsilon``
does not move ``x``; :func:`numopt._minimize._finite_diff.fd_plan` is the one rule), and
they also take numopt's compiled objectives: an objective made with
``@numopt.objective(grad=True)`` is checked against its own gradient
(``check_grad(obj, None, x0)``), which is how a wrong compiled gradient is found before it
steers a solve.
"""
import math

import numpy as np

from ._minimize._finite_diff import ABS, fd_plan
from ._minimize._objective import Objective

__all__ = ["approx_fprime", "check_grad"]

_SQRT_EPS = np.sqrt(np.finfo(np.float64).eps)


def _value_and_gradient(func, grad):
    """``(value(x, *args), grad(x, *args))`` for scipy's pair, or for an objective that
    writes its own gradient (``grad`` None)."""
    if isinstance(func, Objective) and func.grad:
        if grad is not None:
            raise ValueError("the objective computes its own gradient (grad=True): "
                             "pass grad=None to check it")

        def value(x, *args):
            return func(x, np.zeros(np.size(x)), *args)

        def gradient(x, *args):
            g = np.zeros(np.size(x))
            func(x, g, *args)
            return g
        return value, gradient
    if grad is None:
        raise TypeError("grad must be a callable (or func an objective with grad=True)")
    return func, grad


def approx_fprime(xk, f, epsilon=_SQRT_EPS, *args):
    """Finite-difference approximation of the derivatives of a scalar or vector-valued
    function, as :func:`scipy.optimize.approx_fprime`.

    Parameters
    ----------
    xk : array_like, shape (n,)
        The point.
    f : callable
        ``f(xk, *args)``, a scalar or an array of m values (a ``numopt.objective``
        without gradient works too).
    epsilon : float or array_like of n floats
        The absolute forward step of each coordinate.
    *args
        Extra arguments of ``f``.

    Returns
    -------
    ndarray
        ``(n,)`` for a scalar ``f``, else the ``(m, n)`` Jacobian.
    """
    if isinstance(f, Objective) and f.grad:
        f = _value_and_gradient(f, None)[0]
    xk = np.atleast_1d(np.asarray(xk, dtype=np.float64))
    if xk.ndim > 1:
        raise ValueError("`x0` must have at most 1 dimension.")
    f0 = np.atleast_1d(f(xk, *args))
    if f0.ndim > 1:
        raise ValueError("`f0` passed has more than 1 dimension.")
    steps = np.broadcast_to(np.asarray(epsilon, dtype=np.float64), xk.shape)
    n = xk.size
    jac_t = np.empty((n, f0.size))
    for i in range(n):
        h, _ = fd_plan(float(xk[i]), float(steps[i]), -math.inf, math.inf, 0, ABS)
        x = xk.copy()
        x[i] = xk[i] + h
        jac_t[i] = (np.atleast_1d(f(x, *args)) - f0) / (x[i] - xk[i])
    return jac_t.ravel() if f0.size == 1 else jac_t.T


def check_grad(func, grad, x0, *args, epsilon=_SQRT_EPS, direction="all", rng=None,
               seed=None):
    """The norm of the difference between ``grad`` and a finite-difference gradient of
    ``func``, as :func:`scipy.optimize.check_grad`.

    Parameters
    ----------
    func : callable
        ``func(x, *args)``, a scalar; or a ``@numopt.objective(grad=True)``, whose own
        gradient is then checked (``grad=None``).
    grad : callable or None
        ``grad(x, *args)``, the gradient to check.
    x0 : array_like
        The point.
    *args
        Extra arguments of ``func`` and ``grad``.
    epsilon : float
        The forward step.
    direction : {"all", "random"}
        Compare every component, or the derivatives along one random direction.
    rng, seed : optional
        For ``"random"``: a ``numpy.random.Generator`` or a seed for one (``rng``, as
        scipy 1.15+), or a legacy ``RandomState`` seed (``seed``).

    Returns
    -------
    float
        ``sqrt(sum((grad - approx) ** 2))``: about ``1e-6`` relative to the gradient for a
        right gradient, much more for a wrong one.
    """
    value, gradient = _value_and_gradient(func, grad)
    x0 = np.asarray(x0, dtype=np.float64)
    if direction == "random":
        g = np.asanyarray(gradient(x0, *args))
        if g.ndim > 1:
            raise ValueError("'random' can only be used with scalar valued func")
        if seed is not None and rng is None:
            gen = np.random.RandomState(seed) if not isinstance(
                seed, (np.random.RandomState, np.random.Generator)) else seed
        else:
            gen = rng if isinstance(rng, (np.random.Generator, np.random.RandomState)) \
                else np.random.default_rng(rng)
        v = gen.standard_normal(size=x0.shape)
        analytic = np.dot(g, v)
        approx = approx_fprime(np.zeros(1), lambda w: value(x0 + w * v, *args), epsilon)
    elif direction == "all":
        analytic = gradient(x0, *args)
        approx = approx_fprime(x0, value, epsilon, *args)
    else:
        raise ValueError(f"{direction} is not a valid string for ``direction`` argument")
    return float(np.sqrt(np.sum(np.abs(analytic - approx) ** 2)))
