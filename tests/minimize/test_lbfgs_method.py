"""minimize(method="LBFGS"): torch's L-BFGS as a minimize method.

- One minimize call is one ``optim.LBFGS.step()`` with the same options, run by the
  same state machine: same ``x`` bit for bit, ``nit`` = torch's ``n_iter``, ``nfev`` =
  torch's ``func_evals`` (plus one final evaluation after a fixed-step run that used
  up ``max_iter``).
- The Python loop and the compiled loop give the same ``nit``, ``nfev`` and ``x``.
- With the strong-Wolfe line search it solves the Moré-Garbow-Hillstrom problems that
  scipy's BFGS solves, but for three it is known to crawl on.
"""
import numpy as np
import pytest
import scipy.optimize as so
from numba import njit

import numopt
from numopt import Parameter, optim
from numopt.testing import problems as P
from tests.reference.objectives import rosen_fg, rosen_pair as rosen_py

SW = "strong_wolfe"
MGH = [p for p in P.ALL if p.n <= 20]
# L-BFGS with torch's line search makes slow progress on these within the budget below
# (powell_badly_scaled ends at f = 1e-10; penalty_2 is within 1% of f*).
SLOW = {"powell_badly_scaled", "penalty_2_n4", "penalty_2_n10"}
SOLVE = dict(line_search_fn=SW, max_iter=5000, max_eval=10000, tolerance_grad=1e-10,
             tolerance_change=1e-14)


def solved(fun, prob, scale=1e-6):
    return abs(fun - prob.f_min) <= scale * abs(prob.f_min) + 1e-10


def _optim_run(prob, x0, options):
    """One optim.LBFGS.step() from x0 with the same options."""
    p = Parameter(x0.copy())
    opt = optim.LBFGS([p], **options)

    def closure():
        opt.zero_grad()
        p.grad = prob.jac(p.data)
        return prob.f(p.data)

    opt.step(closure)
    return p.data, opt.state[p]


BUDGETS = [dict(line_search_fn=SW, max_iter=30),
           dict(line_search_fn=SW, max_iter=15, history_size=3, lr=0.5),
           dict(line_search_fn=SW, max_iter=40, max_eval=20),
           dict(lr=0.05, max_iter=25, history_size=5),
           dict(lr=0.5, max_iter=200, tolerance_change=1e-6)]


@pytest.mark.parametrize("options", BUDGETS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
@pytest.mark.parametrize("name", ["rosenbrock", "wood", "watson_n6"])
def test_equals_one_optim_step(name, options):
    prob = P.get(name)
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS", options=options)
    x, state = _optim_run(prob, prob.x0.copy(), options)
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == state["n_iter"]
    final_eval = options.get("line_search_fn") is None and res.nit == options["max_iter"]
    assert res.nfev == res.njev == state["func_evals"] + final_eval
    assert res.fun == prob.f(res.x)
    np.testing.assert_array_equal(res.jac, prob.jac(res.x))


@pytest.mark.parametrize("options", [dict(line_search_fn=SW, max_iter=100),
                                     dict(lr=0.1, max_iter=60, history_size=4)])
def test_python_path_equals_compiled_path(options):
    x0 = np.array([-1.2, 1.0, 0.5, -0.3])
    args = (1.0, 100.0)
    compiled = numopt.minimize(rosen_fg, x0, args=args, method="LBFGS", options=options)
    looped = numopt.minimize(rosen_fg, x0, args=args, method="LBFGS", options=options,
                             callback=lambda xk: None)
    python = numopt.minimize(rosen_py, x0, args=args, jac=True, method="LBFGS", options=options)
    for other in (looped, python):
        assert (other.nit, other.nfev, other.status) == (compiled.nit, compiled.nfev, compiled.status)
        np.testing.assert_array_equal(other.x, compiled.x)
    if "line_search_fn" in options:
        assert compiled.success   # a local minimum of this chained Rosenbrock (f = 3.70)


@pytest.mark.parametrize("prob", MGH, ids=[p.label for p in MGH])
def test_solves_mgh_problems(prob):
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS", options=SOLVE)
    if prob.label in SLOW:
        assert res.fun < 1e-3 * prob.f(prob.x0) + prob.f_min
        return
    ref = so.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="BFGS", options={"gtol": 1e-10})
    if solved(ref.fun, prob):
        assert solved(res.fun, prob), (res.fun, prob.f_min, res.message)
        assert res.success


