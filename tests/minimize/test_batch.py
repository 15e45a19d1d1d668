"""minimize_batch: each problem equals minimize alone; per-problem args and bounds;
mixed outcomes; vectorised objectives; executors (threads, and a Dask LocalCluster)."""
import concurrent.futures

import numpy as np
import pytest
from numba import njit
import scipy.optimize as so

import numopt
from numopt._minimize._registry import get as get_method

# Methods with a state machine; the ones not registered yet are skipped by name, never hidden.
BATCH_METHODS = ["BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "LBFGS"]


def _have(method):
    try:
        get_method(method)
        return True
    except ValueError:
        return False


@numopt.objective(grad=True)
def rosen_fg(x, g, a, b):
    f = 0.0
    for i in range(x.size):
        g[i] = 0.0
    for i in range(x.size - 1):
        t, u = a[0] - x[i], x[i + 1] - x[i] ** 2
        f += t * t + b * u * u
        g[i] += -2.0 * t - 4.0 * b * x[i] * u
        g[i + 1] += 2.0 * b * u
    return f


@njit
def rosen_value(x, a, b):
    f = 0.0
    for i in range(x.size - 1):
        f += (a[0] - x[i]) ** 2 + b * (x[i + 1] - x[i] ** 2) ** 2
    return f


def rosen_vec(X, a, b):
    return np.sum(b * (X[:, 1:] - X[:, :-1] ** 2) ** 2 + (a - X[:, :-1]) ** 2, axis=1)


def rosen_vec_grad(X, a, b):
    G = np.zeros_like(X)
    t, u = a - X[:, :-1], X[:, 1:] - X[:, :-1] ** 2
    G[:, :-1] += -2 * t - 4 * b * X[:, :-1] * u
    G[:, 1:] += 2 * b * u
    return G


def problems(B=40, n=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, (B, n)), rng.uniform(0.5, 1.5, (B, 1))


@pytest.mark.parametrize("method", BATCH_METHODS)
def test_problem_i_equals_minimize_alone(method):
    if not _have(method):
        pytest.skip(f"{method} is not registered in this build")
    X0, A = problems()
    fun = rosen_value if method == "Nelder-Mead" else rosen_fg
    res = numopt.minimize_batch(fun, X0, args=(A, 100.0), method=method)
    assert len(res) == X0.shape[0]
    for i in (0, 5, 17, 39):
        alone = numopt.minimize(fun, X0[i], args=(A[i], 100.0), method=method)
        assert (res.nit[i], res.nfev[i]) == (alone.nit, alone.nfev)
        np.testing.assert_array_equal(res.x[i], alone.x)
        assert res[i].message == alone.message and res[i].success == alone.success


def test_shared_and_per_problem_args_and_solutions():
    X0, A = problems(B=200, n=2)
    res = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS")
    assert res.success.all()
    # Rosenbrock with parameter a: minimum at (a, a^2).
    np.testing.assert_allclose(res.x[:, 0], A[:, 0], atol=1e-4)
    np.testing.assert_allclose(res.x[:, 1], A[:, 0] ** 2, atol=1e-4)
    assert res.x.shape == (200, 2) and res.fun.shape == (200,) and res.jac.shape == (200, 2)


def test_mixed_convergence_is_reported_per_problem():
    X0, A = problems(B=30, n=2)
    X0[::3] *= 10  # far away starts need more iterations than allowed
    res = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS",
                                options={"maxiter": 25})
    alone = [numopt.minimize(rosen_fg, X0[i], args=(A[i], 100.0), method="BFGS",
                             options={"maxiter": 25}) for i in range(30)]
    np.testing.assert_array_equal(res.status, [r.status for r in alone])
    np.testing.assert_array_equal(res.success, [r.success for r in alone])
    assert 0 < res.success.sum() < 30
    for code in np.unique(res.reason):
        assert isinstance(res.message[int(code)], str)


def test_vectorised_python_objective_matches_compiled():
    X0, A = problems(B=50, n=2)
    vec = numopt.minimize_batch(rosen_vec, X0, args=(A, 100.0), jac=rosen_vec_grad, method="BFGS")
    comp = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS")
    assert vec.success.all()
    np.testing.assert_array_equal(vec.nit, comp.nit)
    np.testing.assert_allclose(vec.x, comp.x, rtol=1e-6, atol=1e-8)


def test_vectorised_objective_only_sees_running_problems():
    X0, A = problems(B=20, n=2)
    X0[:10] = A[:10] * np.array([1.0, 0.0]) + np.array([0.0, 1.0]) * A[:10] ** 2  # at the optimum
    sizes = []

    def f(X, a, b):
        sizes.append(X.shape[0])
        return rosen_vec(X, a, b), rosen_vec_grad(X, a, b)

    res = numopt.minimize_batch(f, X0, args=(A, 100.0), jac=True, method="BFGS")
    assert res.success.all() and sizes[0] == 20 and min(sizes) <= 10


