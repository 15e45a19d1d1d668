"""Objectives shared by the minimize tests.

``rosen_fg`` is the chained Rosenbrock function with scalar parameters ``a`` and ``b``
in numopt's compiled protocol (the gradient written into ``g``); ``rosen_pair`` is the
same arithmetic in Python returning ``(f, g)``, for ``jac=True``, so the Python and the
compiled paths see identical values.
"""
import numpy as np

import numopt


@numopt.objective(grad=True)
def rosen_fg(x, g, a, b):
    f = 0.0
    for i in range(x.size):
        g[i] = 0.0
    for i in range(x.size - 1):
        t, u = a - x[i], x[i + 1] - x[i] ** 2
        f += t * t + b * u * u
        g[i] += -2.0 * t - 4.0 * b * x[i] * u
        g[i + 1] += 2.0 * b * u
    return f


def rosen_pair(x, a, b):
    """``(f, g)`` of :func:`rosen_fg`, run as Python."""
    g = np.zeros_like(x)
    return rosen_fg.py_func(x, g, a, b), g