@pytest.mark.parametrize("name", ["beale", "helical_valley", "extended_rosenbrock_n10"])
def test_compiled_mgh_objective(name):
    prob = P.get(name)
    fg = numopt.objective(grad=True)(prob.fg)
    compiled = numopt.minimize(fg, prob.x0.copy(), method="LBFGS", options=SOLVE)
    python = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS", options=SOLVE)
    assert (compiled.nit, compiled.nfev) == (python.nit, python.nfev)
    np.testing.assert_array_equal(compiled.x, python.x)
    assert solved(compiled.fun, prob)


def test_defaults_are_torchs():
    # one torch step with default options: max_iter 20, max_eval 25, fixed step lr = 1
    prob = P.get("rosenbrock")
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS")
    x, state = _optim_run(prob, prob.x0.copy(), {})
    np.testing.assert_array_equal(res.x, x)
    assert res.nit == state["n_iter"] <= 20
    spec = numopt._minimize._registry.get("lbfgs")
    assert spec.defaults["lr"] == 1 and spec.defaults["history_size"] == 100


def test_maxiter_is_max_iter():
    prob = P.get("rosenbrock")
    a = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                        options=dict(maxiter=7, max_eval=100, line_search_fn=SW))
    b = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                        options=dict(max_iter=7, max_eval=100, line_search_fn=SW))
    np.testing.assert_array_equal(a.x, b.x)
    assert a.nit == 7 and a.status == 1 and not a.success
    assert "max_iter" in a.message
    with pytest.raises(ValueError, match="same option"):
        numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                        options=dict(maxiter=7, max_iter=8))


def test_max_eval_reached_is_reported():
    prob = P.get("rosenbrock")
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                          options=dict(line_search_fn=SW, max_iter=100, max_eval=10))
    assert res.status == 1 and not res.success and "max_eval" in res.message
    assert res.nfev == 10


def test_tol_sets_both_tolerances():
    prob = P.get("rosenbrock")
    loose = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS", tol=1e-3,
                            options=dict(line_search_fn=SW, max_iter=500))
    tight = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS", tol=1e-12,
                            options=dict(line_search_fn=SW, max_iter=500))
    assert loose.success and tight.success
    assert loose.nit < tight.nit and tight.fun < loose.fun
    assert np.max(np.abs(loose.jac)) > 1e-3 > np.max(np.abs(tight.jac))


def test_gradient_tolerance_at_start():
    res = numopt.minimize(lambda x: float(x @ x), np.zeros(3), jac=lambda x: 2 * x,
                          method="LBFGS")
    assert res.success and res.nit == 0 and res.nfev == 1
    assert "tolerance_grad" in res.message


def test_nan_stops_at_last_good_iterate():
    def f(x):
        return np.nan if x[0] > 2.5 else float((x[0] - 3.0) ** 2)

    def g(x):
        return np.array([2.0 * (x[0] - 3.0)])

    res = numopt.minimize(f, [0.0], jac=g, method="LBFGS", options=dict(max_iter=10))
    # t = 1/6 along d = 6 reaches x = 1; the next (Newton) step hits x = 3: NaN
    assert res.status == 5 and not res.success
    assert res.x.tolist() == [1.0] and res.fun == 4.0 and res.nit == 1
    res = numopt.minimize(f, [0.0], jac=g, method="LBFGS",
                          options=dict(max_iter=10, line_search_fn=SW))
    assert res.status == 5 and np.isfinite(res.x).all() and res.fun == f(res.x)


