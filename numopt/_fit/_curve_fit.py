"""``numopt.curve_fit``: scipy.optimize.curve_fit's front door.

The data are checked and weighted as scipy does, then the fit runs as scipy's would:
``method="lm"`` (the default without bounds) is scipy's ``leastsq``, MINPACK's
``lmdif``/``lmder`` (:mod:`._lm`), with ``leastsq``'s defaults and the covariance from
its QR factorisation; ``"trf"`` goes through :func:`numopt.least_squares`, the covariance
from the SVD of the final Jacobian. A numba ``@njit`` model (and ``jac``) runs the
whole fit in compiled code (:mod:`._models` builds its residuals); a Python model runs
the same iterations from a Python loop.
"""
import inspect
import warnings

import numpy as np
from scipy.linalg import LinAlgError, cholesky
from scipy.optimize import OptimizeWarning

from . import _drive_lm
from ._covariance import scale_cov, svd_cov
from .._minimize._reasons import BY_CODE, LM_NONFINITE_JAC
from ._drive import reraise
from ._drive_trf import strictly_feasible
from ._least_squares import check_bounds, dispatcher_of, is_unbounded
from ._least_squares import solve as least_squares_solve
from ._pointwise import PointwiseModel
from ._models import CHOLESKY, POISSON, WEIGHTS, compiled_residuals, python_residuals

__all__ = ["curve_fit"]

# scipy's leastsq: its keyword arguments and defaults.
_LEASTSQ = dict(col_deriv=False, ftol=1.49012e-08, xtol=1.49012e-08, gtol=0.0, maxfev=0,
                epsfcn=None, factor=100, diag=None)


def _leastsq_message(info, ftol, xtol, gtol, maxfev):
    """scipy's ``leastsq`` message for MINPACK's ``info``."""
    if info == 0:
        return "Improper input parameters."
    if info == 1:
        return ("Both actual and predicted relative reductions in the sum of squares\n  "
                f"are at most {ftol:f}")
    if info == 2:
        return f"The relative error between two consecutive iterates is at most {xtol:f}"
    if info == 3:
        return ("Both actual and predicted relative reductions in the sum of squares\n  "
                f"are at most {ftol:f} and the relative error between two consecutive "
                f"iterates is at \n  most {xtol:f}")
    if info == 4:
        return ("The cosine of the angle between func(x) and any column of the\n  "
                f"Jacobian is at most {gtol:f} in absolute value")
    if info == 5:
        return f"Number of calls to function has reached maxfev = {maxfev}."
    if info == 6:
        return (f"ftol={ftol:f} is too small, no further reduction in the sum of squares"
                "\n  is possible.")
    if info == 7:
        return (f"xtol={xtol:f} is too small, no further improvement in the approximate"
                "\n  solution is possible.")
    if info == 8:
        return (f"gtol={gtol:f} is too small, func(x) is orthogonal to the columns of\n  "
                "the Jacobian to machine precision.")
    return BY_CODE[LM_NONFINITE_JAC].message   # numopt's info 9


def _n_params(f):
    """The number of parameters of ``f(x, p1, ..., pn)`` from its signature."""
    py = getattr(f, "py_func", f)
    try:
        params = inspect.signature(py).parameters.values()
    except (TypeError, ValueError):
        params = ()
    names = [p for p in params
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) < 2:
        raise ValueError("Unable to determine number of fit parameters.")
    return len(names) - 1


def _initial_feasible(lb, ub):
    """scipy's ``p0`` when none is given: 1, or the middle of two finite bounds, or one
    step inside a single finite bound."""
    p0 = np.ones_like(lb)
    lf, uf = np.isfinite(lb), np.isfinite(ub)
    both = lf & uf
    p0[both] = 0.5 * (lb[both] + ub[both])
    p0[lf & ~uf] = lb[lf & ~uf] + 1
    p0[~lf & uf] = ub[~lf & uf] - 1
    return p0


