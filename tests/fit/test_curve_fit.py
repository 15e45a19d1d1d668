"""numopt.curve_fit against scipy.optimize.curve_fit, and against NIST's certified values.

``method="lm"`` is scipy's ``leastsq`` (MINPACK ``lmdif``, or ``lmder`` with ``jac``): the
same iterates, so popt and the infodict agree with scipy's to rounding, bit for bit
where the model is the same function; pcov comes from the same QR factorisation."""
import warnings

import numpy as np
import pytest
import scipy.optimize as so
from numba import njit

import numopt


def decay(x, a, b, c):
    return a * np.exp(-b * x) + c


def decay_jac(x, a, b, c):
    e = np.exp(-b * x)
    J = np.empty((x.size, 3))
    J[:, 0] = e
    J[:, 1] = -a * x * e
    J[:, 2] = 1.0
    return J


def peak(x, h, mu, s, base):
    return h * np.exp(-0.5 * ((x - mu) / s) ** 2) + base


def plane_gauss(xy, a, x0, y0, s):   # two independent variables: xdata (2, m)
    return a * np.exp(-((xy[0] - x0) ** 2 + (xy[1] - y0) ** 2) / (2 * s * s))


decay_c, decay_jac_c, peak_c, plane_gauss_c = (njit(cache=True)(f) for f in
                                                (decay, decay_jac, peak, plane_gauss))

_RNG = np.random.default_rng(7)
X = np.linspace(0, 4, 80)
Y = decay(X, 2.5, 1.3, 0.5) + 0.03 * _RNG.standard_normal(X.size)
SIG = 0.02 + 0.03 * _RNG.random(X.size)
XP = np.linspace(-3, 5, 50)
YP = peak(XP, 3.0, 1.0, 0.7, 0.2) + 0.05 * _RNG.standard_normal(XP.size)
_G = np.linspace(-2, 2, 7)
XY = np.array(np.meshgrid(_G, _G)).reshape(2, -1)
YG = plane_gauss(XY, 5.0, 0.3, -0.2, 0.8) + 0.05 * _RNG.standard_normal(XY.shape[1])

CASES = {
    "decay": (decay, decay_c, X, Y, [1.0, 1.0, 0.0]),
    "peak": (peak, peak_c, XP, YP, [2.0, 0.5, 1.0, 0.0]),
    "2d-gauss": (plane_gauss, plane_gauss_c, XY, YG, [4.0, 0.0, 0.0, 1.0]),
}
SIGMAS = {
    "none": None,
    "scalar": 0.05,
    "1-d": "per-point",
    "2-d": "covariance",
}


def _sigma(kind, m):
    s = SIGMAS[kind]
    if s == "per-point":
        return np.linspace(0.02, 0.06, m)
    if s == "covariance":   # correlated errors: a positive definite (m, m) matrix
        d = np.linspace(0.02, 0.06, m)
        c = 0.3 ** np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
        return c * np.outer(d, d)
    return s


def _close(a, b, rtol):
    a, b = np.asarray(a), np.asarray(b)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("absolute_sigma", [False, True])
@pytest.mark.parametrize("sigma", list(SIGMAS))
@pytest.mark.parametrize("case", list(CASES))
def test_python_model_matches_scipy(case, sigma, absolute_sigma):
    f, _, x, y, p0 = CASES[case]
    kw = dict(p0=p0, sigma=_sigma(sigma, y.size), absolute_sigma=absolute_sigma,
              full_output=True)
    ps, cs, info_s, mesg_s, ier_s = so.curve_fit(f, x, y, **kw)
    po, co, info_o, mesg_o, ier_o = numopt.curve_fit(f, x, y, **kw)
    _close(po, ps, 1e-12)
    _close(co, cs, 1e-9)
    assert (mesg_o, ier_o) == (mesg_s, ier_s)
    assert set(info_o) == set(info_s)
    assert info_o["nfev"] == info_s["nfev"]
    np.testing.assert_array_equal(info_o["ipvt"], info_s["ipvt"])
    for k in ("fvec", "fjac", "qtf"):
        _close(info_o[k], info_s[k], 1e-9)


