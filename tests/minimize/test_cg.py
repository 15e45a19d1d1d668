"""CG against scipy.optimize.minimize(method="CG") run in the test.

numopt's CG follows scipy's ``_minimize_cg`` operation by operation, with both of scipy's
line searches (Moré-Thuente, then ``line_search_wolfe2`` with the sufficient-descent
check) and ``np.dot``'s own summation order (OpenBLAS: fused multiply-adds, and for
n >= 16 its SkylakeX kernel's lanes). Where this machine's ``np.dot`` is the one modelled
(``blas_modelled(n)``), every MGH problem runs bit for bit as scipy's: the same x, f,
gradient, nit, nfev and status. ``njev`` is larger than scipy's where the second line
search evaluates f alone: numopt always evaluates f and g together.
"""
import inspect
import warnings

import numpy as np
import pytest
import scipy.optimize as so
import scipy.optimize._optimize as scipy_optimize
from numba import njit
from scipy.optimize import OptimizeWarning

import numopt
from numopt._minimize import _cg
from numopt.testing import problems as P
from tests.reference.objectives import rosen_fg

PROBLEMS = P.ALL


def _blas_modelled(n, trials=20):
    dot = njit(_cg._dot)
    rng = np.random.default_rng(n)
    for _ in range(trials):
        v = rng.standard_normal(2 * n) * 10.0 ** rng.uniform(-3, 3, 2 * n)
        if dot(v, 0, n, n) != np.dot(v[:n], v[n:]):
            return False
    return True


_MODELLED = {}


def blas_modelled(n):
    """Whether ``np.dot`` of length-n vectors sums in ``_cg._dot``'s order here."""
    if n not in _MODELLED:
        _MODELLED[n] = _blas_modelled(n)
    return _MODELLED[n]


def scipy_cg(fun, x0, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return so.minimize(fun, np.array(x0, dtype=float), method="CG", **kwargs)


def cg(fun, x0, **kwargs):
    return numopt.minimize(fun, np.array(x0, dtype=float), method="CG", **kwargs)


def solved(fun, prob, scale=1e-6):
    return abs(fun - prob.f_min) <= scale * abs(prob.f_min) + 1e-10


def assert_same_run(res, ref, n):
    assert (res.nit, res.nfev, res.status, res.success, res.message) == \
        (ref.nit, ref.nfev, ref.status, ref.success, ref.message)
    np.testing.assert_array_equal(res.x, ref.x)
    np.testing.assert_array_equal(res.jac, ref.jac)
    assert res.fun == ref.fun
    assert res.njev >= ref.njev


# --- against scipy on the MGH problems -----------------------------------------------------------

@pytest.mark.parametrize("prob", PROBLEMS, ids=[p.label for p in PROBLEMS])
def test_cg_runs_as_scipys(prob):
    for options in ({}, {"gtol": 1e-10}):
        ref = scipy_cg(prob.f, prob.x0, jac=prob.jac, options=options)
        res = cg(prob.f, prob.x0, jac=prob.jac, options=options)
        if solved(ref.fun, prob):
            assert solved(res.fun, prob), (res.fun, res.message, ref.fun)
        if blas_modelled(prob.n):
            assert_same_run(res, ref, prob.n)


def test_cg_total_nfev_within_10_percent_of_scipy():
    ours = theirs = 0
    for prob in PROBLEMS:
        theirs += scipy_cg(prob.f, prob.x0, jac=prob.jac).nfev
        ours += cg(prob.f, prob.x0, jac=prob.jac).nfev
    assert ours <= 1.1 * theirs, (ours, theirs)


# Runs that go through scipy's second line search (line_search_wolfe2) on the machine the
# suite was written on (OpenBLAS's SkylakeX kernels): (label, options). Which runs reach
# it, and their counts, depend on the BLAS kernel numpy's np.dot uses on the CPU, so the
# counts are compared with scipy's run here, not pinned.
SECOND_SEARCH = (
    ("rosenbrock", ()), ("beale", ()), ("helical_valley", ()), ("watson_n6", ()),
    ("bard", ()), ("bard", (("gtol", 1e-10),)), ("freudenstein_roth", (("gtol", 1e-10),)),
    ("meyer", ()), ("osborne_1", (("gtol", 1e-10),)), ("penalty_2_n4", (("gtol", 1e-10),)),
    ("variably_dimensioned_n10", ()), ("extended_rosenbrock_n100", ()),
    ("extended_powell_singular_n100", (("gtol", 1e-10),)),
)


def test_counts_equal_scipys_through_the_second_line_search(monkeypatch):
    """The same nit, nfev and status as scipy's on runs where scipy's CG falls back to
    its second line search; several of them do on any CPU."""
    seen = []
    wolfe2 = scipy_optimize.line_search_wolfe2

    def counting(*args, **kwargs):
        ret = wolfe2(*args, **kwargs)
        seen.append(ret[0] is not None)
        return ret

    monkeypatch.setattr(scipy_optimize, "line_search_wolfe2", counting)
    for label, options in SECOND_SEARCH:
        prob = P.get(label)
        ref = scipy_cg(prob.f, prob.x0, jac=prob.jac, options=dict(options))
        res = cg(prob.f, prob.x0, jac=prob.jac, options=dict(options))
        assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status), label
    assert len(seen) >= 5 and sum(seen) >= 3   # the fallback ran, and found steps