def _omit_nan(xdata, ydata, sigma, nan_policy):
    """scipy's ``nan_policy`` (checked only without ``check_finite``)."""
    if nan_policy == "propagate":
        raise ValueError("`nan_policy='propagate'` is not supported by this function.")
    if nan_policy not in ("raise", "omit"):
        raise ValueError("nan_policy must be one of {None, 'raise', 'omit'}")
    x_nan = isinstance(xdata, np.ndarray) and np.isnan(xdata).any()
    y_nan = np.isnan(ydata).any()
    if not (x_nan or y_nan):
        return xdata, ydata, sigma
    if nan_policy == "raise":
        raise ValueError("The input contains nan values")
    has_nan = np.isnan(ydata)
    if isinstance(xdata, np.ndarray):
        xn = np.isnan(xdata)
        has_nan = has_nan | xn.any(axis=tuple(range(xn.ndim - 1)))
    xdata = xdata[..., ~has_nan] if isinstance(xdata, np.ndarray) else xdata
    ydata = ydata[~has_nan]
    if sigma is not None:
        sigma = np.asarray(sigma)
        if sigma.ndim == 1:
            sigma = sigma[~has_nan]
        elif sigma.ndim == 2:
            sigma = sigma[~has_nan][:, ~has_nan]
    return xdata, ydata, sigma


def _transform(sigma, m):
    """scipy's weighting from ``sigma``: None, ``1 / sigma`` (scalar or (m,)), or the
    lower Cholesky factor of a covariance (m, m)."""
    if sigma is None:
        return None
    sigma = np.asarray(sigma)
    if sigma.size == 1 or sigma.shape == (m,):
        return 1.0 / sigma
    if sigma.shape == (m, m):
        try:
            return cholesky(sigma, lower=True)
        except LinAlgError as e:
            raise ValueError("`sigma` must be positive definite.") from e
    raise ValueError("`sigma` has incorrect shape.")