@pytest.mark.parametrize("sigma", list(SIGMAS))
@pytest.mark.parametrize("case", list(CASES))
def test_compiled_model_matches_scipy_with_the_same_model(case, sigma):
    """An @njit model runs the whole fit compiled; scipy calling the same compiled model
    from Python takes the same steps: popt equal bit for bit. With a 2-D sigma the
    triangular solve is numopt's own loop, LAPACK's in scipy: equal to rounding, which
    the forward differences (steps of sqrt(eps)) amplify to about 1e-9 in popt."""
    _, fc, x, y, p0 = CASES[case]
    s = _sigma(sigma, y.size)
    ps, cs, info_s, _, _ = so.curve_fit(fc, x, y, p0=p0, sigma=s, full_output=True)
    po, co, info_o, _, _ = numopt.curve_fit(fc, x, y, p0=p0, sigma=s, full_output=True)
    if sigma == "2-d":
        _close(po, ps, 1e-7)
        _close(co, cs, 1e-6)
    else:
        np.testing.assert_array_equal(po, ps)
        _close(co, cs, 1e-9)
    assert info_o["nfev"] == info_s["nfev"]


@pytest.mark.parametrize("compiled", [False, True])
def test_analytic_jacobian(compiled):
    f, j = (decay_c, decay_jac_c) if compiled else (decay, decay_jac)
    ps, cs, info_s, _, _ = so.curve_fit(f, X, Y, p0=[1, 1, 0], jac=j, sigma=SIG,
                                         full_output=True)
    po, co, info_o, _, _ = numopt.curve_fit(f, X, Y, p0=[1, 1, 0], jac=j, sigma=SIG,
                                             full_output=True)
    _close(po, ps, 1e-12)
    _close(co, cs, 1e-9)
    assert (info_o["nfev"], info_o["njev"]) == (info_s["nfev"], info_s["njev"])


def test_leastsq_keywords_pass_through():
    kw = dict(p0=[1, 1, 0], ftol=1e-12, xtol=1e-12, epsfcn=1e-10, factor=10,
              diag=[1.0, 2.0, 0.5], full_output=True)
    ps, cs, info_s, _, _ = so.curve_fit(decay, X, Y, **kw)
    po, co, info_o, _, _ = numopt.curve_fit(decay, X, Y, **kw)
    _close(po, ps, 1e-12)
    _close(co, cs, 1e-9)
    assert info_o["nfev"] == info_s["nfev"]


def test_p0_from_the_signature():
    ps, _ = so.curve_fit(decay, X, Y)
    po, _ = numopt.curve_fit(decay, X, Y)
    _close(po, ps, 1e-12)
    po_c, _ = numopt.curve_fit(decay_c, X, Y)
    _close(po_c, ps, 1e-8)


# -- NIST StRD Misra1a: certified parameters and standard errors ---------------------------
# Public-domain reference data (https://www.itl.nist.gov/div898/strd/nls/data/misra1a.shtml)
MISRA1A_X = np.array([77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3,
                      536.8, 593.1, 689.1, 760.0])
MISRA1A_Y = np.array([10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02, 44.82, 50.76, 55.05,
                      61.01, 66.40, 75.47, 81.78])
MISRA1A_B = np.array([2.3894212918e02, 5.5015643181e-04])
MISRA1A_SE = np.array([2.7070075241e00, 7.2668688436e-06])
MISRA1A_RSS = 1.2455138894e-01


def misra1a(x, b1, b2):
    return b1 * (1 - np.exp(-b2 * x))


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("start", [[500, 1e-4], [250, 5e-4]])
def test_nist_misra1a_certified(start, compiled):
    f = njit(misra1a) if compiled else misra1a
    popt, pcov = numopt.curve_fit(f, MISRA1A_X, MISRA1A_Y, p0=start,
                                  xtol=1e-12, ftol=1e-12)
    np.testing.assert_allclose(popt, MISRA1A_B, rtol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(pcov)), MISRA1A_SE, rtol=1e-6)
    rss = np.sum((misra1a(MISRA1A_X, *popt) - MISRA1A_Y) ** 2)
    assert rss == pytest.approx(MISRA1A_RSS, rel=1e-9)


