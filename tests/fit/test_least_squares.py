"""numopt.least_squares against scipy.optimize.least_squares: results, counts, errors.

``method="lm"`` is MINPACK's algorithm in the same order of operations, so x, cost,
nfev, njev, status and message agree with scipy's to rounding (see test_lm.py for the
state machine itself); here the front door's checks, result fields and both paths."""
import numpy as np
import pytest
import scipy.optimize as so
from numba import njit

import numopt

from .lsq_problems import PROBLEMS

IDS = [p.name for p in PROBLEMS]
FIELDS = ("x", "cost", "fun", "jac", "grad", "optimality", "active_mask", "nfev", "njev",
          "status", "message", "success")


def _same(ours, ref, rtol=1e-10):
    for k in ("x", "fun", "grad"):
        b = np.asarray(ref[k])
        np.testing.assert_allclose(ours[k], b, rtol=rtol, atol=rtol * max(1.0, np.abs(b).max()),
                                   err_msg=k)
    np.testing.assert_allclose(ours.jac, ref.jac, rtol=1e-7,
                               atol=1e-7 * max(1.0, np.abs(ref.jac).max()))
    assert ours.cost == pytest.approx(ref.cost, rel=1e-9, abs=1e-20)
    assert ours.optimality == pytest.approx(ref.optimality, rel=1e-6, abs=1e-12)
    for k in ("nfev", "njev", "status", "message", "success"):
        assert ours[k] == ref[k], k
    np.testing.assert_array_equal(ours.active_mask, ref.active_mask)


# Powell's singular function: x* = 0 with a singular Jacobian, where scipy's last digits
# vary between processes (test_lm.py holds it to the certified solution instead).
REGULAR = [p for p in PROBLEMS if p.name != "powell_singular"]


@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
@pytest.mark.parametrize("prob", REGULAR, ids=[p.name for p in REGULAR])
def test_lm_matches_scipy(prob, jac):
    j = prob.jac if jac == "callable" else jac
    ref = so.least_squares(prob.fun, prob.x0, jac=j, method="lm")
    ours = numopt.least_squares(prob.fun, prob.x0, jac=j, method="lm")
    assert set(FIELDS) <= set(ours)
    _same(ours, ref)


def test_lm_complex_step_matches_scipy():
    def fun(x):
        return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0], np.exp(x[0] * x[1]) - 2])
    ref = so.least_squares(fun, [-1.2, 1.0], jac="cs", method="lm")
    ours = numopt.least_squares(fun, [-1.2, 1.0], jac="cs", method="lm")
    _same(ours, ref)
    assert ours.njev is None


@pytest.mark.parametrize("x_scale", [None, "jac", 2.0, [1.0, 0.5]])
def test_lm_x_scale_and_tolerances(x_scale):
    prob = PROBLEMS[0]
    kw = dict(method="lm", x_scale=x_scale, ftol=1e-10, xtol=1e-12, gtol=1e-9, max_nfev=50)
    _same(numopt.least_squares(prob.fun, prob.x0, **kw), so.least_squares(prob.fun, prob.x0, **kw))


def test_lm_max_nfev_is_a_failure_with_scipy_status():
    prob = PROBLEMS[0]
    ref = so.least_squares(prob.fun, prob.x0, method="lm", max_nfev=3)
    ours = numopt.least_squares(prob.fun, prob.x0, method="lm", max_nfev=3)
    _same(ours, ref)
    assert ours.status == 0 and not ours.success


def test_args_kwargs_and_true_evaluation_count():
    calls = []

    def fun(x, a, *, b):
        calls.append(1)
        return np.array([x[0] - a, b * (x[1] - x[0] ** 2)])
    def jac(x, a, *, b):
        return np.array([[1.0, 0.0], [-2 * b * x[0], b]])
    kw = dict(method="lm", args=(3.0,), kwargs={"b": 10.0})
    res = numopt.least_squares(fun, [0.0, 0.0], jac=jac, **kw)
    np.testing.assert_allclose(res.x, [3.0, 9.0], rtol=1e-7)
    assert res.nfev == len(calls)   # r(x0) is evaluated once, as scipy does
    calls.clear()
    ref = so.least_squares(fun, [0.0, 0.0], jac=jac, **kw)
    assert ref.nfev == len(calls)
    _same(res, ref)
    _same(numopt.least_squares(fun, [0.0, 0.0], **kw), so.least_squares(fun, [0.0, 0.0], **kw))


