"""L-BFGS-B against scipy.optimize.minimize(method="L-BFGS-B"), run in the test."""
import warnings

import numpy as np
import pytest
import scipy.optimize as so
from numba import njit

import numopt
from numopt._result import describe
from numopt.testing import problems as P
from tests.reference.objectives import rosen_fg, rosen_pair as rosen_py

METHOD = "L-BFGS-B"


def _scipy(fun, x0, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return so.minimize(fun, x0, method=METHOD, **kw)


def _ours(fun, x0, **kw):
    return numopt.minimize(fun, x0, method=METHOD, **kw)


def solved(fun, prob, scale=1e-6):
    return abs(fun - prob.f_min) <= scale * abs(prob.f_min) + 1e-10


def projected_gradient(x, g, lower, upper):
    """scipy's projgr: the gradient with the components that push out of the box cut."""
    pg = g.copy()
    neg = g < 0
    pg[neg] = np.maximum(x[neg] - upper[neg], g[neg])
    pg[~neg] = np.minimum(x[~neg] - lower[~neg], g[~neg])
    return pg


def cutting_bounds(prob):
    """Bounds in the style of the bound-constrained MGH variants: every third variable is
    boxed between x0 and halfway to the unconstrained minimizer (so the bound is active at
    the solution), every third one has a loose lower bound, the rest are free."""
    x0 = prob.x0.copy()
    xs = _scipy(prob.f, x0, jac=prob.jac).x
    lower = np.full(prob.n, -np.inf)
    upper = np.full(prob.n, np.inf)
    for i in range(prob.n):
        mid = 0.5 * (x0[i] + xs[i])
        if i % 3 == 0 and xs[i] != x0[i]:
            if xs[i] > x0[i]:
                lower[i], upper[i] = x0[i] - 1.0, mid
            else:
                lower[i], upper[i] = mid, x0[i] + 1.0
        elif i % 3 == 1:
            lower[i] = min(x0[i], xs[i]) - 1.0
    return so.Bounds(lower, upper)


# API.md 5: a run that met +inf is no success on a criterion that does not certify a
# minimum. scipy's L-BFGS-B reports "relative reduction" convergence where its last line
# search backed away from +inf all the way to the iterate (jennrich_sampson: exp overflows
# at a trial point; scipy stops at f = 214.3, the minimum is 124.4); numopt makes the same
# run and ends it with status 5 there.
INF_STOPS = {"jennrich_sampson"}


def expected(ref, label):
    """``(status, message)`` numopt gives where scipy's run gave ``ref``."""
    if label in INF_STOPS:
        assert ref.status == 0 and "RELATIVE REDUCTION" in ref.message   # scipy's claim
        return 5, describe(5)[2]
    return ref.status, ref.message


# -- unconstrained: the MGH problems ---------------------------------------------------------
@pytest.mark.parametrize("prob", P.ALL, ids=[p.label for p in P.ALL])
def test_solves_what_scipy_solves(prob):
    x0 = prob.x0.copy()
    ref = _scipy(prob.f, x0, jac=prob.jac)
    res = _ours(prob.f, x0, jac=prob.jac)
    if solved(ref.fun, prob):
        assert solved(res.fun, prob), (res.fun, res.message, ref.fun)
    assert res.status == 0 or res.status == expected(ref, prob.label)[0]


def test_total_nfev_within_10_percent_of_scipy():
    ours = theirs = 0
    for prob in P.ALL:
        x0 = prob.x0.copy()
        theirs += _scipy(prob.f, x0, jac=prob.jac).nfev
        ours += _ours(prob.f, x0, jac=prob.jac).nfev
    assert ours <= 1.1 * theirs, (ours, theirs)


# Same algorithm, same line search: the counts agree with scipy's where roundings do.
# jennrich_sampson asks twice in a row for the same point, which scipy's wrapper (and so
# numopt) evaluates once.
PINNED = ["rosenbrock", "beale", "helical_valley", "jennrich_sampson", "watson_n6", "wood",
          "extended_rosenbrock_n10", "penalty_2_n10", "extended_powell_singular_n100"]


@pytest.mark.parametrize("name", PINNED)
def test_pins_scipys_counts(name):
    prob = P.get(name)
    ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac)
    res = _ours(prob.f, prob.x0.copy(), jac=prob.jac)
    status, message = expected(ref, name)
    assert (res.nit, res.nfev, res.njev, res.status) == (ref.nit, ref.nfev, ref.njev, status)
    assert res.message == message
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name,maxcor", [("rosenbrock", 1), ("extended_rosenbrock_n10", 3),
                                          ("biggs_exp6", 3), ("watson_n6", 5),
                                          ("chained_rosenbrock_n10", 5)])