def test_second_search_out_of_iterations_takes_its_last_step_like_scipy():
    # Unbounded below: Moré-Thuente fails (100 evaluations) and the second search
    # doubles its step 10 times; scipy takes that last step anyway.
    f = lambda x: float(-x.sum())  # noqa: E731
    g = lambda x: -np.ones_like(x)  # noqa: E731
    for maxiter in (1, 3):
        ref = scipy_cg(f, np.zeros(2), jac=g, options={"maxiter": maxiter})
        res = cg(f, np.zeros(2), jac=g, options={"maxiter": maxiter})
        assert (res.nit, res.nfev, res.status) == (maxiter, 1 + 111 * maxiter, 1)
        assert_same_run(res, ref, 2)


def test_infinite_values_end_at_the_best_point_evaluated():
    """+inf at trial points: the line searches back away from it as scipy's do (the same
    evaluations), and where scipy then stops with "precision loss" at its last iterate,
    numopt reports status 5 at the best point evaluated (API.md section 5)."""
    seen = []

    def f(x):
        value = float(np.sum((x - 3.0) ** 2)) if x[0] < 2.5 else np.inf
        seen.append((value, x.copy()))
        return value

    def g(x):
        return 2.0 * (x - 3.0)

    ref = scipy_cg(f, [0.0, 0.0], jac=g)
    scipy_seen, seen[:] = list(seen), []
    res = cg(f, [0.0, 0.0], jac=g)
    assert ref.status == 2 and res.status == 5 and not res.success
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
    assert [v for v, _ in seen] == [v for v, _ in scipy_seen]   # the same evaluations
    best, x_best = min(seen, key=lambda t: t[0])
    assert res.fun == best < ref.fun
    np.testing.assert_array_equal(res.x, x_best)
    np.testing.assert_array_equal(res.jac, g(x_best))


# --- compiled and Python paths ------------------------------------------------------------------

@pytest.mark.parametrize("label", ["rosenbrock", "bard", "meyer", "penalty_2_n4", "extended_rosenbrock_n100"])
def test_python_path_equals_compiled_path(label):
    prob = P.get(label)
    fg = numopt.objective(grad=True)(prob.fg)
    compiled = cg(fg, prob.x0, options={"gtol": 1e-10})
    looped = cg(fg, prob.x0, options={"gtol": 1e-10}, callback=lambda xk: None)
    python = cg(prob.f, prob.x0, jac=prob.jac, options={"gtol": 1e-10})
    for other in (looped, python):
        assert (compiled.nit, compiled.nfev, compiled.status) == (other.nit, other.nfev, other.status)
        np.testing.assert_array_equal(compiled.x, other.x)


def test_compiled_objective_with_args_and_recompiles_nothing():
    from numopt._minimize import _drivers

    res = cg(rosen_fg, [-1.2, 1.0, 0.5], args=(1.0, 100.0))
    assert res.success and np.allclose(res.x, 1.0, atol=1e-5)
    before = len(_drivers._solvers)

    @numopt.objective(grad=True)
    def quad_fg(x, g, a, b):
        f = 0.0
        for i in range(x.size):
            g[i] = 2.0 * a * (x[i] - b)
            f += a * (x[i] - b) ** 2
        return f

    res = cg(quad_fg, [0.0, 0.0], args=(1.0, 100.0))
    assert len(_drivers._solvers) == before
    np.testing.assert_allclose(res.x, 100.0)


@pytest.mark.parametrize("jac", [None, "2-point", "3-point"])
def test_finite_differences(jac):
    prob = P.get("rosenbrock")
    ref = scipy_cg(prob.f, prob.x0, jac=jac)
    res = cg(prob.f, prob.x0, jac=jac)
    assert res.success and ref.success
    np.testing.assert_allclose(res.x, ref.x, atol=1e-4)
    assert abs(res.nfev - ref.nfev) <= 0.2 * ref.nfev