# -- the compiled path ------------------------------------------------------------------
@njit(cache=True)
def _decay(p, t, y):
    return p[0] * np.exp(-p[1] * t) + p[2] - y


@njit(cache=True)
def _decay_jac(p, t, y):
    J = np.empty((t.size, 3))
    e = np.exp(-p[1] * t)
    J[:, 0] = e
    J[:, 1] = -p[0] * t * e
    J[:, 2] = 1.0
    return J


_T = np.linspace(0, 4, 60)
_Y = 2.5 * np.exp(-1.3 * _T) + 0.5 + 0.02 * np.sin(11 * _T)


@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
def test_compiled_equals_python_equals_scipy(jac):
    """An @njit residual function runs the compiled loop; the same function called from
    Python (scipy, and numopt's Python loop through a plain wrapper) gives the same run."""
    j = _decay_jac if jac == "callable" else jac
    compiled = numopt.least_squares(_decay, [1.0, 1.0, 0.0], jac=j, method="lm", args=(_T, _Y))
    py = numopt.least_squares(lambda p, t, y: _decay(p, t, y), [1.0, 1.0, 0.0],
                              jac=(lambda p, t, y: _decay_jac(p, t, y)) if jac == "callable"
                              else jac, method="lm", args=(_T, _Y))
    ref = so.least_squares(_decay, [1.0, 1.0, 0.0], jac=j, method="lm", args=(_T, _Y))
    for k in ("x", "fun", "jac"):
        np.testing.assert_array_equal(compiled[k], py[k])
    assert (compiled.nfev, compiled.njev, compiled.status) == (py.nfev, py.njev, py.status)
    _same(compiled, ref)


@njit
def _raises_below(p, t, y):
    if p[1] < 1.2:
        raise ZeroDivisionError("rate below 1.2")
    return p[0] * np.exp(-p[1] * t) + p[2] - y


def test_compiled_residuals_that_raise_raise_the_users_exception():
    with pytest.raises(ZeroDivisionError, match="rate below 1.2"):
        numopt.least_squares(_raises_below, [1.0, 2.0, 0.0], method="lm", args=(_T, _Y))


# -- scipy's checks, scipy's messages -------------------------------------------------------
def _trivial(x):
    return (x - 1.0) ** 2 + 5.0


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="other"), "`method` must be"),
    (dict(jac="4-point"), "`jac` must be"),
    (dict(method="lm", bounds=(0, 3)), "doesn't support bounds"),
    (dict(method="lm", loss="huber"), "supports only 'linear'"),
    (dict(loss="nope"), "`loss` must be"),
    (dict(max_nfev=0), "`max_nfev` must be"),
    (dict(method="lm", xtol=1e-20), "higher than machine epsilon"),
    (dict(bounds=(3, 4)), "outside of provided bounds"),
    (dict(bounds=(2, 1)), "strictly less"),
    (dict(bounds=(0, 1, 2)), "must contain 2 elements"),
    (dict(x_scale=-1.0), "`x_scale` must be"),
    (dict(verbose=5), "`verbose` must be"),
])
def test_bad_input_raises_as_scipy(kwargs, match):
    with pytest.raises(ValueError, match=match):
        so.least_squares(_trivial, 2.0, **kwargs)
    with pytest.raises(ValueError, match=match):
        numopt.least_squares(_trivial, 2.0, **kwargs)


@pytest.mark.parametrize("x0, match", [(1j, "must be real"), (np.ones((2, 2)),
                                                             "at most 1 dimension")])
def test_bad_x0(x0, match):
    with pytest.raises(ValueError, match=match):
        numopt.least_squares(_trivial, x0)