def test_vectorised_finite_differences_match_minimize_alone():
    X0, A = problems(B=10, n=2)
    res = numopt.minimize_batch(rosen_vec, X0, args=(A, 100.0), method="BFGS")
    np.testing.assert_allclose(res.x[:, 0], A[:, 0], atol=1e-3)  # solved (some end on FD noise)
    for i in (0, 4, 9):
        alone = numopt.minimize(lambda x, a, b: float(rosen_vec(x[None], a, b)[0]), X0[i],
                                args=(A[i], 100.0), method="BFGS")
        assert (res.nit[i], res.nfev[i], res.status[i]) == (alone.nit, alone.nfev, alone.status)
        np.testing.assert_allclose(res.x[i], alone.x, rtol=1e-12)


def test_thread_pool_executor_equals_local():
    X0, A = problems(B=64, n=2)
    local = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
        remote = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS", executor=ex)
    for name in ("x", "fun", "nit", "nfev", "status", "success"):
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))


def test_process_pool_executor_equals_local():
    """A process pool pickles with the standard pickle: a module-level objective goes by
    reference, and anything else (here a closure) by value through cloudpickle."""
    import multiprocessing
    import pickle

    assert pickle.loads(pickle.dumps(rosen_fg)) is rosen_fg  # by reference
    X0, A = problems(B=24, n=2)

    one = 1.0

    @numopt.objective(grad=True)
    def shifted(x, g, a, b):  # a closure over `one`: cannot be pickled by name
        f = 0.0
        for i in range(x.size):
            g[i] = 0.0
        for i in range(x.size - 1):
            t, u = a[0] * one - x[i], x[i + 1] - x[i] ** 2
            f += t * t + b * u * u
            g[i] += -2.0 * t - 4.0 * b * x[i] * u
            g[i + 1] += 2.0 * b * u
        return f

    local = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS")
    context = multiprocessing.get_context("spawn")  # fork would copy numba's threads
    with concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=context) as ex:
        for fun in (rosen_fg, shifted):
            remote = numopt.minimize_batch(fun, X0, args=(A, 100.0), method="BFGS",
                                           executor=ex)
            for name in ("x", "fun", "nit", "nfev", "status"):
                np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))


def test_dask_local_cluster_equals_local():
    distributed = pytest.importorskip("distributed", reason="the optional dask extra is not installed")
    X0, A = problems(B=48, n=2)
    local = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS")
    # Worker processes on loopback, started and stopped by the test.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS",
                                       executor=client)
    for name in ("x", "fun", "nit", "nfev", "status"):
        np.testing.assert_array_equal(getattr(remote, name), getattr(local, name))


@pytest.mark.parametrize("x0,exc,msg", [
    (np.zeros(3), ValueError, r"shape \(B, n\)"),
    (np.full((2, 2), np.nan), ValueError, "finite"),
])
def test_bad_input(x0, exc, msg):
    with pytest.raises(exc, match=msg):
        numopt.minimize_batch(rosen_fg, x0, args=(np.ones((2, 1)), 100.0), method="BFGS")


def test_unknown_device_and_missing_cuda():
    X0, A = problems(B=2, n=2)
    with pytest.raises(ValueError, match="device must be"):
        numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="BFGS", device="tpu")


