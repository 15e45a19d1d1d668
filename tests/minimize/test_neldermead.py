"""Nelder-Mead against scipy.optimize.minimize(method="Nelder-Mead") run in the test.

The algorithm is deterministic and has no line search, so numopt reproduces scipy's run
exactly: the same x and fun (bit for bit), nit, nfev and status.

scipy orders the vertices with ``np.argsort``, which does not keep tied values in order
(on AVX-512 CPUs numpy sorts with SIMD networks that reorder ties); numopt uses a stable
sort. The reference is therefore scipy's own code with ``np.argsort(kind="stable")``
patched in (``scipy_nm``); on problems without ties stock scipy is compared as well.
"""
import contextlib
import types
import warnings

import numpy as np
import pytest
import scipy.optimize as so
import scipy.optimize._optimize as scipy_optimize
from numba import njit
from scipy.optimize import OptimizeWarning

import numopt
from numopt._minimize import _neldermead as NM
from numopt.testing import problems as P

PROBLEMS = [p for p in P.ALL if p.n <= 12]
NO_TIES = ["rosenbrock", "beale", "helical_valley", "wood", "watson_n6"]


class _StableArgsortNumpy(types.ModuleType):
    """numpy, with a stable ``argsort``."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def argsort(a, *args, **kwargs):
        return np.argsort(a, kind="stable")


@contextlib.contextmanager
def _stable_argsort():
    saved = scipy_optimize.np
    scipy_optimize.np = _StableArgsortNumpy("numpy")
    try:
        yield
    finally:
        scipy_optimize.np = saved


def scipy_nm(fun, x0, stable=True, **kwargs):
    with _stable_argsort() if stable else contextlib.nullcontext():
        return so.minimize(fun, np.array(x0, dtype=float), method="Nelder-Mead", **kwargs)


def nm(fun, x0, **kwargs):
    return numopt.minimize(fun, np.array(x0, dtype=float), method="Nelder-Mead", **kwargs)


def assert_same(res, ref, status=True):
    """Same run: counts, status and x, fun to the bit."""
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.fun == ref.fun or (np.isnan(res.fun) and np.isnan(ref.fun))
    if status:
        assert (res.status, res.success, res.message) == (ref.status, ref.success, ref.message)


def rosen(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


@njit
def rosen_njit(x, a, b):
    f = 0.0
    for i in range(x.size - 1):
        f += (a - x[i]) ** 2 + b * (x[i + 1] - x[i] ** 2) ** 2
    return f


# -- the MGH problems --------------------------------------------------------------------------
@pytest.mark.parametrize("prob", PROBLEMS, ids=[p.label for p in PROBLEMS])
def test_mgh_same_run_as_scipy_python_and_compiled(prob):
    ref = scipy_nm(prob.f, prob.x0)
    res = nm(prob.f, prob.x0)              # Python objective: the Python loop
    assert_same(res, ref)
    comp = nm(prob.fun, prob.x0)           # @njit objective: the compiled loop
    assert_same(comp, ref)


@pytest.mark.parametrize("name", NO_TIES)
def test_stock_scipy_where_no_values_tie(name):
    prob = P.get(name)
    assert_same(nm(prob.f, prob.x0), scipy_nm(prob.f, prob.x0, stable=False))


def test_tied_values_keep_their_order():
    """From x0 = 1 every perturbed vertex of the sphere has the same value."""
    def sphere(x):
        return float(x @ x)

    for x0 in (np.ones(6), np.zeros(5), np.arange(4.0)):
        assert_same(nm(sphere, x0), scipy_nm(sphere, x0))


@pytest.mark.parametrize("name", ["powell_singular", "biggs_exp6", "extended_rosenbrock_n10",
                                  "watson_n9"])
def test_adaptive(name):
    prob = P.get(name)
    ref = scipy_nm(prob.f, prob.x0, options={"adaptive": True})
    assert_same(nm(prob.f, prob.x0, options={"adaptive": True}), ref)
    assert_same(nm(prob.fun, prob.x0, options={"adaptive": True}), ref)
    plain = nm(prob.f, prob.x0)
    assert (plain.nit, plain.nfev) != (ref.nit, ref.nfev)


def test_one_variable():
    f = lambda x: float((x[0] - 3.0) ** 2 + np.cos(5 * x[0]))  # noqa: E731
    for x0 in ([0.0], [-2.0], [10.0]):
        for adaptive in (False, True):
            options = {"adaptive": adaptive}
            assert_same(nm(f, x0, options=options), scipy_nm(f, x0, options=options))


# -- options -------------------------------------------------------------------------------------
def test_initial_simplex():
    sim0 = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    for sim in (sim0, sim0 * 3 - 1, [[0, 0], [2, 0], [0, 2]]):  # integers become float64
        options = {"initial_simplex": sim}
        ref = scipy_nm(rosen, [-1.2, 1.0], options=options)
        assert_same(nm(rosen, [-1.2, 1.0], options=options), ref)
        assert_same(nm(rosen_njit, [-1.2, 1.0], args=(1.0, 100.0), options=options), ref)
    # x0 only gives n: the simplex replaces it
    a = nm(rosen, [5.0, 5.0], options={"initial_simplex": sim0})
    b = nm(rosen, [-1.0, 0.0], options={"initial_simplex": sim0})
    assert (a.nit, a.nfev) == (b.nit, b.nfev) and np.array_equal(a.x, b.x)


@pytest.mark.parametrize("sim,msg", [
    (np.zeros((2, 2)), r"should be an array of shape \(N\+1,N\)"),
    (np.zeros(3), r"should be an array of shape \(N\+1,N\)"),
    (np.zeros((4, 3)), "not consistent with `x0`"),
])
def test_initial_simplex_errors_as_scipy(sim, msg):
    with pytest.raises(ValueError, match=msg):
        scipy_nm(rosen, [0.0, 0.0], options={"initial_simplex": sim})
    with pytest.raises(ValueError, match=msg):
        nm(rosen, [0.0, 0.0], options={"initial_simplex": sim})


def test_initial_simplex_must_be_finite():
    with pytest.raises(ValueError, match="finite"):
        nm(rosen, [0.0, 0.0], options={"initial_simplex": [[0, 0], [1, np.nan], [0, 1]]})


def test_tol_sets_xatol_and_fatol():
    for tol in (1e-2, 1e-8):
        assert_same(nm(rosen, [-1.2, 1.0], tol=tol), scipy_nm(rosen, [-1.2, 1.0], tol=tol))
    # an explicit option wins over tol, as scipy's setdefault
    options = {"xatol": 1e-3}
    assert_same(nm(rosen, [-1.2, 1.0], tol=1e-9, options=options),
                scipy_nm(rosen, [-1.2, 1.0], tol=1e-9, options=options))
    loose, tight = nm(rosen, [-1.2, 1.0], tol=1e-2), nm(rosen, [-1.2, 1.0], tol=1e-10)
    assert loose.nit < tight.nit and np.allclose(tight.x, 1.0, atol=1e-8)


def test_xatol_fatol():
    for options in ({"xatol": 1e-10, "fatol": 1e-12}, {"xatol": 1.0}, {"fatol": 1e-12},
                    {"xatol": 0.0, "fatol": 0.0, "maxiter": 500}):
        assert_same(nm(rosen, [-1.2, 1.0], options=options),
                    scipy_nm(rosen, [-1.2, 1.0], options=options))


def test_maxfev_at_every_point_of_the_run():
    """Every possible stop: inside the initial simplex, after a reflection, an expansion,
    a contraction and in the middle of a shrink (scipy keeps the vertices it moved)."""
    for name, top in (("rosenbrock", 170), ("wood", 130)):
        prob = P.get(name)
        for maxfev in range(0, top):
            options = {"maxfev": maxfev}
            ref = scipy_nm(prob.f, prob.x0, options=options)
            res = nm(prob.f, prob.x0, options=options)
            assert_same(res, ref)
    res = nm(rosen, [-1.2, 1.0], options={"maxfev": 40})
    assert (res.status, res.success, res.nfev) == (1, False, 40)
    assert res.message == "Maximum number of function evaluations has been exceeded."


def test_maxiter_at_every_iteration():
    for maxiter in list(range(0, 90)) + [2.5, 10.0]:
        options = {"maxiter": maxiter}
        assert_same(nm(rosen, [-1.2, 1.0], options=options),
                    scipy_nm(rosen, [-1.2, 1.0], options=options))


def test_maxiter_status_is_scipys():
    ref = scipy_nm(rosen, [-1.2, 1.0], options={"maxiter": 10})
    res = nm(rosen, [-1.2, 1.0], options={"maxiter": 10})
    assert ref.status == 2
    assert (res.status, res.success, res.message) == (ref.status, ref.success, ref.message)


@pytest.mark.parametrize("maxiter,maxfev,expected", [
    (None, None, (400, 400)),
    (30, None, (30, NM.UNLIMITED)),
    (None, 30, (NM.UNLIMITED, 30)),
    (np.inf, None, (NM.UNLIMITED, 400)),
    (None, np.inf, (400, NM.UNLIMITED)),
    (np.inf, np.inf, (NM.UNLIMITED, NM.UNLIMITED)),
    (7.5, 9, (8, 9)),
])
def test_limits_follow_scipys_rules(maxiter, maxfev, expected):
    assert NM.limits(maxiter, maxfev, 2) == expected
    options = {"maxiter": maxiter, "maxfev": maxfev, "xatol": 1e-12, "fatol": 1e-15}
    x0 = [-1.2, 1.0, 0.8]
    assert_same(nm(rosen, x0, options=options), scipy_nm(rosen, x0, options=options))


def test_ignored_and_unknown_options():
    ref = scipy_nm(rosen, [-1.2, 1.0])
    assert_same(nm(rosen, [-1.2, 1.0], options={"disp": False, "return_all": True}), ref)
    with pytest.warns(OptimizeWarning, match="Unknown solver options: gtol"):
        nm(rosen, [-1.2, 1.0], options={"gtol": 1e-3})


# -- bounds --------------------------------------------------------------------------------------
BOUNDED = [p for p in PROBLEMS if p.n <= 6]


@pytest.mark.parametrize("prob", BOUNDED, ids=[p.label for p in BOUNDED])
def test_active_bounds(prob):
    """A box around x0 that the run presses against (clipped trial points and shrinks)."""
    lb = prob.x0 - 0.5 * np.abs(prob.x0) - 0.1
    ub = prob.x0 + 0.02 * np.abs(prob.x0) + 0.01
    bounds = so.Bounds(lb, ub)
    ref = scipy_nm(prob.f, prob.x0, bounds=bounds)
    res = nm(prob.f, prob.x0, bounds=bounds)
    assert_same(res, ref)
    assert_same(nm(prob.fun, prob.x0, bounds=bounds), ref)
    assert np.all(res.x >= lb) and np.all(res.x <= ub)


@pytest.mark.parametrize("bounds,x0", [
    ([(-1.5, 0.5), (None, 0.3)], [-1.2, 0.2]),
    ([(None, None), (0.0, None)], [-1.2, 1.0]),
    (so.Bounds([-2, -2], [0.9, np.inf]), [-1.2, 1.0]),
    (so.Bounds(-0.5, 0.5), [0.1, 0.2]),
])
def test_bounds_forms_and_open_sides(bounds, x0):
    res = nm(rosen, x0, bounds=bounds)
    assert_same(res, scipy_nm(rosen, x0, bounds=bounds))


def test_x0_at_an_upper_bound_reflects_the_simplex_inside():
    """scipy reflects a vertex above an upper bound into the interior before clipping."""
    bounds = [(-2.0, 1.0), (-2.0, 2.0)]
    for x0 in ([0.99, 2.0], [1.0, 2.0], [0.0, 2.0]):
        assert_same(nm(rosen, x0, bounds=bounds), scipy_nm(rosen, x0, bounds=bounds))
    sim = [[0.5, 0.5], [3.0, 0.5], [0.5, 3.0]]
    options = {"initial_simplex": sim}
    assert_same(nm(rosen, [0.0, 0.0], bounds=bounds, options=options),
                scipy_nm(rosen, [0.0, 0.0], bounds=bounds, options=options))


def test_fixed_variable():
    bounds = [(-2.0, 2.0), (0.5, 0.5), (-2.0, 2.0)]
    x0 = [0.0, 0.5, 0.0]
    res = nm(rosen, x0, bounds=bounds)
    assert_same(res, scipy_nm(rosen, x0, bounds=bounds))
    assert res.x[1] == 0.5


def test_x0_outside_bounds_is_clipped():
    bounds = [(-1.0, 0.5), (1.5, 3.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        ref = scipy_nm(rosen, [-1.2, 1.0], bounds=bounds)
        res = nm(rosen, [-1.2, 1.0], bounds=bounds)
    assert_same(res, ref)


def test_check_warns_for_x0_outside_bounds():
    lower, upper = np.array([-1.0, 1.5]), np.array([0.5, 3.0])
    with pytest.warns(OptimizeWarning, match="Initial guess is not within the specified bounds"):
        NM.check(np.array([-1.2, 1.0]), {}, lower, upper)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NM.check(np.array([0.0, 2.0]), {}, lower, upper)
        NM.check(np.array([5.0, 5.0]), {}, None, None)


def test_minimize_warns_for_x0_outside_bounds():
    with pytest.warns(OptimizeWarning, match="Initial guess is not within the specified bounds"):
        nm(rosen, [-1.2, 1.0], bounds=[(-1.0, 0.5), (1.5, 3.0)])


def test_final_simplex():
    ref = scipy_nm(rosen, [-1.2, 1.0])
    res = nm(rosen, [-1.2, 1.0])
    np.testing.assert_array_equal(res.final_simplex[0], ref.final_simplex[0])
    np.testing.assert_array_equal(res.final_simplex[1], ref.final_simplex[1])


def test_extras_final_simplex_from_the_workspace():
    """What extras() gives, checked on a run driven directly."""
    from numopt._minimize import _drivers

    x0 = np.array([-1.2, 1.0])
    fopts, iopts = NM.METHOD.pack(dict(NM.METHOD.defaults), 2, None, None)
    ws, iws = _drivers.run_python(NM.init, NM.step, lambda x, g, args: rosen(x), x0, fopts,
                                  iopts, (), NM.sizes(2))
    sim, fsim = NM.extras(ws, iws, 2, np.float64)["final_simplex"]
    ref = scipy_nm(rosen, x0)
    np.testing.assert_array_equal(sim, ref.final_simplex[0])
    np.testing.assert_array_equal(fsim, ref.final_simplex[1])


# -- the front door ------------------------------------------------------------------------------
def test_jac_is_ignored_with_scipys_warning():
    ref = scipy_nm(rosen, [-1.2, 1.0])
    for jac in ("2-point", lambda x: np.zeros(2)):
        with pytest.warns(RuntimeWarning,
                          match=r"Method Nelder-Mead does not use gradient information \(jac\)"):
            res = nm(rosen, [-1.2, 1.0], jac=jac)
        assert_same(res, ref)
    assert "jac" not in res and "njev" not in res


def test_jac_true_still_unpacks_the_value():
    def fg(x):
        return rosen(x), np.zeros(2)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_same(nm(fg, [-1.2, 1.0], jac=True), scipy_nm(fg, [-1.2, 1.0], jac=True))


def test_python_path_equals_compiled_path():
    x0 = np.array([-1.2, 1.0, 0.5, -0.3])
    for options in ({}, {"adaptive": True}, {"maxfev": 77}):
        compiled = nm(rosen_njit, x0, args=(1.0, 100.0), options=options)
        looped = nm(rosen_njit, x0, args=(1.0, 100.0), options=options, callback=lambda xk: None)
        plain = nm(lambda x, a, b: rosen_njit(x, a, b), x0, args=(1.0, 100.0), options=options)
        for other in (looped, plain):
            assert (compiled.nit, compiled.nfev, compiled.status) == \
                (other.nit, other.nfev, other.status)
            np.testing.assert_array_equal(compiled.x, other.x)


def test_callback_sees_the_best_vertex_and_can_stop():
    seen, theirs = [], []

    def make(store):
        def callback(intermediate_result):
            store.append((intermediate_result.x.copy(), intermediate_result.fun))
            if len(store) == 7:
                raise StopIteration
        return callback

    res = nm(rosen, [-1.2, 1.0], callback=make(seen))
    ref = scipy_nm(rosen, [-1.2, 1.0], callback=make(theirs))
    assert (res.status, res.message, res.nit, res.nfev) == (ref.status, ref.message, ref.nit,
                                                           ref.nfev)
    for (x, f), (xs, fs) in zip(seen, theirs, strict=True):
        np.testing.assert_array_equal(x, xs)
        assert f == fs == rosen(x)


def test_nan_stops_at_the_best_vertex():
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) > 20:
            return float("nan")
        return float(np.sum((x - 5.0) ** 2))

    res = nm(f, [0.0, 0.0])
    assert res.status == 5 and not res.success and res.nfev == 21
    assert np.all(np.isfinite(res.x)) and res.fun == float(np.sum((res.x - 5.0) ** 2))
    # every other value seen is no better
    ref = scipy_nm(lambda x: float(np.sum((x - 5.0) ** 2)), [0.0, 0.0], options={"maxfev": 20})
    assert res.fun == ref.fun

    res = nm(lambda x: float("nan"), [1.0, 2.0])
    assert res.status == 5 and res.nfev == 1 and np.array_equal(res.x, [1.0, 2.0])
    assert np.isnan(res.fun)


def test_infinite_values_are_sorted_last_but_no_convergence():
    """A barrier returning inf outside its domain: scipy goes on, and so does numopt, on
    the very same run; but where scipy then reports success (its simplex shrank onto the
    barrier, not onto a minimum of f), numopt ends with status 5 (API.md 5: NaN/inf on
    the way is never a success), at the same best vertex."""
    def f(x):
        return float(x @ x) if x[0] > 0.2 else np.inf

    ref = scipy_nm(f, [1.0, 1.0])
    res = nm(f, [1.0, 1.0])
    assert_same(res, ref, status=False)
    assert ref.success and ref.status == 0        # scipy's claim
    assert (res.status, res.success) == (5, False) and "infinity" in res.message
    assert np.isfinite(res.fun) and res.fun == f(res.x)
    # Compiled: the same end.
    resc = nm(njit(lambda x: x[0] * x[0] + x[1] * x[1] if x[0] > 0.2 else np.inf), [1.0, 1.0])
    assert (resc.status, resc.success) == (5, False) and np.isfinite(resc.fun)


def test_minus_inf_stops_at_the_best_finite_vertex():
    """-inf is below every value: scipy returns that vertex with fun=-inf; numopt stops
    there (status 5) at the best finite vertex seen, with its real value."""
    calls = []

    def f(x):
        calls.append(x.copy())
        return -np.inf if x[0] > 1.5 else float(np.sum((x - 2.0) ** 2))

    res = nm(f, [1.0, 1.0])
    finite = [float(np.sum((x - 2.0) ** 2)) for x in calls if x[0] <= 1.5]
    assert (res.status, res.success) == (5, False)
    assert np.isfinite(res.fun) and res.fun == f(res.x) == min(finite)
    assert scipy_nm(f, [1.0, 1.0]).fun == -np.inf    # scipy's result
    # at x0: x0 with the -inf it returned
    res = nm(lambda x: -np.inf, [1.0, 2.0])
    assert res.status == 5 and res.nfev == 1 and res.fun == -np.inf
    np.testing.assert_array_equal(res.x, [1.0, 2.0])


def test_empty_x0_raises():
    """scipy returns fun=inf with nfev=0 for an empty x0 (its limits are 200 * 0), a
    value the objective never returned: numopt refuses the input instead."""
    ref = scipy_nm(lambda x: 1.0, np.empty(0))
    assert ref.nfev == 0 and ref.fun == np.inf
    with pytest.raises(ValueError, match="x0 is empty"):
        nm(lambda x: 1.0, np.empty(0))


def test_nan_bound_raises():
    """scipy's Nelder-Mead clips its vertices with a NaN bound, into NaN points and a
    NaN result; numopt raises, naming the bounds (L-BFGS-B reads NaN as no bound)."""
    def f(x):
        return float(np.sum((x - 1.0) ** 2))

    bounds = [(0.0, np.nan), (0.0, 2.0)]
    ref = so.minimize(f, [0.5, 0.5], method="Nelder-Mead", bounds=bounds)
    assert np.isnan(ref.x).any() and not ref.success
    with pytest.raises(ValueError, match="bounds.*NaN"):
        numopt.minimize(f, [0.5, 0.5], method="Nelder-Mead", bounds=bounds)
    with pytest.raises(ValueError, match="bounds.*NaN"):
        numopt.minimize_batch(lambda X: np.sum((X - 1.0) ** 2, axis=1), np.full((2, 2), 0.5),
                              method="Nelder-Mead", bounds=bounds)


@pytest.mark.parametrize("name", ["xatol", "fatol"])
def test_tolerance_not_a_number_raises(name):
    with pytest.raises(TypeError, match=name):
        nm(rosen, [1.0, 2.0], options={name: "abc"})
    with pytest.raises(ValueError, match=name):
        nm(rosen, [1.0, 2.0], options={name: np.nan})
    with pytest.raises(TypeError, match="'tol'"):
        nm(rosen, [1.0, 2.0], tol=[1e-3])


def test_float32_x0_keeps_its_dtype():
    """float32 vertices as scipy's (not the float64 run cast at the end)."""
    x0 = np.array([-1.2, 1.0], dtype=np.float32)
    ref = so.minimize(rosen, x0, method="nelder-mead")
    res32 = numopt.minimize(rosen, x0, method="nelder-mead")
    assert res32.x.dtype == ref.x.dtype == np.float32 and res32.success
    np.testing.assert_allclose(res32.x, ref.x, atol=1e-3)
    assert np.array_equal(res32.final_simplex[0], res32.final_simplex[0].astype(np.float32))