def test_bad_residuals_and_jacobians():
    with pytest.raises(ValueError, match="not finite in the initial point"):
        numopt.least_squares(lambda x: np.array([np.nan, x[0]]), [1.0], method="lm")
    with pytest.raises(ValueError, match="at most 1-d"):
        numopt.least_squares(lambda x: np.ones((2, 2)) * x[0], [1.0], method="lm")
    with pytest.raises(ValueError, match="wrong shape"):
        numopt.least_squares(lambda x: np.array([x[0], x[1], 1.0]), [1.0, 2.0], method="lm",
                             jac=lambda x: np.ones((2, 3)))
    with pytest.raises(ValueError, match="number of residuals is less"):
        numopt.least_squares(lambda x: np.array([x[0] + x[1]]), [1.0, 2.0], method="lm")


@pytest.mark.parametrize("kwargs, what", [
    (dict(method="dogbox"), "dogbox"),
    (dict(tr_solver="lsmr"), "lsmr"),
    (dict(loss=lambda z: np.vstack([z, np.ones_like(z), np.zeros_like(z)])), "callable loss"),
    (dict(jac_sparsity=np.ones((1, 1))), "jac_sparsity"),
    (dict(workers=map), "workers"),
    (dict(verbose=2), "verbose=2"),
])
def test_unsupported_options_name_themselves(kwargs, what):
    with pytest.raises(NotImplementedError, match=what):
        numopt.least_squares(_trivial, 2.0, **kwargs)


def test_lm_ignores_tr_solver_and_warns_about_callback():
    res = numopt.least_squares(_trivial, 2.0, method="lm", tr_solver="lsmr")
    assert res.success
    with pytest.warns(UserWarning, match="not supported with `lm`"):
        numopt.least_squares(_trivial, 2.0, method="lm", callback=lambda r: None)


def test_verbose_prints_the_report(capsys):
    numopt.least_squares(_trivial, 2.0, method="lm", verbose=1)
    out = capsys.readouterr().out
    assert "Function evaluations" in out and "first-order optimality" in out


# -- method="trf" through the front door -------------------------------------------------
def _bounded(prob):
    """Bounds around x0 that the solution presses on (scipy's solution with them is the
    reference), wide enough for a start strictly inside."""
    x0 = np.asarray(prob.x0, float)
    return x0 - 0.5 * (1 + np.abs(x0)), x0 + 0.25 * (1 + np.abs(x0))


@pytest.mark.parametrize("bounds", ["none", "box"])
@pytest.mark.parametrize("prob", REGULAR[:8], ids=[p.name for p in REGULAR[:8]])
def test_trf_matches_scipy(prob, bounds):
    b = (-np.inf, np.inf) if bounds == "none" else _bounded(prob)
    for jac in ("2-point", prob.jac):
        ref = so.least_squares(prob.fun, prob.x0, jac=jac, bounds=b)
        ours = numopt.least_squares(prob.fun, prob.x0, jac=jac, bounds=b)
        _same(ours, ref, rtol=1e-8)


@pytest.mark.parametrize("loss", ["soft_l1", "huber", "cauchy", "arctan"])
def test_trf_losses_match_scipy(loss):
    """Robust losses with an analytic Jacobian (with differences, numba's and numpy's
    last-digit differences in the loss functions grow, see test_trf.py)."""
    y = _Y.copy()
    y[::9] += 2.0   # outliers
    kw = dict(jac=_decay_jac, loss=loss, f_scale=0.1, args=(_T, y))
    ref = so.least_squares(_decay, [1.0, 1.0, 0.0], **kw)
    ours = numopt.least_squares(_decay, [1.0, 1.0, 0.0], **kw)
    _same(ours, ref, rtol=1e-9)


@pytest.mark.parametrize("jac", ["2-point", "callable"])
def test_trf_compiled_equals_python(jac):
    j = _decay_jac if jac == "callable" else jac
    kw = dict(bounds=([0.0, 1.4, -1.0], [10.0, 5.0, 1.0]), args=(_T, _Y))
    compiled = numopt.least_squares(_decay, [1.0, 2.0, 0.0], jac=j, **kw)
    py = numopt.least_squares(lambda p, t, y: _decay(p, t, y), [1.0, 2.0, 0.0],
                              jac=(lambda p, t, y: _decay_jac(p, t, y)) if jac == "callable"
                              else jac, **kw)
    for k in ("x", "fun", "jac", "active_mask"):
        np.testing.assert_array_equal(compiled[k], py[k])
    assert compiled.active_mask[1] == -1   # the rate presses on its lower bound
    _same(compiled, so.least_squares(_decay, [1.0, 2.0, 0.0], jac=j, **kw))