def curve_fit(f, xdata, ydata, p0=None, sigma=None, absolute_sigma=False,
              check_finite=None, bounds=(-np.inf, np.inf), method=None, jac=None, *,
              full_output=False, nan_policy=None, estimator="least_squares", fixed=None,
              **kwargs):
    """Use non-linear least squares to fit a function ``f`` to data, as
    :func:`scipy.optimize.curve_fit` (scipy 1.17's arguments and returns).

    Parameters
    ----------
    f : callable
        The model ``f(xdata, *params)``, returning m values. A numba ``@njit`` model
        (with array ``xdata``) runs the whole fit in compiled code.
    xdata : array_like or object
        The independent variable(s): (m,), or (k, m) for k of them; passed to ``f`` as
        it is.
    ydata : array_like, shape (m,)
        The data.
    p0 : array_like, optional
        Initial guess (default: 1 for every parameter, inside the bounds if given;
        the number of parameters is then read off ``f``'s signature).
    sigma : None, scalar, (m,) or (m, m) array_like
        Uncertainties of ``ydata`` (residuals weighted by ``1 / sigma``), or their
        covariance matrix.
    absolute_sigma : bool
        ``sigma`` in absolute units: ``pcov`` not scaled by the reduced chi-square.
    check_finite : bool, optional
        Raise on NaN or infinite data (default True unless ``nan_policy`` is given).
    bounds : 2-tuple of array_like or scipy.optimize.Bounds
        Bounds on the parameters (then ``method="trf"`` by default).
    method : {"lm", "trf"}, optional
        ``"lm"`` (no bounds) or ``"trf"``; ``"dogbox"`` is not supported.
    jac : callable, "2-point", "3-point" or "cs", optional
        ``jac(xdata, *params)`` returns the (m, n) Jacobian of the model.
    full_output : bool
        Also return ``infodict, mesg, ier``.
    nan_policy : {None, "raise", "omit"}
        What to do with NaN in the data when ``check_finite`` is False.
    estimator : {"least_squares", "poisson"}
        numopt's: ``"poisson"`` fits counts by maximum likelihood (minimising the Poisson
        deviance ``2 sum(f - y - y log(f / y))``, Gpufit's MLE estimator), ``pcov`` then
        the inverse Fisher information (the Cramer-Rao bound), in absolute units; the
        model must stay positive, ``ydata`` be counts (non-negative) and ``sigma`` None.
    fixed : array_like of bool or of int, optional
        numopt's: parameters held at their ``p0`` values (a mask of n booleans, or
        their indices), as Gpufit's ``parameters_to_fit`` and lmfit's ``vary=False``;
        ``popt`` holds them, their rows and columns of ``pcov`` are 0, and ``infodict``
        (``fjac``, ``ipvt``, ``qtf``) is about the free parameters.
    **kwargs
        Passed to scipy's ``leastsq`` equivalents (``ftol, xtol, gtol, maxfev, epsfcn,
        factor, diag, col_deriv``) for ``"lm"``, to :func:`numopt.least_squares`
        otherwise.

    Returns
    -------
    popt : ndarray (n,)
    pcov : ndarray (n, n)
        Estimated covariance of ``popt``; infinite, with an ``OptimizeWarning``, where it
        cannot be estimated.
    infodict, mesg, ier
        With ``full_output``: as scipy (``nfev, fvec`` and for ``"lm"`` ``fjac, ipvt,
        qtf``, with a callable ``jac`` ``njev``), the message and MINPACK's ``info`` or
        least_squares' ``status``.

    Raises
    ------
    ValueError
        Bad input (empty or non-finite data, ``sigma`` of the wrong shape, bounds with
        ``"lm"``...), with scipy's messages.
    RuntimeError
        The fit did not converge ("Optimal parameters not found: ...").
    """
    if estimator not in ("least_squares", "poisson"):
        raise ValueError(f"estimator must be 'least_squares' or 'poisson', got {estimator!r}")
    if p0 is None:
        n = _n_params(f)
    else:
        p0 = np.atleast_1d(p0)
        n = p0.size
    lb, ub = check_bounds(bounds, n)
    if p0 is None:
        p0 = _initial_feasible(lb, ub)
    bounded = not is_unbounded(bounds) and bool(np.any((lb > -np.inf) | (ub < np.inf)))
    if method is None:
        method = "trf" if bounded else "lm"
    if method == "lm" and bounded:
        raise ValueError("Method 'lm' only works for unconstrained problems. Use 'trf' "
                         "or 'dogbox' instead.")
    if method not in ("lm", "trf"):
        if method == "dogbox":
            raise NotImplementedError("numopt.curve_fit does not support "
                                      "method='dogbox'; use 'trf' (also bounded) or 'lm'")
        raise ValueError("`method` must be 'trf', 'dogbox' or 'lm'.")
    if check_finite is None:
        check_finite = nan_policy is None
    ydata = np.asarray_chkfinite(ydata, float) if check_finite else np.asarray(ydata, float)
    if isinstance(xdata, (list, tuple, np.ndarray)):
        # xdata goes to f as it is: other objects are allowed
        xdata = np.asarray_chkfinite(xdata, float) if check_finite else \
            np.asarray(xdata, float)
    if ydata.size == 0:
        raise ValueError("`ydata` must not be empty!")
    if not check_finite and nan_policy is not None:
        xdata, ydata, sigma = _omit_nan(xdata, ydata, sigma, nan_policy)
    ydata = ydata.ravel()
    m = ydata.size
    transform = _transform(sigma, m)
    if "args" in kwargs:
        raise ValueError("'args' is not a supported keyword argument.")

    kind = POISSON if estimator == "poisson" else (
        CHOLESKY if transform is not None and transform.ndim == 2 else WEIGHTS)
    if kind == POISSON:
        if sigma is not None:
            raise ValueError("sigma has no meaning for estimator='poisson': the counts' "
                             "variances are the model's values")
        if jac == "cs":
            raise NotImplementedError("numopt.curve_fit does not support jac='cs' with "
                                      "estimator='poisson'")
        if np.any(ydata < 0):
            raise ValueError("estimator='poisson' needs counts: ydata has negative values")
    p0 = np.asarray(p0, dtype=np.float64)
    free = _free_parameters(fixed, n)
    if free is not None:
        lb, ub = lb[free], ub[free]
        if free.size == 0:
            raise ValueError("every parameter is fixed: there is nothing to fit")
    n_free = n if free is None else free.size

    pointwise_ndim = 0
    if isinstance(f, PointwiseModel):   # compiled point by point, its partials as jac
        model, model_jac = f.dispatcher, f.partials
        if jac is None and f.partials is not None:
            jac = f.jacobian
        elif jac is not None:
            raise ValueError("a pointwise model brings its own partials: jac must be None")
        if not (isinstance(xdata, np.ndarray) and xdata.ndim in (1, 2)):
            raise ValueError("a pointwise model takes xdata of shape (m,) or (k, m)")
        pointwise_ndim = xdata.ndim
    else:
        model, model_jac = dispatcher_of(f), dispatcher_of(jac) if callable(jac) else None
    compiled = (model is not None and isinstance(xdata, np.ndarray)
                and (not callable(jac) or model_jac is not None))
    if compiled:
        if kind == CHOLESKY:
            w = np.ascontiguousarray(transform)
        elif transform is None:
            w = np.ones(m)
        else:
            w = np.ascontiguousarray(np.broadcast_to(transform, (m,)), dtype=np.float64)
        fun, jfun, stamp = compiled_residuals(model, model_jac, n, kind, free is not None,
                                              pointwise_ndim)
        args = (np.ascontiguousarray(xdata), np.ascontiguousarray(ydata), w, p0.copy(),
                np.arange(n) if free is None else free)
        _check_model_size(f if pointwise_ndim else model, args[0], p0, m)
    else:
        fun, jfun = python_residuals(f, jac if callable(jac) else None, xdata, ydata,
                                     transform, kind, p0, free)
        args = ()
        stamp = None
    q0 = p0 if free is None else p0[free]

    if method == "lm":
        popt, pcov, infodict, mesg, ier, failed = _leastsq(
            fun, jfun, q0, args, m, n_free, kwargs, compiled, stamp,
            bool(absolute_sigma) or kind == POISSON)
    else:
        if "max_nfev" not in kwargs:
            kwargs["max_nfev"] = kwargs.pop("maxfev", None)
        jac_arg = jfun if jfun is not None else ("2-point" if jac is None else jac)
        f0 = None
        if compiled and kind != CHOLESKY:   # r(x0) from the cached model, not by compiling
            q0 = strictly_feasible(q0, lb, ub) if bounded else q0   # where trf starts
            f0 = python_residuals(f if pointwise_ndim else model, None, args[0], ydata,
                                  transform, kind, p0, free)[0](q0)
        res = least_squares_solve(fun, q0, jac=jac_arg, bounds=(lb, ub), method=method,
                                  args=args, f0=f0, stamp=stamp, **kwargs)
        if not res.success:
            raise RuntimeError("Optimal parameters not found: " + res.message)
        infodict = dict(nfev=res.nfev, fvec=res.fun)
        ier, mesg = res.status, res.message
        popt = res.x
        if kind != POISSON:
            pcov = svd_cov(res.jac)
            failed = scale_cov(pcov, 2 * res.cost, res.fun.size, bool(absolute_sigma))
    if kind == POISSON:   # the Fisher information of the counts, not the deviance's J
        pcov, failed = _poisson_covariance(f, jac, xdata, p0, popt, free)
    if free is not None:
        popt, pcov = _with_fixed(p0, popt, pcov, free)
    if failed:
        warnings.warn("Covariance of the parameters could not be estimated",
                      category=OptimizeWarning, stacklevel=2)
    if full_output:
        return popt, pcov, infodict, mesg, ier
    return popt, pcov


