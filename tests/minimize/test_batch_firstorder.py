"""minimize_batch with the first-order methods: one optimizer over all problems gives
each problem exactly the trajectory ``minimize`` gives it alone, with per-problem
stopping (gradient tolerance, maxiter, a non-finite value)."""
import concurrent.futures

import numpy as np
import pytest

import numopt
from numopt._minimize._firstorder import METHODS

# Options under which each method moves the test quadratics visibly in a few dozen steps.
OPTIONS = {
    "sgd": dict(lr=0.05, momentum=0.9, nesterov=True),
    "adam": dict(lr=0.05, amsgrad=True),
    "adamw": dict(lr=0.05, weight_decay=0.1),
    "adamax": dict(lr=0.05),
    "nadam": dict(lr=0.05, decoupled_weight_decay=True, weight_decay=0.01),
    "radam": dict(lr=0.05),
    "adagrad": dict(lr=0.5, lr_decay=0.01),
    "adadelta": dict(lr=1.0),
    "rmsprop": dict(lr=0.01, centered=True, momentum=0.5),
    "rprop": dict(),
    "asgd": dict(lr=0.05, t0=10.0),
}


@numopt.objective(grad=True)
def quad_fg(x, g, c, k):
    """0.5 * k * |x - c|^2 plus a quartic term, per problem centre c and curvature k."""
    f = 0.0
    for i in range(x.size):
        d = x[i] - c[i]
        f += 0.5 * k[0] * d * d + 0.25 * d ** 4
        g[i] = k[0] * d + d ** 3
    return f


@numopt.objective
def quad_f(x, c, k):
    f = 0.0
    for i in range(x.size):
        d = x[i] - c[i]
        f += 0.5 * k[0] * d * d + 0.25 * d ** 4
    return f


def quad_vec(X, C, K):
    D = X - C
    return np.sum(0.5 * K * D * D + 0.25 * D ** 4, axis=1), K * D + D ** 3


def problems(B=24, n=3, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, (B, n)), rng.uniform(-1, 1, (B, n)), rng.uniform(0.5, 3.0, (B, 1))


def test_every_first_order_method_has_a_batch_driver():
    assert sorted(m.name for m in METHODS) == sorted(OPTIONS)
    assert all(m.batch is not None for m in METHODS)


@pytest.mark.parametrize("method", sorted(OPTIONS))
def test_problem_i_equals_minimize_alone(method):
    X0, C, K = problems()
    options = dict(OPTIONS[method], maxiter=60, gtol=1e-3)
    res = numopt.minimize_batch(quad_fg, X0, args=(C, K), method=method, options=options)
    assert len(res) == 24 and res.x.shape == (24, 3) and res.jac.shape == (24, 3)
    for i in range(0, 24, 5):
        alone = numopt.minimize(quad_fg, X0[i], args=(C[i], K[i]), method=method,
                                options=options)
        assert (res.nit[i], res.nfev[i], res.status[i]) == (alone.nit, alone.nfev, alone.status)
        np.testing.assert_array_equal(res.x[i], alone.x)
        np.testing.assert_array_equal(res.jac[i], alone.jac)
        assert res.fun[i] == alone.fun and res[i].message == alone.message


def test_solves_to_the_known_minimum():
    X0, C, K = problems(B=200, n=2)
    res = numopt.minimize_batch(quad_fg, X0, args=(C, K), method="adam",
                                options=dict(lr=0.05, maxiter=5000, gtol=1e-8))
    assert res.success.all()
    np.testing.assert_allclose(res.x, C, atol=1e-7)  # the minimum is x = c
    assert (res.nfev == res.nit + 1).all()