def test_trf_callback_sees_each_iteration_and_can_stop():
    seen, ref_seen = [], []
    kw = dict(args=(_T, _Y))
    res = numopt.least_squares(_decay, [1.0, 1.0, 0.0],
                               callback=lambda intermediate_result: seen.append(
                                   intermediate_result), **kw)
    ref = so.least_squares(_decay, [1.0, 1.0, 0.0],
                           callback=lambda intermediate_result: ref_seen.append(
                               intermediate_result), **kw)
    assert [r.nit for r in seen] == [r.nit for r in ref_seen]
    for a, b in zip(seen, ref_seen):
        np.testing.assert_allclose(a.x, b.x, rtol=1e-10)
        assert a.cost == pytest.approx(b.cost, rel=1e-10) and a.nfev == b.nfev
    np.testing.assert_array_equal(seen[-1].x, res.x)

    def stop(x):
        raise StopIteration
    res = numopt.least_squares(_decay, [1.0, 1.0, 0.0], callback=stop, **kw)
    assert res.status == -2 and not res.success and res.nit == 1
    assert res.message == so.least_squares(_decay, [1.0, 1.0, 0.0], callback=stop,
                                           **kw).message


@pytest.mark.parametrize("method", ["lm", "trf"])
@pytest.mark.parametrize("jac", ["2-point", "3-point"])
def test_float32_residuals_take_float32_difference_steps(method, jac):
    """scipy steps by float32's epsilon where fun returns float32 (gh-12991), so the
    Jacobians agree (with float64's steps the differences would be zero). numopt takes
    the differences of the float32 residuals in float64, scipy in float32: the last
    iterates can meet a different test first (status 3 or 4)."""
    t = np.linspace(0, 1, 50, dtype=np.float32)
    y = (1.5 - 0.7 * t).astype(np.float32)

    def fun(p):
        return (p[0] + p[1] * t - y).astype(np.float32)
    ref = so.least_squares(fun, [-1.0, -1.0], jac=jac, method=method)
    ours = numopt.least_squares(fun, [-1.0, -1.0], jac=jac, method=method)
    assert ours.nfev == ref.nfev > 2 and ours.success and ref.success
    np.testing.assert_allclose(ours.x, ref.x, rtol=1e-6)
    np.testing.assert_allclose(ours.x, [1.5, -0.7], atol=1e-3)


def _nan_beside_x0(p, t, y):
    """Finite at x0 = (1, 2) only: every difference step lands on NaN."""
    if p[0] != 1.0:
        return np.full(t.size, np.nan)
    return p[0] * np.exp(-p[1] * t) - y


_nan_beside_x0_c = njit(_nan_beside_x0)


@pytest.mark.parametrize("method", ["lm", "trf"])
@pytest.mark.parametrize("compiled", [False, True])
def test_a_jacobian_that_is_not_finite_is_a_failure(method, compiled):
    """scipy's lm reports the gtol test satisfied on this NaN Jacobian (and its trf
    raises from the SVD); numopt stops with status -3, never a success."""
    fun = _nan_beside_x0_c if compiled else _nan_beside_x0
    res = numopt.least_squares(fun, [1.0, 2.0], method=method, args=(_T, _Y))
    assert res.status == -3 and not res.success
    assert "not finite" in res.message
    np.testing.assert_array_equal(res.x, [1.0, 2.0])
    assert not np.isfinite(res.optimality)
    # a wrong analytic Jacobian, NaN somewhere, likewise
    res = numopt.least_squares(_decay, [1.0, 1.0, 0.0], method=method, args=(_T, _Y),
                               jac=lambda p, t, y: np.full((t.size, 3), np.nan))
    assert res.status == -3 and not res.success