# -- data handling --------------------------------------------------------------------------
def test_nan_policy_omit_equals_the_fit_without_the_points():
    y = Y.copy()
    y[[3, 17, 40]] = np.nan
    keep = ~np.isnan(y)
    ref, ref_cov = numopt.curve_fit(decay, X[keep], y[keep], p0=[1, 1, 0], sigma=SIG[keep])
    po, co = numopt.curve_fit(decay, X, y, p0=[1, 1, 0], sigma=SIG, nan_policy="omit")
    np.testing.assert_array_equal(po, ref)
    np.testing.assert_array_equal(co, ref_cov)
    ps, _ = so.curve_fit(decay, X, y, p0=[1, 1, 0], sigma=SIG, nan_policy="omit")
    _close(po, ps, 1e-12)


def test_bad_data_raise():
    y = Y.copy()
    y[5] = np.nan
    with pytest.raises(ValueError, match="infs or NaNs"):
        numopt.curve_fit(decay, X, y, p0=[1, 1, 0])
    with pytest.raises(ValueError, match="contains nan"):
        numopt.curve_fit(decay, X, y, p0=[1, 1, 0], nan_policy="raise")
    with pytest.raises(ValueError, match="propagate"):
        numopt.curve_fit(decay, X, y, p0=[1, 1, 0], nan_policy="propagate")
    with pytest.raises(ValueError, match="must not be empty"):
        numopt.curve_fit(decay, [], [], p0=[1, 1, 0])
    with pytest.raises(ValueError, match="incorrect shape"):
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0], sigma=np.ones(3))
    with pytest.raises(ValueError, match="positive definite"):
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0], sigma=-np.eye(X.size))
    with pytest.raises(ValueError, match="only works for unconstrained"):
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0], bounds=(0, 10), method="lm")
    with pytest.raises(ValueError, match="'args' is not a supported"):
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0], args=(1,))
    with pytest.raises(ValueError, match="Unable to determine number of fit parameters"):
        numopt.curve_fit(lambda x, *p: x, X, Y)


def test_too_few_points_and_wrong_p0():
    with pytest.raises(TypeError, match="must not exceed the number of data points"):
        numopt.curve_fit(peak, XP[:3], YP[:3], p0=[1, 1, 1, 1])
    with pytest.raises(TypeError):
        numopt.curve_fit(decay, X, Y, p0=[1, 1])   # the model takes three parameters
    with pytest.raises(Exception):   # numba cannot call the compiled model with two
        numopt.curve_fit(decay_c, X, Y, p0=[1, 1])


def test_model_returning_the_wrong_length():
    with pytest.raises(ValueError, match="returned 3 values for 80 data points"):
        numopt.curve_fit(njit(lambda x, a: np.ones(3) * a), X, Y, p0=[1.0])


def test_indeterminate_covariance_warns_as_scipy():
    x, y = np.array([1.0, 2.0]), np.array([1.0, 3.0])
    with pytest.warns(so.OptimizeWarning, match="could not be estimated"):
        _, pcov = numopt.curve_fit(lambda x, a, b: a * x + b, x, y)
    assert np.all(np.isinf(pcov))


def test_no_convergence_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="Optimal parameters not found: Number of calls"):
        numopt.curve_fit(peak, XP, YP, p0=[2.0, 0.5, 1.0, 0.0], maxfev=5)


@njit
def _raising_model(x, a, b, c):
    if b > 1.2:
        raise FloatingPointError("rate above 1.2")
    return a * np.exp(-b * x) + c


def test_compiled_model_that_raises_raises_the_users_exception():
    with pytest.raises(FloatingPointError, match="rate above 1.2"):
        numopt.curve_fit(_raising_model, X, Y, p0=[1.0, 1.0, 0.0])