def test_mixed_outcomes_per_problem():
    # Plain SGD with lr 0.1 on curvature k: converges for k < 20, hovers near k = 20 and
    # diverges to overflow beyond it, so one batch holds all three stops.
    B = 9
    X0 = np.full((B, 2), 0.5)
    C = np.zeros((B, 2))
    K = np.array([1.0, 5.0, 10.0, 19.999, 19.9999, 19.99999, 25.0, 40.0, 80.0])[:, None]

    @numopt.objective(grad=True)
    def quad2(x, g, k):
        f = 0.0
        for i in range(x.size):
            f += 0.5 * k[0] * x[i] * x[i]
            g[i] = k[0] * x[i]
        return f

    options = dict(lr=0.1, maxiter=2000, gtol=1e-8)
    res = numopt.minimize_batch(quad2, X0, args=(K,), method="sgd", options=options)
    alone = [numopt.minimize(quad2, X0[i], args=(K[i],), method="sgd", options=options)
             for i in range(B)]
    np.testing.assert_array_equal(res.status, [r.status for r in alone])
    np.testing.assert_array_equal(res.nit, [r.nit for r in alone])
    np.testing.assert_array_equal(res.x, np.array([r.x for r in alone]))
    assert set(res.reason) == {0, 1, 5}
    diverged = res.reason == 5
    assert np.isfinite(res.x[diverged]).all() and np.isfinite(res.fun[diverged]).all()
    assert not res.success[diverged].any() and res.success[res.reason == 0].all()


def test_vectorised_objective_equals_minimize_alone_and_sees_running_rows_only():
    X0, C, K = problems(B=16, n=2)
    X0[:8] = C[:8]  # already at their minimum: they stop after one evaluation
    sizes = []

    def f(X, C, K):
        sizes.append(X.shape[0])
        return quad_vec(X, C, K)

    options = dict(lr=0.05, maxiter=80, gtol=1e-4)
    res = numopt.minimize_batch(f, X0, args=(C, K), jac=True, method="adam", options=options)
    assert sizes[0] == 16 and max(sizes[1:]) <= 8
    for i in (0, 9, 15):
        alone = numopt.minimize(lambda x, c, k: tuple(a[0] for a in quad_vec(x[None], c, k)),
                                X0[i], args=(C[i], K[i]), jac=True, method="adam",
                                options=options)
        assert (res.nit[i], res.nfev[i]) == (alone.nit, alone.nfev)
        np.testing.assert_array_equal(res.x[i], alone.x)


@pytest.mark.parametrize("jac", ["2-point", "3-point"])
def test_finite_differences_equal_minimize_alone(jac):
    X0, C, K = problems(B=10, n=3)
    options = dict(lr=0.05, maxiter=40)
    res = numopt.minimize_batch(quad_f, X0, args=(C, K), jac=jac, method="radam",
                                options=options)
    fev = 1 + (3 if jac == "2-point" else 6)
    for i in (0, 7):
        alone = numopt.minimize(quad_f, X0[i], args=(C[i], K[i]), jac=jac, method="radam",
                                options=options)
        assert (res.nit[i], res.nfev[i]) == (alone.nit, alone.nfev) == (40, 41 * fev)
        np.testing.assert_array_equal(res.x[i], alone.x)


def test_thread_pool_executor_equals_local():
    X0, C, K = problems(B=40, n=2)
    options = dict(lr=0.05, maxiter=50)
    local = numopt.minimize_batch(quad_fg, X0, args=(C, K), method="nadam", options=options)
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        remote = numopt.minimize_batch(quad_fg, X0, args=(C, K), method="nadam",
                                       options=options, executor=ex)
    np.testing.assert_array_equal(remote.x, local.x)
    np.testing.assert_array_equal(remote.nit, local.nit)


def test_bad_options_and_bounds():
    X0, C, K = problems(B=4, n=2)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        numopt.minimize_batch(quad_fg, X0, args=(C, K), method="adam", options={"lr": -1.0})
    with pytest.warns(RuntimeWarning, match="cannot handle bounds"):
        numopt.minimize_batch(quad_fg, X0, args=(C, K), method="adam",
                              bounds=[(-1, 1)] * 2, options={"maxiter": 2})
    with pytest.raises(ValueError, match="maxiter"):
        numopt.minimize_batch(quad_fg, X0, args=(C, K), method="sgd", options={"maxiter": -1})