def test_counts_with_small_memory(name, maxcor):
    """Long runs with a short memory: the ring buffers wrap many times."""
    prob = P.get(name)
    opts = {"maxcor": maxcor}
    ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac, options=opts)
    res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, options=opts)
    assert res.nit > 3 * maxcor
    assert (res.nit, res.nfev, res.message) == (ref.nit, ref.nfev, ref.message)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-9)


# -- bound constraints ----------------------------------------------------------------------
BOUNDED = [p for p in P.ALL if p.name not in ("powell_badly_scaled",)]


@pytest.mark.parametrize("prob", BOUNDED, ids=[p.label for p in BOUNDED])
def test_bounded_mgh_matches_scipy(prob):
    bounds = cutting_bounds(prob)
    x0 = prob.x0.copy()
    ref = _scipy(prob.f, x0, jac=prob.jac, bounds=bounds)
    res = _ours(prob.f, x0, jac=prob.jac, bounds=bounds)
    assert res.status == ref.status == 0, (res.message, ref.message)
    assert np.all(res.x >= bounds.lb) and np.all(res.x <= bounds.ub)
    assert res.fun == pytest.approx(ref.fun, rel=1e-7, abs=1e-10)
    if ref.fun > 1e-6:  # a well-defined minimizer
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-3, atol=1e-5)
    assert abs(res.nfev - ref.nfev) <= max(2, 0.1 * ref.nfev)


def test_bounded_mgh_counts_mostly_pinned():
    same = 0
    for prob in BOUNDED:
        bounds = cutting_bounds(prob)
        ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac, bounds=bounds)
        res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, bounds=bounds)
        same += (res.nit, res.nfev) == (ref.nit, ref.nfev)
    assert same >= 0.9 * len(BOUNDED), (same, len(BOUNDED))


def test_active_bounds_at_solution_tight_tolerances():
    """With tight tolerances the projected gradient vanishes and active bounds hold."""
    opts = {"ftol": 0.0, "gtol": 1e-9}
    for name in ("extended_rosenbrock_n10", "penalty_1_n10", "broyden_banded_n10", "wood"):
        prob = P.get(name)
        bounds = cutting_bounds(prob)
        res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, bounds=bounds, options=opts)
        ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac, bounds=bounds, options=opts)
        pg = projected_gradient(res.x, res.jac, bounds.lb, bounds.ub)
        assert np.max(np.abs(pg)) <= 1e-6, (name, res.message)
        active = np.isclose(res.x, bounds.lb) | np.isclose(res.x, bounds.ub)
        assert active.any(), name
        ref_active = np.isclose(ref.x, bounds.lb) | np.isclose(ref.x, bounds.ub)
        np.testing.assert_array_equal(active, ref_active)
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-6, atol=1e-8)


def test_rosenbrock_with_bounds_cutting_off_the_minimum():
    prob = P.get("rosenbrock")
    bounds = [(-2.0, 0.8), (-1.0, 2.0)]
    res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, bounds=bounds)
    ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac, bounds=bounds)
    # x1 sits at its upper bound; x2 minimizes 100 (x2 - 0.64)^2: (0.8, 0.64), f = 0.04
    np.testing.assert_allclose(res.x, [0.8, 0.64], atol=1e-6)
    assert res.fun == pytest.approx(0.04, abs=1e-10)
    assert res.x[0] == 0.8  # exactly at the bound
    assert (res.nit, res.nfev, res.message) == (ref.nit, ref.nfev, ref.message)


