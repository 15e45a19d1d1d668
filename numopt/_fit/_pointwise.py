"""``numopt.pointwise``: a model written for one data point.

``f(x, *params) -> float``, with ``x`` one value of a 1-D ``xdata`` (or, for k
independent variables, the column ``xdata[:, i]`` of a ``(k, m)`` ``xdata``), and
optionally its partial derivatives ``partials(x, *params, out)`` writing ``df/dp_j``
into ``out[j]``. Such a model allocates nothing, so besides the CPU fits it compiles as
a CUDA device function: it is the form the batched fits run one fit per GPU thread.

A :class:`PointwiseModel` is also an ordinary ``curve_fit`` model: called as
``model(xdata, *params)`` it evaluates every point (compiled), so scipy's ``curve_fit``
accepts it too; ``model.jacobian(xdata, *params)`` gives the ``(m, n)`` Jacobian from
the partials. :func:`numopt.curve_fit` recognises it and generates residuals that call
it point by point inside the compiled fit (:mod:`._models`).
"""
import inspect

import numpy as np
from numba import njit

__all__ = ["pointwise", "PointwiseModel"]


class PointwiseModel:
    """A model for one data point, compiled (see :func:`pointwise`).

    Attributes
    ----------
    py_func, py_partials : function
        The Python functions given.
    dispatcher, partials : numba dispatcher
        Their compiled forms (``partials`` None without derivatives).
    n_params : int
        The number of parameters, from ``func``'s signature.
    """

    def __init__(self, func, partials=None, cache=False):
        func = getattr(func, "py_func", func)
        partials = getattr(partials, "py_func", partials)
        self.py_func, self.py_partials = func, partials
        names = [p for p in inspect.signature(func).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(names) < 2 or any(p.kind == p.VAR_POSITIONAL
                                 for p in inspect.signature(func).parameters.values()):
            raise TypeError("a pointwise model is f(x, p1, ..., pn) with its n parameters "
                            "named (no *params)")
        self.n_params = len(names) - 1
        self.cache = bool(cache)
        self.dispatcher = njit(error_model="numpy", cache=self.cache)(func)
        self.partials = None if partials is None else \
            njit(error_model="numpy", cache=self.cache)(partials)
        self.__name__ = getattr(func, "__name__", "model")
        self.__doc__ = func.__doc__
        self._evaluate = self._jacobian = None

    def __call__(self, xdata, *params):
        """The model at every point of ``xdata`` (1-D, or (k, m) for k variables)."""
        if self._evaluate is None:
            self._evaluate = _evaluator(self.dispatcher)
        return self._evaluate(_as_xdata(xdata), tuple(map(float, params)))

    def jacobian(self, xdata, *params):
        """The ``(m, n)`` Jacobian from the partial derivatives."""
        if self.partials is None:
            raise TypeError(f"the pointwise model {self.__name__} has no partials")
        if self._jacobian is None:
            self._jacobian = _jacobian_evaluator(self.partials)
        return self._jacobian(_as_xdata(xdata), tuple(map(float, params)), self.n_params)

    def __repr__(self):
        return (f"<numopt.pointwise {self.__name__} ({self.n_params} parameters, "
                f"{'with' if self.partials is not None else 'no'} partials)>")


def pointwise(func=None, *, partials=None, cache=False):
    """Mark a function of one data point as a compiled model.

    Parameters
    ----------
    func : callable
        ``func(x, p1, ..., pn) -> float`` for one point ``x`` (a number, or a 1-D array
        of the k independent variables of that point).
    partials : callable, optional
        ``partials(x, p1, ..., pn, out)`` writing ``df/dp_j`` into ``out[j]`` (n values).
    cache : bool
        Cache the compiled functions on disk (numba's ``cache=True``).

    Returns
    -------
    PointwiseModel
        Usable as a decorator, with or without arguments.

    Examples
    --------
    >>> import math, numpy as np, numopt
    >>> @numopt.pointwise
    ... def decay(t, a, k):
    ...     return a * math.exp(-k * t)
    >>> t = np.linspace(0, 3, 30)
    >>> popt, pcov = numopt.curve_fit(decay, t, decay(t, 2.0, 0.8), p0=[1.0, 1.0])
    >>> bool(np.allclose(popt, [2.0, 0.8]))
    True
    """
    def wrap(f):
        return PointwiseModel(f, partials, cache)
    return wrap if func is None else wrap(func)


def _as_xdata(xdata):
    x = np.asarray(xdata, dtype=np.float64)
    if x.ndim not in (1, 2):
        raise ValueError(f"a pointwise model takes xdata of shape (m,) or (k, m), got "
                         f"{x.shape}")
    return np.ascontiguousarray(x)


def _evaluator(model):
    @njit(error_model="numpy")
    def evaluate(xdata, params):
        m = xdata.shape[-1]
        out = np.empty(m)
        for i in range(m):
            if xdata.ndim == 1:
                out[i] = model(xdata.ravel()[i], *params)
            else:
                out[i] = model(xdata.reshape((xdata.shape[0], -1))[:, i], *params)
        return out
    return evaluate


def _jacobian_evaluator(partials):
    @njit(error_model="numpy")
    def jacobian(xdata, params, n):
        m = xdata.shape[-1]
        J = np.empty((m, n))
        for i in range(m):
            if xdata.ndim == 1:
                partials(xdata.ravel()[i], *params, J[i])
            else:
                partials(xdata.reshape((xdata.shape[0], -1))[:, i], *params, J[i])
        return J
    return jacobian