def _free_parameters(fixed, n):
    """The indices of the parameters the solver varies, or None where none is fixed."""
    if fixed is None:
        return None
    fixed = np.asarray(fixed)
    if fixed.dtype == bool:
        if fixed.shape != (n,):
            raise ValueError(f"fixed must be {n} booleans (one per parameter) or indices, "
                             f"got shape {fixed.shape}")
        mask = fixed
    else:
        idx = fixed.astype(np.int64).ravel()
        if np.any(idx < -n) or np.any(idx >= n) or not np.array_equal(idx, fixed.ravel()):
            raise ValueError(f"fixed indices must be integers in [-{n}, {n}), got {fixed!r}")
        mask = np.zeros(n, dtype=bool)
        mask[idx] = True
    if not mask.any():
        return None
    return np.flatnonzero(~mask).astype(np.int64)


def _with_fixed(p0, popt, pcov, free):
    """popt and pcov over every parameter: the fixed ones at p0, with zero variance."""
    full = p0.astype(np.float64).copy()
    full[free] = popt
    cov = np.zeros((p0.size, p0.size))
    cov[np.ix_(free, free)] = pcov
    return full, cov


def _poisson_covariance(f, jac, xdata, p0, popt, free):
    """The inverse Fisher information of Poisson counts at popt (free parameters):
    ``(sum_i grad f_i grad f_i^T / f_i)^-1``, from ``jac`` or central differences of
    the model; ``(pcov, failed)``."""
    q = p0.astype(np.float64).copy()
    idx = np.arange(p0.size) if free is None else free
    q[idx] = popt

    def model(p):
        return np.asarray(f(xdata, *p), dtype=np.float64).ravel()
    fm = model(q)
    if callable(jac):
        J = np.asarray(jac(xdata, *q), dtype=np.float64)[:, idx]
    else:   # scipy's "3-point" steps
        J = np.empty((fm.size, idx.size))
        for k, j in enumerate(idx):
            h = _CBRT_EPS * (1.0 if q[j] >= 0 else -1.0) * max(1.0, abs(q[j]))
            up, down = q.copy(), q.copy()
            up[j] += h
            down[j] -= h
            J[:, k] = (model(up) - model(down)) / (up[j] - down[j])
    if not np.all(fm > 0) or not np.all(np.isfinite(J)):
        return np.full((idx.size, idx.size), np.inf), True
    pcov = svd_cov(J / np.sqrt(fm)[:, None])
    return pcov, False