# --- options, statuses, edge cases -------------------------------------------------------------

def test_options_and_tol_match_scipy():
    prob = P.get("beale")
    for kwargs in ({"tol": 1e-3}, {"tol": 1e-12}, {"options": {"c1": 1e-3, "c2": 0.2}},
                   {"options": {"norm": -np.inf}}, {"options": {"gtol": 1e-8, "disp": True,
                                                                 "return_all": True}}):
        ref = scipy_cg(prob.f, prob.x0, jac=prob.jac, **kwargs)
        res = cg(prob.f, prob.x0, jac=prob.jac, **kwargs)
        assert_same_run(res, ref, prob.n)
    # return_all: scipy's allvecs, x0 then the iterate after each iteration
    assert len(res.allvecs) == len(ref.allvecs) == ref.nit + 1
    np.testing.assert_array_equal(np.array(res.allvecs), np.array(ref.allvecs))


@pytest.mark.parametrize("norm", [2.0, 1.0])
def test_finite_norms(norm):
    prob = P.get("helical_valley")
    ref = scipy_cg(prob.f, prob.x0, jac=prob.jac, options={"norm": norm})
    res = cg(prob.f, prob.x0, jac=prob.jac, options={"norm": norm})
    assert res.success and ref.success
    # numopt sums |g|^norm in order; numpy's np.sum pairwise: the stopping test may differ
    assert abs(res.nit - ref.nit) <= 2


@pytest.mark.parametrize("maxiter", [0, 1, 5])
def test_maxiter_like_scipy(maxiter):
    prob = P.get("rosenbrock")
    ref = scipy_cg(prob.f, prob.x0, jac=prob.jac, options={"maxiter": maxiter})
    res = cg(prob.f, prob.x0, jac=prob.jac, options={"maxiter": maxiter})
    assert res.nit == maxiter and res.status == 1 and "Maximum number of iterations" in res.message
    assert_same_run(res, ref, 2)


def test_converging_on_the_last_allowed_iteration_reports_maxiter_like_scipy():
    prob = P.get("beale")
    nit = cg(prob.f, prob.x0, jac=prob.jac).nit
    ref = scipy_cg(prob.f, prob.x0, jac=prob.jac, options={"maxiter": nit})
    res = cg(prob.f, prob.x0, jac=prob.jac, options={"maxiter": nit})
    assert res.status == ref.status == 1
    assert_same_run(res, ref, 2)


def test_default_maxiter_is_200n():
    f = lambda x: float(-x.sum())  # noqa: E731 - unbounded: every iteration takes a step
    res = cg(f, [0.0], jac=lambda x: -np.ones(1))
    assert res.nit == 200 and res.status == 1


@pytest.mark.parametrize("c1,c2", [(0.5, 0.4), (0.0, 0.4), (1e-4, 1.0)])
def test_bad_c1_c2_raise_scipys_error(c1, c2):
    prob = P.get("rosenbrock")
    with pytest.raises(ValueError) as theirs:
        scipy_cg(prob.f, prob.x0, jac=prob.jac, options={"c1": c1, "c2": c2})
    with pytest.raises(ValueError) as ours:
        cg(prob.f, prob.x0, jac=prob.jac, options={"c1": c1, "c2": c2})
    assert str(ours.value) == str(theirs.value)


def test_unknown_options():
    with pytest.warns(OptimizeWarning, match="Unknown solver options: xrtol"):
        cg(lambda x: float(x @ x), [1.0], options={"xrtol": 1e-3})


def test_already_optimal_start():
    for x0 in ([0.0, 0.0], [1e-9, 0.0]):
        ref = scipy_cg(lambda x: float(x @ x), x0, jac=lambda x: 2 * x)
        res = cg(lambda x: float(x @ x), x0, jac=lambda x: 2 * x)
        assert_same_run(res, ref, 2)
    assert res.nit == 0 and res.nfev == 1 and res.success


def test_nan_objective_returns_last_finite_iterate():
    calls = []

    def f(x):
        calls.append(x.copy())
        return float("nan") if len(calls) > 6 else float(np.sum((x - 5.0) ** 2))

    res = cg(f, [0.0, 0.0], jac=lambda x: 2.0 * (x - 5.0))
    assert res.status == 5 and not res.success
    assert np.all(np.isfinite(res.x)) and res.fun == float(np.sum((res.x - 5.0) ** 2))