def test_box_quadratic_with_known_solution():
    """Separable quadratic: the minimizer is the clipped unconstrained one."""
    rng = np.random.default_rng(7)
    n = 30
    c = rng.uniform(-3, 3, n)
    w = rng.uniform(0.5, 5.0, n)
    lower = rng.uniform(-2, 0, n)
    upper = rng.uniform(0, 2, n)

    def fg(x):
        r = x - c
        return float(0.5 * np.sum(w * r * r)), w * r

    res = _ours(fg, np.zeros(n), jac=True, bounds=so.Bounds(lower, upper),
                options={"ftol": 0.0, "gtol": 1e-10})
    assert res.success
    np.testing.assert_allclose(res.x, np.clip(c, lower, upper), atol=1e-7)
    assert np.any(res.x == lower) and np.any(res.x == upper)


@pytest.mark.parametrize("seed", range(6))
def test_coupled_box_quadratics_match_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 25))
    A = rng.standard_normal((n, n))
    H = A @ A.T + 0.1 * np.eye(n)
    c = 3 * rng.standard_normal(n)
    lower = rng.uniform(-1, 0, n)
    upper = rng.uniform(0, 1, n)
    if seed % 2:
        lower[::2] = -np.inf
    if seed % 3 == 2:
        lower[1::4] = upper[1::4]  # fixed variables
    x0 = rng.uniform(-2, 2, n)  # partly outside the box: clipped

    def fg(x):
        return float(0.5 * x @ H @ x - c @ x), H @ x - c

    bounds = list(zip(lower, upper))
    res = _ours(fg, x0, jac=True, bounds=bounds)
    ref = _scipy(fg, x0, jac=True, bounds=bounds)
    assert res.success
    assert res.fun == pytest.approx(ref.fun, rel=1e-9)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-5)
    assert abs(res.nfev - ref.nfev) <= max(2, 0.1 * ref.nfev)
    fixed = lower == upper
    np.testing.assert_array_equal(res.x[fixed], lower[fixed])


def test_x0_is_clipped_into_the_box():
    seen = []

    def f(x):
        seen.append(x.copy())
        return float(np.sum((x - 0.3) ** 2)), 2 * (x - 0.3)

    res = _ours(f, [5.0, -5.0, 0.1], jac=True, bounds=[(-1, 1), (0, 2), (None, None)])
    np.testing.assert_array_equal(seen[0], [1.0, 0.0, 0.1])
    np.testing.assert_allclose(res.x, [0.3, 0.3, 0.3], atol=1e-6)


def test_all_variables_fixed():
    prob = P.get("rosenbrock")
    res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, bounds=[(0.5, 0.5), (0.2, 0.2)])
    np.testing.assert_array_equal(res.x, [0.5, 0.2])
    assert res.success and res.nit == 0 and res.nfev == 1


def test_default_method_with_bounds_is_lbfgsb():
    prob = P.get("rosenbrock")
    a = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, bounds=[(-2, 0.8), (-1, 2)])
    b = _ours(prob.f, prob.x0.copy(), jac=prob.jac, bounds=[(-2, 0.8), (-1, 2)])
    assert (a.nit, a.nfev, a.message) == (b.nit, b.nfev, b.message)


# -- paths, limits, tolerances ----------------------------------------------------------------
@pytest.mark.parametrize("bounds", [None, [(-2.0, 0.8), (-1.0, 2.0), (0.1, 0.5), (None, 3.0)]])
def test_python_path_equals_compiled_path(bounds):
    x0 = np.array([-1.2, 1.0, 0.5, -0.3])
    compiled = _ours(rosen_fg, x0, args=(1.0, 100.0), bounds=bounds)
    looped = _ours(rosen_fg, x0, args=(1.0, 100.0), bounds=bounds, callback=lambda xk: None)
    python = _ours(rosen_py, x0, args=(1.0, 100.0), bounds=bounds, jac=True)
    assert (compiled.nit, compiled.nfev) == (looped.nit, looped.nfev) == (python.nit, python.nfev)
    np.testing.assert_array_equal(compiled.x, looped.x)
    np.testing.assert_array_equal(compiled.x, python.x)
    assert compiled.success