def test_per_problem_bounds_equal_minimize_alone():
    """L-BFGS-B with bounds of shape (B, n): each problem uses its own box, active at the
    solution for some problems (the minimum (a, a^2) is cut off by the upper bound)."""
    from scipy.optimize import Bounds

    if not _have("L-BFGS-B"):
        pytest.skip("L-BFGS-B is not registered in this build")
    X0, A = problems(B=12, n=2)
    lb = np.full((12, 2), -3.0)
    ub = np.full((12, 2), 3.0)
    ub[::3, 1] = 0.5  # active: x1 <= 0.5 < a^2 for these problems
    res = numopt.minimize_batch(rosen_fg, np.clip(X0, lb, ub), args=(A, 100.0),
                                method="L-BFGS-B", bounds=Bounds(lb, ub))
    for i in range(12):
        alone = numopt.minimize(rosen_fg, np.clip(X0[i], lb[i], ub[i]), args=(A[i], 100.0),
                                method="L-BFGS-B", bounds=list(zip(lb[i], ub[i])))
        assert (res.nit[i], res.nfev[i]) == (alone.nit, alone.nfev)
        np.testing.assert_array_equal(res.x[i], alone.x)
    # For every third problem the minimum (a, a^2) lies beyond the box. The bound ends up
    # active for three of the four; the fourth (a = 1.22) stops inside on the relative
    # reduction of f, at the same point as scipy's L-BFGS-B (checked below).
    assert (res.x[::3, 1] == 0.5).sum() == 3
    from scipy.optimize import minimize as scipy_minimize

    i = 9
    ref = scipy_minimize(lambda x: (A[i, 0] - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
                         np.clip(X0[i], lb[i], ub[i]), method="L-BFGS-B",
                         bounds=list(zip(lb[i], ub[i])))
    np.testing.assert_allclose(res.x[i], ref.x, atol=1e-5)  # both stop on ftol, nearby
    assert np.all(res.x <= ub + 1e-15) and np.all(res.x >= lb - 1e-15)
    shared = numopt.minimize_batch(rosen_fg, np.clip(X0, -3, 3), args=(A, 100.0),
                                   method="L-BFGS-B", bounds=[(-3, 3), (-3, 3)])
    assert shared.success.all()


def test_bounded_and_unbounded_rows_in_one_batch():
    """Per-problem bounds with some rows unbounded (-inf, inf): L-BFGS-B's workspace is
    smaller without bounds, so the batch must size every row for the largest."""
    from scipy.optimize import Bounds

    X0, A = problems(B=8, n=3)
    lb = np.full((8, 3), -np.inf)
    ub = np.full((8, 3), np.inf)
    lb[1::2] = -3.0
    ub[1::2, 2] = 0.5
    res = numopt.minimize_batch(rosen_fg, X0, args=(A, 100.0), method="L-BFGS-B",
                                bounds=Bounds(lb, ub))
    for i in range(8):
        alone = numopt.minimize(rosen_fg, X0[i], args=(A[i], 100.0), method="L-BFGS-B",
                                bounds=Bounds(lb[i], ub[i]))
        assert (res.nit[i], res.nfev[i], res.status[i]) == (alone.nit, alone.nfev, alone.status)
        np.testing.assert_array_equal(res.x[i], alone.x)
    assert np.all(res.x[1::2, 2] <= 0.5)


@pytest.mark.parametrize("method", ["L-BFGS-B", "adam"])
def test_empty_batch(method):
    res = numopt.minimize_batch(rosen_fg, np.zeros((0, 3)), args=(np.zeros((0, 1)), 100.0),
                                method=method)
    assert len(res) == 0 and res.x.shape == (0, 3) and res.nit.shape == (0,)


@njit
def edge_value(x, a):
    """Undefined (NaN) past x = 1, where its minimum over x <= 1 lies for a > 1."""
    f = 0.0
    for i in range(x.size):
        f += (x[i] - a[0]) ** 2 + np.sqrt(1.0 - x[i])
    return f


def edge_vec(X, a):
    return np.sum((X - a) ** 2 + np.sqrt(1.0 - X), axis=1)


@pytest.mark.parametrize("jac,options", [(None, {}), (None, {"eps": 1e-6}), ("3-point", {}),
                                         ("2-point", {"finite_diff_rel_step": 1e-7})])
def test_finite_differences_with_per_problem_bounds_equal_minimize_alone(jac, options):
    """scipy's steps, turned round or made one-sided at each problem's own bounds: no
    evaluation leaves a box, and problem i is minimize on problem i alone, with both the
    compiled and the vectorised objective."""
    from scipy.optimize import Bounds

    rng = np.random.default_rng(3)
    B, n = 9, 3
    A = rng.uniform(0.0, 3.0, (B, 1))   # a > 1: the minimum sits on the bound x <= 1
    ub = np.where(rng.uniform(size=(B, n)) < 0.5, 1.0, 0.8)
    lb = np.full((B, n), -2.0)
    X0 = rng.uniform(-1.0, 0.8, (B, n))
    for fun in (edge_value, edge_vec):
        res = numopt.minimize_batch(fun, X0, args=(A,), method="L-BFGS-B", jac=jac,
                                    bounds=Bounds(lb, ub), options=options)
        assert res.success.all() and np.isfinite(res.jac).all()
        for i in range(B):
            alone = numopt.minimize(edge_value, X0[i], args=(A[i],), method="L-BFGS-B",
                                    jac=jac, bounds=Bounds(lb[i], ub[i]), options=options)
            assert (res.nit[i], res.nfev[i]) == (alone.nit, alone.nfev)
            np.testing.assert_allclose(res.x[i], alone.x, rtol=1e-13, atol=1e-15)


def test_complex_step_in_a_batch():
    X0, A = problems(B=6, n=3)

    @njit
    def value(x, a, b):  # complex-safe: products and sums only
        f = 0.0 * x[0]
        for i in range(x.size - 1):
            t, u = a[0] - x[i], x[i + 1] - x[i] * x[i]
            f += t * t + b * u * u
        return f

    res = numopt.minimize_batch(value, X0, args=(A, 100.0), method="BFGS", jac="cs")
    vec = numopt.minimize_batch(lambda X, a, b: np.array([value(x, r, b) for x, r in zip(X, a)]),
                                X0, args=(A, 100.0), method="BFGS", jac="cs")
    for i in range(6):
        alone = numopt.minimize(value, X0[i], args=(A[i], 100.0), method="BFGS", jac="cs")
        assert (res.nit[i], res.nfev[i]) == (alone.nit, alone.nfev) == (vec.nit[i], vec.nfev[i])
        np.testing.assert_array_equal(res.x[i], alone.x)


# -- issue 9: what a vectorised objective returns, per-problem bounds -------------------
@pytest.mark.parametrize("method", ["L-BFGS-B", "BFGS", "Nelder-Mead", "LBFGS", "adam"])
@pytest.mark.parametrize("n", [1, 3])
def test_vectorised_values_of_shape_b_n_are_refused(method, n):
    """F must have shape (b,) (API.md 3); a (b, n) array (elementwise terms, say) is no
    value per problem, also for n = 1 where it has b values."""
    def F(X):
        return (X - 1.0) ** 2

    with pytest.raises(ValueError, match=r"one value per problem, shape \(\d+,\)"):
        numopt.minimize_batch(F, np.zeros((4, n)), method=method)


@pytest.mark.parametrize("method", ["L-BFGS-B", "Nelder-Mead"])
@pytest.mark.parametrize("shape", [(3, 3), (2, 2), (4, 2)])
def test_per_problem_bounds_of_the_wrong_shape_raise_naming_bounds(method, shape):
    X0 = np.zeros((3, 2))
    lb, ub = np.full(shape, -5.0), np.full(shape, 5.0)
    with pytest.raises(ValueError, match=r"bounds must have shape \(B, n\) = \(3, 2\)"):
        numopt.minimize_batch(lambda X: np.sum(X ** 2, 1), X0, method=method,
                              bounds=so.Bounds(lb, ub))


def test_per_problem_nan_bound_is_no_bound_for_lbfgsb():
    """As for one problem (scipy's L-BFGS-B reading): each row equals minimize on it."""
    C = np.array([[2.0, -1.0], [0.5, 3.0]])
    lb = np.array([[0.0, np.nan], [np.nan, 0.0]])
    ub = np.array([[1.0, np.nan], [np.nan, 1.0]])

    def F(X, C):
        return np.sum((X - C) ** 2, 1)

    res = numopt.minimize_batch(F, np.zeros((2, 2)), args=(C,), method="L-BFGS-B",
                                jac=lambda X, C: 2.0 * (X - C), bounds=so.Bounds(lb, ub))
    for i in range(2):
        one = so.minimize(lambda x: float(np.sum((x - C[i]) ** 2)), np.zeros(2),
                          jac=lambda x: 2.0 * (x - C[i]), method="L-BFGS-B",
                          bounds=so.Bounds(lb[i], ub[i]))
        np.testing.assert_allclose(res.x[i], one.x, atol=1e-8)
    np.testing.assert_allclose(res.x, [[1.0, -1.0], [0.5, 1.0]], atol=1e-8)


@pytest.mark.parametrize("method", ["BFGS", "CG", "L-BFGS-B", "Nelder-Mead", "LBFGS"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_rows_meeting_infinite_values_are_status_5(method, bad):
    """A row whose objective is infinite on the way to its minimum ends with status 5 at
    a finite point no worse than its x0; the other rows are unaffected."""
    C = np.array([[2.0, 0.5], [2.0, 0.5]])
    S = np.array([1.0, bad])

    def F(X, C, S):
        out = np.sum((X - C) ** 2, 1)
        return np.where(np.isinf(S) & (X[:, 0] > 1.0), S, out)

    jac = None if method == "Nelder-Mead" else (lambda X, C, S: 2.0 * (X - C))
    X0 = np.zeros((2, 2))
    res = numopt.minimize_batch(F, X0, args=(C, S), method=method, jac=jac)
    assert res.success[0] and not res.success[1] and res.status[1] == 5
    f1 = float(np.sum((res.x[1] - C[1]) ** 2))
    assert np.isfinite(res.fun[1]) and res.fun[1] == f1 <= float(np.sum(C[1] ** 2))