@pytest.mark.parametrize("style", ["new", "legacy"])
def test_callback_and_stop_iteration(style):
    seen = []
    if style == "new":
        def callback(intermediate_result):
            seen.append(intermediate_result.fun)
            if len(seen) == 4:
                raise StopIteration
    else:
        def callback(xk):
            seen.append(xk.copy())
            if len(seen) == 4:
                raise StopIteration
    prob = P.get("rosenbrock")
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                          options=dict(line_search_fn=SW, max_iter=100), callback=callback)
    assert len(seen) == 4 and res.nit == 4 and res.status == 99
    if style == "new":
        assert seen[-1] == res.fun
    else:
        np.testing.assert_array_equal(seen[-1], res.x)


def test_float32_x0_gives_float32_x():
    prob = P.get("rosenbrock")
    res = numopt.minimize(prob.f, prob.x0.astype(np.float32), jac=prob.jac, method="LBFGS",
                          options=dict(line_search_fn=SW, max_iter=100))
    assert res.x.dtype == np.float32 and res.success


def test_option_errors():
    f = lambda x: float(x @ x)  # noqa: E731
    jac = lambda x: 2 * x  # noqa: E731
    with pytest.raises(ValueError, match="only 'strong_wolfe' is supported"):
        numopt.minimize(f, [1.0], jac=jac, method="LBFGS", options=dict(line_search_fn="armijo"))
    with pytest.raises(ValueError, match="Invalid learning rate"):
        numopt.minimize(f, [1.0], jac=jac, method="LBFGS", options=dict(lr=-1.0))
    with pytest.raises(ValueError, match="history_size"):
        numopt.minimize(f, [1.0], jac=jac, method="LBFGS", options=dict(history_size=0))
    with pytest.warns(so.OptimizeWarning, match="Unknown solver options: gtol"):
        numopt.minimize(f, [1.0], jac=jac, method="lbfgs", options=dict(gtol=1e-3))


def test_history_size_sizes_the_workspace():
    """The history takes 2 * history_size * n floats: sized from the options, any size works."""
    from numopt._minimize import _lbfgs

    small = _lbfgs.sizes(10, *_lbfgs.METHOD.pack(dict(_lbfgs.METHOD.defaults, history_size=3), 10, None, None))
    large = _lbfgs.sizes(10, *_lbfgs.METHOD.pack(dict(_lbfgs.METHOD.defaults, history_size=300), 10, None, None))
    assert large[0] - small[0] == 2 * 297 * 10 + 2 * 297
    res = numopt.minimize(lambda x: float(x @ x), np.ones(3), jac=lambda x: 2 * x, method="LBFGS",
                          options=dict(history_size=300))
    assert res.success and np.allclose(res.x, 0)


def test_history_size_option():
    prob = P.get("extended_rosenbrock_n10")
    results = [numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                               options=dict(SOLVE, history_size=m)) for m in (1, 5, 100)]
    assert all(solved(r.fun, prob) for r in results)
    assert len({r.nit for r in results}) == 3   # the history size matters


def test_njit_objective_with_finite_differences():
    @njit
    def quad(x):
        return (x[0] - 1.0) ** 2 + 10.0 * (x[1] + 2.0) ** 2

    res = numopt.minimize(quad, [0.0, 0.0], method="LBFGS",
                          options=dict(line_search_fn=SW, max_iter=100))
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, -2.0], atol=1e-6)


# -- issue 9: infinite values ------------------------------------------------------------
def _inf_past(limit, value):
    def f(x):
        return value if x[0] > limit else float((x[0] - 3.0) ** 2)
    return f