def test_njit_objective_with_finite_differences():
    @njit
    def f(x):
        return (x[0] - 3.0) ** 2 + 10.0 * (x[1] + 1.0) ** 2

    res = _ours(f, [0.0, 0.0], bounds=[(None, 2.0), (-5, 5)])
    assert res.success
    np.testing.assert_allclose(res.x, [2.0, -1.0], atol=1e-5)


def test_maxiter_and_maxfun_stop_as_scipy():
    prob = P.get("rosenbrock")
    for opts, reason in (({"maxiter": 5}, "ITERATIONS"), ({"maxiter": 0}, "ITERATIONS"),
                         ({"maxfun": 10}, "EVALUATIONS")):
        ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac, options=opts)
        res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, options=opts)
        assert (res.nit, res.nfev, res.status, res.message) == (ref.nit, ref.nfev, ref.status,
                                                                 ref.message)
        assert reason in res.message and res.status == 1 and not res.success
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-12)


def test_tol_sets_ftol_and_gtol():
    prob = P.get("rosenbrock")
    for tol in (1e-3, 1e-10):
        ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac, tol=tol)
        res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, tol=tol)
        assert (res.nit, res.nfev, res.message) == (ref.nit, ref.nfev, ref.message)


def test_maxls_limits_the_line_search():
    prob = P.get("rosenbrock")
    for maxls in (1, 2, 5):
        ref = _scipy(prob.f, prob.x0.copy(), jac=prob.jac, options={"maxls": maxls})
        res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, options={"maxls": maxls})
        assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status)


def test_abnormal_termination_on_a_wrong_gradient():
    def f(x):
        return float(np.sum(x ** 2))

    def wrong(x):
        return -0.5 * x  # not a descent direction: every line search fails

    ref = _scipy(f, [1.0, 2.0], jac=wrong)
    res = _ours(f, [1.0, 2.0], jac=wrong)
    assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status) == (0, 18, 2)
    assert res.message.startswith("ABNORMAL") and not res.success
    # scipy reports f of the last trial point with the last iterate; numopt the iterate's
    np.testing.assert_array_equal(res.x, [1.0, 2.0])
    assert res.fun == 5.0


def test_infinite_values_back_off_as_scipy():
    """The same run as scipy's, whose line search backs away from +inf until it stops on
    no relative reduction at x = 2 (the minimum, x = 3, is where f is inf): scipy calls
    that convergence, numopt status 5 (API.md 5), at the same point."""
    def fg(x):
        f = np.inf if x[0] > 2 else float((x[0] - 3) ** 2 + x[1] ** 2)
        return f, np.array([2 * (x[0] - 3), 2 * x[1]])

    ref = _scipy(fg, [0.0, 1.0], jac=True)
    res = _ours(fg, [0.0, 1.0], jac=True)
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
    np.testing.assert_array_equal(res.x, ref.x)
    assert ref.success and "RELATIVE REDUCTION" in ref.message
    assert (res.status, res.success) == (5, False) and res.fun == fg(res.x)[0]


@pytest.mark.parametrize("compiled", [False, True])
def test_infinite_value_then_no_reduction_is_no_success(compiled):
    """+inf mid-run, the line search collapsing onto the iterate: scipy claims "relative
    reduction" convergence at a point far from the minimum; numopt gives status 5 at the
    last iterate (finite, no worse than x0), compiled or not."""
    def f(x, c):
        if x[0] > 0.5 * c[0]:
            return np.inf
        return float(np.sum((x - c) ** 2))

    c = np.array([2.334277, -2.979604, -2.059118])
    x0 = np.array([0.865064, 0.419067, 0.250701])
    ref = so.minimize(f, x0, args=(c,), method="L-BFGS-B")
    assert ref.success and ref.fun > 1.0       # scipy's claim, far from any minimum
    fun = njit(f) if compiled else f
    res = numopt.minimize(fun, x0, args=(c,), method="L-BFGS-B")
    assert (res.status, res.success) == (5, False)
    assert np.isfinite(res.fun) and res.fun == f(res.x, c) <= f(x0, c)