def test_python_and_compiled_models_give_no_warning_on_a_good_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0])
        numopt.curve_fit(decay_c, X, Y, p0=[1, 1, 0])


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("sigma", ["none", "1-d"])
def test_bounded_fit_is_trf_as_scipy(sigma, compiled):
    f = decay_c if compiled else decay
    s = _sigma(sigma, X.size)
    bounds = ([0.0, 1.4, 0.0], [10.0, 5.0, 1.0])   # the rate's bound is active
    ps, cs, info_s, mesg_s, ier_s = so.curve_fit(f, X, Y, p0=[1, 2, 0.1], sigma=s,
                                                  bounds=bounds, full_output=True)
    po, co, info_o, mesg_o, ier_o = numopt.curve_fit(f, X, Y, p0=[1, 2, 0.1], sigma=s,
                                                      bounds=bounds, full_output=True)
    _close(po, ps, 1e-9)
    _close(co, cs, 1e-6)
    assert (info_o["nfev"], mesg_o, ier_o) == (info_s["nfev"], mesg_s, ier_s)
    assert po[1] == pytest.approx(1.4, abs=1e-6)


# -- numopt's additions: the Poisson estimator and fixed parameters ------------------------
_RC = np.random.default_rng(11)
XC = np.linspace(0, 5, 60)
COUNTS = _RC.poisson(decay(XC, 40.0, 0.9, 3.0)).astype(float)   # some bins are 0


def _decay_grad(x, a, b, c):
    e = np.exp(-b * x)
    return np.stack([e, -a * x * e, np.ones_like(x)], axis=1)


def _poisson_mle_reference(p0):
    """Direct maximisation of the Poisson likelihood: sum(f - y log f) by scipy's BFGS
    with the analytic gradient, to a tight gradient tolerance."""
    def nll(p):
        f = decay(XC, *p)
        if np.any(f <= 0):
            return np.inf, np.zeros(3)
        return np.sum(f - COUNTS * np.log(f)), _decay_grad(XC, *p).T @ (1 - COUNTS / f)
    res = so.minimize(nll, p0, jac=True, method="BFGS", options={"gtol": 1e-10})
    assert res.success or np.abs(res.jac).max() < 1e-7
    return res.x


def _fisher_inverse(p):
    J, f = _decay_grad(XC, *p), decay(XC, *p)
    return np.linalg.inv((J / f[:, None]).T @ J)


@pytest.mark.parametrize("method", ["lm", "trf"])
@pytest.mark.parametrize("compiled", [False, True])
def test_poisson_estimator_is_the_maximum_likelihood(compiled, method):
    f = decay_c if compiled else decay
    p0 = [30.0, 1.0, 1.0]
    tight = dict(xtol=1e-12, ftol=1e-12) if method == "lm" else \
        dict(xtol=1e-12, ftol=1e-12, gtol=1e-12)
    popt, pcov = numopt.curve_fit(f, XC, COUNTS, p0=p0, estimator="poisson", method=method,
                                  **tight)
    ref = _poisson_mle_reference(p0)
    np.testing.assert_allclose(popt, ref, rtol=1e-6)
    np.testing.assert_allclose(pcov, _fisher_inverse(popt), rtol=1e-5)
    # with the default tolerances, as close as they ask: far inside the standard errors
    loose, _ = numopt.curve_fit(f, XC, COUNTS, p0=p0, estimator="poisson", method=method)
    assert np.all(np.abs(loose - ref) < 1e-3 * np.sqrt(np.diag(pcov)))
    # least squares gives another answer on these counts: the estimator did something
    lsq, _ = numopt.curve_fit(f, XC, COUNTS, p0=p0, method=method)
    assert np.abs(lsq - popt).max() > 1e-3