_CBRT_EPS = np.finfo(np.float64).eps ** (1 / 3)


def _check_model_size(model, xdata, p0, m):
    """The model must return one value per data point: compiled code reads only as many
    as there are data, with no bounds checks."""
    size = np.asarray(model(xdata, *np.asarray(p0, dtype=np.float64))).size
    if size != m:
        raise ValueError(f"the model returned {size} values for {m} data points")


def _leastsq(fun, jfun, p0, args, m, n, kwargs, compiled, stamp, absolute_sigma):
    """scipy's ``leastsq(func, p0, Dfun=jac, full_output=True, **kwargs)`` as curve_fit
    calls it, and curve_fit's covariance: ``popt, pcov, infodict, mesg, ier, failed``
    (``failed``: the covariance could not be estimated), raising where scipy's curve_fit
    raises."""
    unknown = set(kwargs) - set(_LEASTSQ)
    if unknown:
        raise TypeError(f"curve_fit(method='lm') got unexpected keyword arguments "
                        f"{sorted(unknown)} (scipy's leastsq takes {sorted(_LEASTSQ)})")
    o = dict(_LEASTSQ, **kwargs)
    if m != 1 and n > m:
        raise TypeError(f"The number of func parameters={n} must not exceed the number "
                        f"of data points={m}")
    maxfev = int(o["maxfev"])
    if maxfev == 0:
        maxfev = 200 * (n + 1) if jfun is None else 100 * (n + 1)
    options = dict(jac="fdjac2" if jfun is None else jfun, ftol=o["ftol"], xtol=o["xtol"],
                   gtol=o["gtol"], max_nfev=maxfev, diag=o["diag"], epsfcn=o["epsfcn"],
                   factor=float(o["factor"]))
    if compiled and not o["col_deriv"]:   # the fit and its covariance in one compiled call
        res = _drive_lm.fit_lm_compiled(fun, p0, args=args, m=m, stamp=stamp,
                                        absolute_sigma=absolute_sigma, **options)
    else:   # col_deriv's transposed Jacobian is a Python wrapper: the Python loop drives it
        if jfun is not None and o["col_deriv"]:
            options["jac"] = _transposed(jfun)
        # the residuals unpack the parameters into the model's arguments: no copies
        res = _drive_lm.fit_lm(fun, p0, args=args, absolute_sigma=absolute_sigma,
                               copy_x=False, **options)
    if res["raised_at"] is not None:   # a compiled model raised: raise it again here
        reraise(fun, jfun, args, res["raised_at"], "model")
    info = res["info"]
    mesg = _leastsq_message(info, o["ftol"], o["xtol"], o["gtol"], maxfev)
    if info == 0:
        raise TypeError(mesg)
    if info not in (1, 2, 3, 4):
        raise RuntimeError("Optimal parameters not found: " + mesg)
    infodict = {"fvec": res["fun"], "nfev": res["nfev"], "fjac": res["fjac"],
                "ipvt": res["ipvt"].astype(np.int32), "qtf": res["qtf"]}
    if jfun is not None:
        infodict["njev"] = res["njev"]
    return res["x"], res["cov"], infodict, mesg, info, res["cov_failed"]


def _transposed(jfun):
    def jac(p, *args):
        return np.asarray(jfun(p, *args)).T
    return jac