def test_nonfinite_tolerances_and_strings_raise():
    for name in ("gtol", "ftol"):
        with pytest.raises(TypeError, match=name):
            _ours(lambda x: float(x @ x), [1.0, 2.0], options={name: "abc"})
        with pytest.raises(ValueError, match=name):
            _ours(lambda x: float(x @ x), [1.0, 2.0], options={name: np.nan})


def test_nan_objective_returns_last_finite_iterate():
    def fg(x):
        f = np.nan if x[0] > 2 else float((x[0] - 3) ** 2 + x[1] ** 2)
        return f, np.array([2 * (x[0] - 3), 2 * x[1]])

    res = _ours(fg, [0.0, 1.0], jac=True)
    assert res.status == 5 and not res.success and "NaN" in res.message
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    assert res.fun == pytest.approx(fg(res.x)[0])


def test_callback_and_stop_iteration():
    prob = P.get("rosenbrock")
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result.fun)
        if len(seen) == 4:
            raise StopIteration

    res = _ours(prob.f, prob.x0.copy(), jac=prob.jac, callback=callback)
    assert len(seen) == 4 and res.nit == 4 and res.status == 99
    assert res.fun == seen[-1]
    assert np.all(np.diff(seen) <= 0)


def test_result_fields():
    res = _ours(rosen_py, [-1.2, 1.0], args=(1.0, 100.0), jac=True, bounds=[(-2, 2), (-2, 2)])
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message"):
        assert key in res
    assert res.x.dtype == np.float64 and res.status == 0


# -- options and errors -----------------------------------------------------------------------
def test_options_are_scipys():
    spec = numopt._minimize._registry.get("l-bfgs-b")
    assert spec.bounds and spec.tol == ("ftol", "gtol")
    d = spec.defaults
    assert (d["maxcor"], d["ftol"], d["gtol"], d["maxfun"], d["maxiter"], d["maxls"], d["eps"],
            d["finite_diff_rel_step"]) == (10, 2.2204460492503131e-09, 1e-5, 15000, 15000, 20, 1e-8,
                                           None)


@pytest.mark.parametrize("options,exc,msg", [
    ({"maxls": 0}, ValueError, "maxls must be positive"),
    ({"maxcor": 0}, ValueError, "maxcor must be positive"),
    ({"ftol": -1.0}, ValueError, "ftol"),
    ({"maxcor": 2.5}, ValueError, "integer"),
    ({"maxiter": "5"}, TypeError, "maxiter"),
    ({"maxfun": np.nan}, ValueError, "maxfun"),
])
def test_bad_options(options, exc, msg):
    with pytest.raises(exc, match=msg):
        _ours(rosen_py, [0.0, 0.0], args=(1.0, 100.0), jac=True, options=options)


def test_ignored_options_are_accepted():
    res = _ours(rosen_py, [-1.2, 1.0], args=(1.0, 100.0), jac=True,
                options={"disp": True, "iprint": 5})
    assert res.success


@pytest.mark.parametrize("bounds,msg", [
    ([(1.0, 0.0), (None, None)], "An upper bound is less than the corresponding lower bound."),
    ([(0.0, 1.0)] * 3, "The number of bounds is not compatible with the length of `x0`."),
    (so.Bounds([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]), "The number of bounds is not compatible"),
    ([(0.0,), (0.0,)], r"bounds must be a sequence of \(min, max\) pairs.*bounds\[0\]"),
])
def test_invalid_bounds(bounds, msg):
    """scipy's messages (the last case: scipy's is an unpacking error)."""
    if msg.startswith(("An upper", "The number")):
        with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace("`", ".")):
            so.minimize(so.rosen, [0.0, 0.0], method=METHOD, bounds=bounds)
    with pytest.raises(ValueError, match=msg.replace("`", ".")):
        _ours(rosen_py, [0.0, 0.0], args=(1.0, 100.0), jac=True, bounds=bounds)