def test_nan_at_x0():
    res = cg(lambda x: float("nan"), [1.0, 2.0], jac=lambda x: np.zeros(2))
    assert res.status == 5 and res.nit == 0 and res.nfev == 1
    np.testing.assert_array_equal(res.x, [1.0, 2.0])


def test_nan_gradient_is_scipys_status_3():
    ref = scipy_cg(lambda x: float(x @ x), [1.0, 2.0], jac=lambda x: np.full(2, np.nan))
    res = cg(lambda x: float(x @ x), [1.0, 2.0], jac=lambda x: np.full(2, np.nan))
    assert res.status == ref.status == 3 and res.message == ref.message
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)


def test_callback_sees_scipys_iterates_and_can_stop():
    prob = P.get("rosenbrock")
    theirs, ours = [], []
    scipy_cg(prob.f, prob.x0, jac=prob.jac, callback=lambda xk: theirs.append(xk.copy()))
    res = cg(prob.f, prob.x0, jac=prob.jac, callback=lambda xk: ours.append(xk.copy()))
    assert len(ours) == res.nit
    np.testing.assert_array_equal(ours, theirs[:len(ours)])

    def stop(intermediate_result):
        if intermediate_result.fun < 1.0:
            raise StopIteration

    res = cg(prob.f, prob.x0, jac=prob.jac, callback=stop)
    assert res.status == 99 and res.fun < 1.0


def test_registered_with_scipys_defaults():
    from numopt._minimize import _registry

    spec = _registry.get("cg")
    assert spec.name == "CG" and spec.module is _cg and spec.tol == ("gtol",)
    assert not spec.bounds and not spec.constraints and spec.uses_gradient
    params = inspect.signature(scipy_optimize._minimize_cg).parameters.items()
    scipy_defaults = {k: v.default for k, v in params
                      if v.default is not inspect.Parameter.empty and k not in ("args", "jac", "callback")}
    assert set(spec.defaults) == set(scipy_defaults)
    for name in ("gtol", "norm", "maxiter", "c1", "c2", "disp", "return_all", "workers",
                 "eps", "finite_diff_rel_step"):
        assert spec.defaults[name] == scipy_defaults[name], name


# -- issue 9 ----------------------------------------------------------------------------
@numopt.objective(grad=True)
def _ditch_fg(x, g, c):
    """|x - c|^2 with its gradient; -inf past the middle of the way to c (in x[0])."""
    for i in range(x.size):
        g[i] = 2.0 * (x[i] - c[i])
    if x[0] > 0.5 * c[0]:
        return -np.inf
    f = 0.0
    for i in range(x.size):
        f += (x[i] - c[i]) ** 2
    return f


def test_minus_inf_mid_run_is_status_5_at_the_best_finite_point():
    """The line search would take -inf as the lowest value there is (numopt's CG reported
    success with fun=-inf); the run stops there with status 5 at the best finite point,
    Python and compiled alike."""
    c = np.array([1.08658])
    seen = []

    def f(x, c):
        v = -np.inf if x[0] > 0.5 * c[0] else float(np.sum((x - c) ** 2))
        seen.append(v)
        return v

    for fun, jac in ((f, lambda x, c: 2.0 * (x - c)), (_ditch_fg, None)):
        res = numopt.minimize(fun, [0.058371], args=(c,), jac=jac, method="CG")
        assert (res.status, res.success) == (5, False)
        assert np.isfinite(res.fun) and res.fun == f(res.x, c) <= f(np.array([0.058371]), c)
    assert min(v for v in seen if np.isfinite(v)) == numopt.minimize(
        f, [0.058371], args=(c,), jac=lambda x, c: 2.0 * (x - c), method="CG").fun


def test_nan_tolerance_raises():
    """scipy's loop test ``gnorm > gtol`` is false for a NaN gtol: it reports success at
    x0 without a step. numopt raises, naming the option."""
    ref = so.minimize(so.rosen, [1.3, 0.7], method="CG", tol=np.nan)
    assert ref.success and ref.nit == 0
    with pytest.raises(ValueError, match="'tol'.*NaN"):
        numopt.minimize(so.rosen, [1.3, 0.7], method="CG", tol=np.nan)
    with pytest.raises(ValueError, match="'gtol'.*NaN"):
        numopt.minimize(so.rosen, [1.3, 0.7], method="CG", options={"gtol": np.nan})
    with pytest.raises(TypeError, match="'gtol'"):
        numopt.minimize(so.rosen, [1.3, 0.7], method="CG", options={"gtol": "abc"})