def _g(x):
    return np.array([2.0 * (x[0] - 3.0)])


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_value_stops_at_the_best_point_where_torch_steps_on(value):
    """torch takes the step to an infinite value (optim.LBFGS does too) and reports the
    gradient test satisfied there; minimize stops (status 5) at the best point evaluated,
    as for NaN (the fixed steps reach x = 1, then the Newton step x = 3, where f is inf)."""
    f = _inf_past(2.5, value)
    res = numopt.minimize(f, [0.0], jac=_g, method="LBFGS", options=dict(max_iter=10))
    assert (res.status, res.success) == (5, False)
    assert res.x.tolist() == [1.0] and res.fun == 4.0 and res.jac.tolist() == [-4.0]
    # torch's algorithm, as optim.LBFGS runs it, goes on to x = 3
    p = Parameter(np.zeros(1))
    opt = optim.LBFGS([p], max_iter=10)

    def closure():
        opt.zero_grad()
        p.grad = _g(p.data)
        return f(p.data)
    opt.step(closure)
    assert p.data.tolist() == [3.0]
    res = numopt.minimize(f, [0.0], jac=_g, method="LBFGS",
                          options=dict(max_iter=10, line_search_fn=SW))
    assert res.status == 5 and np.isfinite(res.fun) and res.fun == f(res.x) < f([0.0])


def test_best_point_not_the_last_iterate():
    """Fixed steps can go uphill: the result of a non-finite stop is the lowest point
    evaluated, with its own gradient, not the last iterate."""
    seen = []

    def f(x):
        v = np.inf if abs(x[0]) > 50 else float(x[0] ** 2)
        seen.append((v, x[0]))
        return v

    res = numopt.minimize(f, [1.0], jac=lambda x: 2.0 * x, method="LBFGS",
                          options=dict(lr=30.0, max_iter=10))
    finite = [(v, x) for v, x in seen if np.isfinite(v)]
    assert res.status == 5 and (res.fun, res.x[0]) == min(finite)
    assert res.jac.tolist() == [2.0 * res.x[0]]


def test_infinite_at_x0_and_in_a_batch():
    res = numopt.minimize(lambda x: np.inf, [1.0, 2.0], jac=lambda x: x, method="LBFGS")
    assert res.status == 5 and res.nfev == 1 and res.fun == np.inf
    np.testing.assert_array_equal(res.x, [1.0, 2.0])
    # vectorised batch: row 1 runs into +inf, row 0 is a plain quadratic
    C = np.array([1.0, 3.0])

    def F(X, C):
        out = (X[:, 0] - C) ** 2
        return np.where((C > 2) & (X[:, 0] > 2.5), np.inf, out)

    batch = numopt.minimize_batch(F, np.zeros((2, 1)), args=(C,), method="LBFGS",
                                  jac=lambda X, C: 2.0 * (X - C[:, None]),
                                  options=dict(max_iter=10))
    assert batch.success.tolist() == [True, False] and batch.status[1] == 5
    assert np.isfinite(batch.fun).all() and batch.x[1, 0] == 1.0 and batch.fun[1] == 4.0


@pytest.mark.parametrize("maxiter,exc", [("5", TypeError), ([5], TypeError), (2.5, ValueError),
                                         (np.nan, ValueError)])
def test_maxiter_that_is_not_a_count_raises_naming_maxiter(maxiter, exc):
    """scipy's name is checked under that name (torch's max_iter under its own)."""
    prob = P.get("rosenbrock")
    with pytest.raises(exc, match="maxiter"):
        numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                        options=dict(maxiter=maxiter))
    with pytest.raises(exc, match="maxiter"):
        numopt.minimize_batch(lambda X: np.sum(X ** 2, 1), np.ones((2, 2)),
                              jac=lambda X: 2 * X, method="LBFGS", options=dict(maxiter=maxiter))


@pytest.mark.parametrize("maxiter", [np.inf, 10 ** 20])
def test_unlimited_maxiter(maxiter):
    prob = P.get("rosenbrock")
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                          options=dict(maxiter=maxiter, line_search_fn=SW))
    ref = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="LBFGS",
                          options=dict(maxiter=10 ** 6, line_search_fn=SW))
    assert res.success and res.nit == ref.nit
    np.testing.assert_array_equal(res.x, ref.x)