@pytest.mark.parametrize("bounds", [
    [(0.0, 0.5)],                                   # one pair for every variable
    [(np.nan, np.nan), (0.0, 1.0)],                 # NaN: no bound, as scipy
    [(np.nan, 5.0), (np.nan, 1.0)],
    [(0.0, np.nan), (-1.0, 1.0)],
    so.Bounds([np.nan, -np.inf], [np.nan, 0.8]),
])
def test_bounds_read_as_scipy_reads_them(bounds):
    ref = so.minimize(so.rosen, [1.0, 0.5], method=METHOD, bounds=bounds)
    res = _ours(so.rosen, [1.0, 0.5], bounds=bounds)
    assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("maxiter", [2.5, 3.0, np.inf, 10 ** 20, np.float32(4.2)])
def test_maxiter_as_scipy_reads_it(maxiter):
    """A real maxiter acts as its ceiling (scipy's loop tests nit >= maxiter), np.inf
    and huge integers as no limit (numopt counts in int64)."""
    ref = so.minimize(so.rosen, [0.0, 0.0], method=METHOD, options={"maxiter": maxiter})
    res = _ours(so.rosen, [0.0, 0.0], options={"maxiter": maxiter})
    assert (res.nit, res.nfev, res.status, res.message) == \
        (ref.nit, ref.nfev, ref.status, ref.message)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6)  # differenced: rounding apart


_LB = np.array([0.0, 2.0, -1.0, -1.0])
_UB = np.array([3.0, 2.0, 2.0, -1.0])
_X0 = np.random.default_rng(12223).random(4)


@njit
def _rosen_compiled(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


@pytest.mark.parametrize("jac", [None, "2-point", "3-point"])
@pytest.mark.parametrize("bound_type", [list, so.Bounds])
def test_fixed_variables_with_differences_are_removed_as_scipy(jac, bound_type):
    """lb == ub for some variables and a finite-difference gradient: scipy takes them out
    of the problem (a difference cannot step inside lb == ub) and reports NaN for their
    gradient; so does numopt, with the same counts."""
    bounds = list(zip(_LB, _UB)) if bound_type is list else so.Bounds(_LB, _UB)
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result.x.copy())

    ref = so.minimize(so.rosen, _X0, method=METHOD, jac=jac, bounds=bounds)
    res = _ours(so.rosen, _X0, jac=jac, bounds=bounds, callback=cb)
    compiled = _ours(_rosen_compiled, _X0, jac=jac, bounds=bounds)
    for r in (res, compiled):
        assert r.success and (r.nit, r.nfev, r.status) == (ref.nit, ref.nfev, ref.status)
        np.testing.assert_allclose(r.x, ref.x, rtol=1e-7)
        np.testing.assert_array_equal(np.isnan(r.jac), np.isnan(ref.jac))
        np.testing.assert_allclose(r.jac, ref.jac, rtol=1e-5, atol=1e-6)
        assert r.hess_inv is None and ref.hess_inv is None
    fixed = _LB == _UB
    assert len(seen) == res.nit and all(np.array_equal(x[fixed], _LB[fixed]) for x in seen)


def test_fixed_variables_with_a_gradient_stay_in_the_problem():
    """With an analytic gradient scipy keeps the fixed variables (L-BFGS-B holds them)."""
    bounds = list(zip(_LB, _UB))
    ref = so.minimize(so.rosen, _X0, method=METHOD, jac=so.rosen_der, bounds=bounds)
    res = _ours(so.rosen, _X0, jac=so.rosen_der, bounds=bounds)
    assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7)
    np.testing.assert_allclose(res.jac, ref.jac, rtol=1e-7)