def test_poisson_estimator_with_an_analytic_jacobian():
    def jac(x, a, b, c):
        return _decay_grad(x, a, b, c)
    popt, pcov = numopt.curve_fit(decay, XC, COUNTS, p0=[30.0, 1.0, 1.0], jac=jac,
                                  estimator="poisson", xtol=1e-12, ftol=1e-12)
    np.testing.assert_allclose(popt, _poisson_mle_reference([30.0, 1.0, 1.0]), rtol=1e-6)
    np.testing.assert_allclose(pcov, _fisher_inverse(popt), rtol=1e-8)


def test_poisson_estimator_refuses_what_it_cannot_mean():
    with pytest.raises(ValueError, match="sigma has no meaning"):
        numopt.curve_fit(decay, XC, COUNTS, p0=[30, 1, 1], sigma=np.ones(XC.size),
                         estimator="poisson")
    with pytest.raises(ValueError, match="needs counts"):
        numopt.curve_fit(decay, XC, COUNTS - 10, p0=[30, 1, 1], estimator="poisson")
    with pytest.raises(ValueError, match="estimator must be"):
        numopt.curve_fit(decay, XC, COUNTS, p0=[30, 1, 1], estimator="gaussian")


@pytest.mark.parametrize("method", ["lm", "trf"])
@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("fixed", [[False, False, True], [2], [-1]])
def test_fixed_parameters_equal_the_model_without_them(fixed, compiled, method):
    """Holding c at p0's 0.5 fits what scipy fits with c = 0.5 written into the model."""
    f = decay_c if compiled else decay
    popt, pcov, info, _, _ = numopt.curve_fit(f, X, Y, p0=[1.0, 1.0, 0.5], fixed=fixed,
                                              method=method, sigma=SIG, full_output=True)
    ref, ref_cov = so.curve_fit(lambda x, a, b: decay(x, a, b, 0.5), X, Y, p0=[1.0, 1.0],
                                method=method, sigma=SIG)
    assert popt[2] == 0.5
    _close(popt[:2], ref, 1e-9)
    _close(pcov[:2, :2], ref_cov, 1e-6)
    assert np.all(pcov[2] == 0) and np.all(pcov[:, 2] == 0)
    assert info["fvec"].size == X.size


def test_fixed_parameters_with_an_analytic_jacobian():
    popt, pcov = numopt.curve_fit(decay, X, Y, p0=[1.0, 1.0, 0.5], jac=decay_jac,
                                  fixed=[2])
    ref, ref_cov = so.curve_fit(lambda x, a, b: decay(x, a, b, 0.5), X, Y, p0=[1.0, 1.0],
                                jac=lambda x, a, b: decay_jac(x, a, b, 0.5)[:, :2])
    _close(popt[:2], ref, 1e-12)
    _close(pcov[:2, :2], ref_cov, 1e-9)


def test_bad_fixed_specifications():
    with pytest.raises(ValueError, match="3 booleans"):
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0], fixed=[True, False])
    with pytest.raises(ValueError, match="integers in"):
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0], fixed=[5])
    with pytest.raises(ValueError, match="nothing to fit"):
        numopt.curve_fit(decay, X, Y, p0=[1, 1, 0], fixed=[True, True, True])


# -- pointwise models (numopt.pointwise) ------------------------------------------------------
import math  # noqa: E402


def _decay_point(t, a, k, c):
    return a * math.exp(-k * t) + c


def _decay_point_partials(t, a, k, c, out):
    e = math.exp(-k * t)
    out[0] = e
    out[1] = -a * t * e
    out[2] = 1.0


def _gauss2d_point(xy, a, x0, y0, s):
    return a * math.exp(-((xy[0] - x0) ** 2 + (xy[1] - y0) ** 2) / (2 * s * s))


PW_DECAY = numopt.pointwise(_decay_point)
PW_DECAY_J = numopt.pointwise(_decay_point, partials=_decay_point_partials, cache=True)
PW_GAUSS = numopt.pointwise(_gauss2d_point)