# --- scipy's behaviour at the front door ----------------------------------------------------

def test_float32_x0_keeps_float32_points_like_scipy():
    """scipy keeps a float32 simplex: the objective gets float32 points, the result is
    float32 (numopt's arithmetic is float64, its vertices rounded to float32)."""
    dtypes = set()

    def f(x):
        dtypes.add(x.dtype)
        return so.rosen(x)

    x0 = np.array([5.0, 4.0], dtype=np.float32)
    ref = so.minimize(f, x0, method="Nelder-Mead")
    assert dtypes == {np.dtype(np.float32)}
    res = numopt.minimize(f, x0, method="Nelder-Mead")
    assert dtypes == {np.dtype(np.float32)}
    assert res.x.dtype == ref.x.dtype == np.float32
    assert res.final_simplex[0].dtype == np.float32
    assert res.success and ref.success
    np.testing.assert_allclose(res.x, ref.x, atol=2e-3)
    np.testing.assert_allclose(res.fun, f(res.x), rtol=1e-6)   # fun is f at x itself


def test_return_all_and_initial_simplex_like_scipy():
    sim = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.0], [0.0, 0.1, 0.0], [0.0, 0.0, 0.1]])
    opts = {"return_all": True, "initial_simplex": sim}
    ref = so.minimize(so.rosen, np.zeros(3), method="Nelder-Mead", options=opts)
    res = numopt.minimize(so.rosen, np.zeros(3), method="Nelder-Mead", options=opts)
    np.testing.assert_array_equal(res.allvecs[0], sim[0])
    np.testing.assert_array_equal(np.array(res.allvecs), np.array(ref.allvecs))


def test_disp_warns_on_the_iteration_limit_like_scipy():
    for minimize in (so.minimize, numopt.minimize):
        with pytest.warns(RuntimeWarning, match="Maximum number of iterations"):
            minimize(so.rosen, np.zeros(4), method="Nelder-Mead",
                     options={"maxiter": 1, "disp": True})


@pytest.mark.parametrize("opts,exc", [({"maxiter": "5"}, TypeError), ({"maxfev": "5"}, TypeError),
                                      ({"maxfev": np.nan}, ValueError)])
def test_limits_that_are_not_numbers_raise_naming_them(opts, exc):
    with pytest.raises(exc, match=next(iter(opts))):
        numopt.minimize(so.rosen, np.zeros(2), method="Nelder-Mead", options=opts)