@pytest.mark.parametrize("fun,jac,args", [
    (lambda x, p=1: np.linalg.norm(x) + p, None, ()),
    (lambda x, p=1: np.linalg.norm(x) + p, None, (2,)),
    (lambda x: (np.linalg.norm(x), x / np.linalg.norm(x)), True, ()),
])
def test_all_variables_fixed_like_scipy(fun, jac, args):
    bounds = [(1, 1), (2, 2)]
    ref = so.minimize(fun, (1.0, 3.0), method=METHOD, jac=jac, bounds=bounds, args=args)
    res = _ours(fun, (1.0, 3.0), jac=jac, bounds=bounds, args=args)
    for key in ("success", "message", "nfev", "njev", "fun"):
        assert res[key] == ref[key], key
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.status == 0 and res.nit == 0


def test_workspace_does_not_grow_with_iterations():
    """All state is in ws/iws, sized by n and maxcor only."""
    from numopt._minimize import _lbfgsb

    a = _lbfgsb.sizes(100, None, np.array([10, 0, 0, 1]))
    b = _lbfgsb.sizes(100, None, np.array([3, 0, 0, 1]))
    assert a[0] > b[0] and a[1] == b[1]
    m, n = 10, 100
    assert a[0] < 2 * m * n + 11 * n + 11 * m * m + 8 * m + 64


@pytest.mark.parametrize("bounded", [False, True])
@pytest.mark.parametrize("maxcor", [1, 3, 10])
@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_layout_tiles_the_workspace_with_and_without_bounds(n, maxcor, bounded):
    """The layout's slots, bounded (S'S, T's and K's factors stored) or not (only s^T y
    of each correction), follow one another without gaps and end where ``sizes`` says."""
    from numopt._minimize import _lbfgsb
    from numopt._minimize._registry import get

    spec = get("L-BFGS-B")
    lower = np.full(n, -1.0) if bounded else None
    upper = np.full(n, np.inf) if bounded else None
    fopts, iopts = spec.pack(dict(spec.defaults, maxcor=maxcor), n, lower, upper)
    params = _lbfgsb.layout_params(n, fopts, iopts)
    assert params == (n, maxcor, int(bounded))
    sizes = _lbfgsb.sizes(n, fopts, iopts)
    spans = _lbfgsb.LAYOUT.spans(*params)
    for key, length in zip(("ws", "iws"), sizes):
        at = 0
        for name, start, stop in spans[key]:
            assert start == at and stop >= start, (key, name)
            at = stop
        assert at == length, key
    o = _lbfgsb.LAYOUT.offsets(*params)
    assert o.ss - o.sy == (maxcor * maxcor if bounded else maxcor)
    assert (o.end - o.ss > 0) == bounded


@pytest.mark.parametrize("maxcor", [3, 10])
def test_step_without_bounds_equals_the_general_step(maxcor):
    """``step_free`` (chosen when no variable has a bound) is compiled without the
    bound-constrained code; on every MGH problem it must give the general ``step``'s run
    bit for bit: the same x, g, f, nit, nfev and reason."""
    from numopt._minimize import _drivers, _lbfgsb
    from numopt._minimize import _workspace as W
    from numopt._minimize._registry import get

    spec = get("L-BFGS-B")
    for p in P.ALL:
        def fg(x, g, args, p=p):
            g[:] = p.jac(x)
            return float(p.f(x))

        fopts, iopts = spec.pack(dict(spec.defaults, maxcor=maxcor), p.n, None, None)
        assert spec.step_for(iopts) is _lbfgsb.step_free
        runs = []
        for step in (_lbfgsb.step, _lbfgsb.step_free):
            ws, iws = _drivers.run_python(_lbfgsb.init, step, fg, p.x0.astype(float), fopts,
                                          iopts, (), _lbfgsb.sizes(p.n, fopts, iopts))
            xo, go = iws[W.XR], iws[W.GR]
            runs.append((ws[xo:xo + p.n].tobytes(), ws[go:go + p.n].tobytes(), ws[W.FR],
                         iws[W.NIT], iws[W.NFEV], iws[W.REASON]))
        assert runs[0] == runs[1], p.name
    bounded = spec.pack(spec.defaults, 2, np.array([0.0, -np.inf]), np.array([np.inf, np.inf]))[1]
    assert spec.step_for(bounded) is _lbfgsb.step