def test_pointwise_model_evaluates_and_differentiates_every_point():
    np.testing.assert_allclose(PW_DECAY(X, 2.0, 1.1, 0.3), decay(X, 2.0, 1.1, 0.3),
                               rtol=1e-15)
    np.testing.assert_allclose(PW_DECAY_J.jacobian(X, 2.0, 1.1, 0.3),
                               decay_jac(X, 2.0, 1.1, 0.3), rtol=1e-14)
    np.testing.assert_allclose(PW_GAUSS(XY, 5.0, 0.3, -0.2, 0.8),
                               plane_gauss(XY, 5.0, 0.3, -0.2, 0.8), rtol=1e-14)
    assert PW_DECAY.n_params == 3 and "3 parameters" in repr(PW_DECAY)


@pytest.mark.parametrize("method", ["lm", "trf"])
@pytest.mark.parametrize("model,x,y,p0", [
    (PW_DECAY, X, Y, [1.0, 1.0, 0.0]), (PW_DECAY_J, X, Y, [1.0, 1.0, 0.0]),
    (PW_GAUSS, XY, YG, [4.0, 0.0, 0.0, 1.0])], ids=["decay", "decay-partials", "2d-gauss"])
def test_pointwise_fit_equals_scipy_with_the_same_model(model, x, y, p0, method):
    """scipy's curve_fit calls the model on every point (model(xdata, *p)); numopt's
    compiled fit calls it point by point: the same values, so the same run (lm: bit for
    bit; trf: to rounding, its steps summed in numpy's order where it can be modelled)."""
    jac = model.jacobian if model.partials is not None else None
    ps, cs, info_s, _, _ = so.curve_fit(model, x, y, p0=p0, jac=jac, sigma=None,
                                         method=method, full_output=True)
    po, co, info_o, _, _ = numopt.curve_fit(model, x, y, p0=p0, method=method,
                                             full_output=True)
    if method == "lm":
        np.testing.assert_array_equal(po, ps)
        _close(co, cs, 1e-9)
    else:
        _close(po, ps, 1e-9)
        _close(co, cs, 1e-6)   # from the differenced Jacobian: its rounding, magnified
    assert info_o["nfev"] == info_s["nfev"]


def test_pointwise_with_weights_poisson_and_fixed():
    po, co = numopt.curve_fit(PW_DECAY_J, X, Y, p0=[1.0, 1.0, 0.5], sigma=SIG, fixed=[2])
    ref, ref_cov = so.curve_fit(lambda x, a, b: decay(x, a, b, 0.5), X, Y, p0=[1.0, 1.0],
                                sigma=SIG)
    _close(po[:2], ref, 1e-8)
    _close(co[:2, :2], ref_cov, 1e-6)
    popt, pcov = numopt.curve_fit(PW_DECAY_J, XC, COUNTS, p0=[30.0, 1.0, 1.0],
                                  estimator="poisson", xtol=1e-12, ftol=1e-12)
    np.testing.assert_allclose(popt, _poisson_mle_reference([30.0, 1.0, 1.0]), rtol=1e-6)
    np.testing.assert_allclose(pcov, _fisher_inverse(popt), rtol=1e-6)


def test_pointwise_errors():
    with pytest.raises(TypeError, match="parameters named"):
        numopt.pointwise(lambda x, *p: x)
    with pytest.raises(ValueError, match="brings its own partials"):
        numopt.curve_fit(PW_DECAY_J, X, Y, p0=[1, 1, 0], jac=decay_jac)
    with pytest.raises(TypeError, match="has no partials"):
        PW_DECAY.jacobian(X, 1.0, 1.0, 0.0)


@pytest.mark.parametrize("method", ["lm", "trf"])
@pytest.mark.parametrize("compiled", [False, True])
def test_a_model_that_is_nan_beside_p0_is_not_fitted(method, compiled):
    def model(x, a, b, c):
        if a != 1.0:
            return np.full(x.size, np.nan)
        return a * np.exp(-b * x) + c
    f = njit(model) if compiled else model
    with pytest.raises(RuntimeError, match="Optimal parameters not found: The Jacobian "
                                           "is not finite"):
        numopt.curve_fit(f, X, Y, p0=[1.0, 1.0, 0.0], method=method)
