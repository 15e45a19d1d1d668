"""minimize(method="adam", ...): the numopt.optim classes on full-batch gradients."""
import inspect

import numpy as np
import pytest
from numba import njit
from scipy.optimize import OptimizeWarning

import numopt
from numopt import Parameter, optim
from numopt._minimize import _registry
from numopt._minimize._firstorder import GTOL, MAXITER, METHODS

CLASSES = {
    "sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "adamax": optim.Adamax,
    "nadam": optim.NAdam, "radam": optim.RAdam, "adagrad": optim.Adagrad,
    "adadelta": optim.Adadelta, "rmsprop": optim.RMSprop, "rprop": optim.Rprop,
    "asgd": optim.ASGD,
}

# Non-default hyperparameters that exercise each rule's branches (momentum, amsgrad,
# weight decay of both kinds, RAdam's rectified and unrectified steps, ASGD averaging).
BRANCHY = [
    ("sgd", dict(lr=1e-3)),
    ("sgd", dict(lr=1e-3, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("sgd", dict(lr=1e-3, momentum=0.8, dampening=0.3, maximize=True)),
    ("adam", dict(lr=1e-2, amsgrad=True, weight_decay=1e-3)),
    ("adamw", dict(lr=1e-2, weight_decay=0.1)),
    ("adamax", dict(lr=1e-2, weight_decay=1e-3)),
    ("nadam", dict(lr=1e-2, weight_decay=1e-2, decoupled_weight_decay=True)),
    ("radam", dict(lr=1e-3, weight_decay=1e-2)),
    ("adagrad", dict(lr=0.1, lr_decay=1e-2, initial_accumulator_value=0.1)),
    ("adadelta", dict(lr=1.0, rho=0.95, weight_decay=1e-3)),
    ("rmsprop", dict(lr=1e-3, momentum=0.9, centered=True)),
    ("rprop", dict(lr=1e-3, etas=(0.4, 1.3))),
    ("asgd", dict(lr=1e-3, lambd=1e-3, t0=5)),
]

# Settings under which each method solves Rosenbrock from (-1.2, 1) to gtol=1e-5 within
# 20000 steps, and the steps it takes (pinned: a change in them is a change in a rule).
ROSENBROCK = {
    "sgd": (dict(lr=1e-3, momentum=0.95), 1080),
    "adam": (dict(lr=2e-2), 3600),
    "adamw": (dict(lr=2e-2, weight_decay=0.0), 3600),
    "adamax": (dict(lr=2e-2), 4976),
    "nadam": (dict(lr=2e-3), 9922),
    "radam": (dict(lr=2e-3), 10776),         # lr=1e-2 diverges in the unrectified first steps
    "adagrad": (dict(lr=1.0), 13751),
    "adadelta": (dict(lr=1.0, rho=0.9999), 16796),
    "rmsprop": (dict(lr=3e-4, momentum=0.9), 1897),
    "rprop": (dict(lr=1e-3, step_sizes=(1e-9, 1.0)), 6011),
    "asgd": (dict(lr=2e-3, lambd=0.0, t0=0), 12925),
}

# A well-conditioned quadratic (condition number 4), to gtol=1e-6; weight decay and
# ASGD's lambd off (they move the fixed point away from the minimum), Rprop's minimal
# step below the distance to the minimum.
QUADRATIC = {
    "sgd": (dict(lr=0.1), 66),
    "adam": (dict(lr=0.1), 304),
    "adamw": (dict(lr=0.1, weight_decay=0.0), 304),
    "adamax": (dict(lr=0.1), 308),
    "nadam": (dict(lr=0.1), 199),
    "radam": (dict(lr=0.1), 341),
    "adagrad": (dict(lr=1.0), 61),
    "adadelta": (dict(lr=1.0, rho=0.9999), 453),
    "rmsprop": (dict(lr=0.01), 657),
    "rprop": (dict(step_sizes=(1e-12, 50)), 77),
    "asgd": (dict(lr=0.1, lambd=0.0), 66),
}
D = np.array([1.0, 1.5, 2.0, 3.0, 4.0])
C = np.array([1.0, -2.0, 0.5, 3.0, -1.0])


def quad(x):
    d = x - C
    return float(np.sum(D * d * d)), 2.0 * D * d


@numopt.objective(grad=True)
def rosen_fg(x, g, a, b):
    f = 0.0
    for i in range(x.size):
        g[i] = 0.0
    for i in range(x.size - 1):
        t, u = a - x[i], x[i + 1] - x[i] * x[i]  # not ** 2: numpy's scalar power can round differently
        f += t * t + b * u * u
        g[i] += -2.0 * t - 4.0 * b * x[i] * u
        g[i + 1] += 2.0 * b * u
    return f


def rosen_py(x, a=1.0, b=100.0):
    """The same arithmetic as rosen_fg, in Python: (f, g) for jac=True."""
    g = np.zeros_like(x)
    return rosen_fg.py_func(x, g, a, b), g


@njit
def rosen_value(x, a, b):
    f = 0.0
    for i in range(x.size - 1):
        f += (a - x[i]) ** 2 + b * (x[i + 1] - x[i] ** 2) ** 2
    return f


X0 = np.array([-1.2, 1.0, 0.5, -0.3])


def neg_rosen(x):
    f, g = rosen_py(x)
    return -f, -g


def hand_loop(cls, hyper, x0, steps, fg=rosen_py):
    """The canonical torch-style loop; returns the iterates x_1 .. x_steps."""
    p = Parameter(np.array(x0, dtype=np.float64))
    opt = cls([p], **hyper)
    xs = []
    for _ in range(steps):
        opt.zero_grad()
        _, g = fg(p.data.copy())
        p.grad = g
        opt.step()
        xs.append(p.data.copy())
    return xs


def test_every_optimizer_is_a_method():
    assert sorted(m.name for m in METHODS) == sorted(CLASSES)
    for name, cls in CLASSES.items():
        spec = _registry.get(name.upper())  # case-insensitive
        assert spec.name == name and f"numopt.optim.{cls.__name__}`" in spec.run.__doc__
        assert set(inspect.signature(cls).parameters) - {"params"} < set(spec.defaults)
        res = numopt.minimize(rosen_py, X0, jac=True, method=name.upper(),
                              options={"maxiter": 2})
        assert res.nit == 2


@pytest.mark.parametrize("name,hyper", BRANCHY, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BRANCHY)])
def test_reproduces_a_hand_driven_loop_bit_for_bit(name, hyper):
    steps = 30
    fg = neg_rosen if hyper.get("maximize") else rosen_py  # maximize -rosen: stays bounded
    xs = hand_loop(CLASSES[name], hyper, X0, steps, fg=fg)
    res = numopt.minimize(fg, X0, jac=True, method=name,
                          options=dict(hyper, maxiter=steps, gtol=0.0))
    np.testing.assert_array_equal(res.x, xs[-1])
    f, g = fg(xs[-1])
    assert res.fun == f
    np.testing.assert_array_equal(res.jac, g)
    assert (res.nit, res.nfev, res.njev, res.status, res.success) == (steps, steps + 1, steps + 1,
                                                                       1, False)
    assert "Maximum number of iterations" in res.message


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_converges_on_a_well_conditioned_quadratic(name):
    hyper, nit = QUADRATIC[name]
    res = numopt.minimize(quad, np.zeros(5), jac=True, method=name,
                          options=dict(hyper, maxiter=5000, gtol=1e-6))
    assert res.success and res.status == 0, res.message
    assert (res.nit, res.nfev) == (nit, nit + 1)
    assert np.max(np.abs(res.jac)) <= 1e-6
    np.testing.assert_allclose(res.x, C, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_converges_on_rosenbrock(name):
    hyper, nit = ROSENBROCK[name]
    res = numopt.minimize(rosen_fg, [-1.2, 1.0], args=(1.0, 100.0), method=name,
                          options=dict(hyper, maxiter=20000))
    assert res.success, (res.nit, res.message)
    assert (res.nit, res.nfev) == (nit, nit + 1)
    assert np.max(np.abs(res.jac)) <= GTOL
    np.testing.assert_allclose(res.x, 1.0, atol=1e-4)


def test_gtol_stops_at_the_first_iterate_below_it():
    hyper = dict(lr=0.05, momentum=0.5)
    res = numopt.minimize(quad, np.zeros(5), jac=True, method="sgd",
                          options=dict(hyper, gtol=1e-3))
    xs = hand_loop(optim.SGD, hyper, np.zeros(5), res.nit, fg=quad)
    gmax = [np.max(np.abs(quad(x)[1])) for x in xs]
    assert gmax[-1] <= 1e-3 and min(gmax[:-1]) > 1e-3
    np.testing.assert_array_equal(res.x, xs[-1])
    assert res.success and res.nfev == res.nit + 1


def test_tol_sets_gtol_unless_gtol_is_given():
    def run(tol=None, **options):
        return numopt.minimize(quad, np.zeros(5), jac=True, method="adam", tol=tol,
                               options=dict(lr=0.1, **options))

    loose, tight = run(1e-2), run(1e-8)
    assert loose.success and tight.success and loose.nit < tight.nit
    assert np.max(np.abs(loose.jac)) <= 1e-2 and np.max(np.abs(tight.jac)) <= 1e-8
    assert run(1e-8, gtol=1e-2).nit == loose.nit
    assert run().nit == run(GTOL).nit


def test_maxiter_default_and_zero():
    res = numopt.minimize(quad, np.zeros(5), jac=True, method="sgd", options={"gtol": 0.0})
    assert (res.nit, res.nfev, res.status) == (MAXITER, MAXITER + 1, 1) == (1000, 1001, 1)
    res = numopt.minimize(quad, np.zeros(5), jac=True, method="sgd", options={"maxiter": 0})
    assert (res.nit, res.nfev, res.status) == (0, 1, 1)
    np.testing.assert_array_equal(res.x, 0.0)
    assert res.fun == quad(np.zeros(5))[0]
    # converged at x0 beats maxiter
    res = numopt.minimize(quad, C, jac=True, method="sgd", options={"maxiter": 0})
    assert (res.nit, res.status, res.success) == (0, 0, True)


@pytest.mark.parametrize("bad", [-1, 2.5, True, "10"])
def test_bad_maxiter(bad):
    with pytest.raises((ValueError, TypeError), match="maxiter"):
        numopt.minimize(quad, np.zeros(5), jac=True, method="adam", options={"maxiter": bad})


@pytest.mark.parametrize("where", ["f", "g"])
def test_nonfinite_value_or_gradient_stops_at_the_last_finite_iterate(where):
    hyper = dict(lr=0.05)
    calls = []

    def fg(x):
        calls.append(x.copy())
        f, g = quad(x)
        if len(calls) == 9:  # the 8th step's point
            if where == "f":
                f = float("nan")
            else:
                g[2] = -np.inf
        return f, g

    res = numopt.minimize(fg, np.zeros(5), jac=True, method="adam", options=hyper)
    xs = hand_loop(optim.Adam, hyper, np.zeros(5), 7, fg=quad)
    assert (res.status, res.success, res.nit, res.nfev) == (5, False, 7, 9)
    assert "NaN or infinity" in res.message
    np.testing.assert_array_equal(res.x, xs[-1])
    np.testing.assert_array_equal(res.x, calls[7])
    assert res.fun == quad(xs[-1])[0] and np.all(np.isfinite(res.jac))


def test_nonfinite_at_x0_reports_x0():
    res = numopt.minimize(lambda x: (float("inf"), np.ones_like(x)), [1.0, 2.0], jac=True,
                          method="rmsprop")
    assert (res.status, res.nit, res.nfev) == (5, 0, 1) and res.fun == np.inf
    np.testing.assert_array_equal(res.x, [1.0, 2.0])


@pytest.mark.parametrize("style", ["new", "legacy"])
@pytest.mark.parametrize("compiled", [False, True])
def test_callbacks_see_each_iterate_and_can_stop(style, compiled):
    hyper = dict(lr=0.01, betas=(0.8, 0.99))
    seen = []
    if style == "new":
        def callback(intermediate_result):
            seen.append((intermediate_result.x.copy(), intermediate_result.fun))
            if len(seen) == 5:
                raise StopIteration
    else:
        def callback(xk):
            seen.append((xk.copy(), rosen_py(xk)[0]))
            if len(seen) == 5:
                raise StopIteration
    fun, kw = (rosen_fg, dict(args=(1.0, 100.0))) if compiled else (rosen_py, dict(jac=True))
    res = numopt.minimize(fun, X0, method="nadam", callback=callback, options=hyper, **kw)
    xs = hand_loop(optim.NAdam, hyper, X0, 5)
    assert len(seen) == 5 and res.nit == 5 and res.nfev == 6
    assert res.status == 99 and not res.success and "StopIteration" in res.message
    for (xk, fk), x in zip(seen, xs):
        np.testing.assert_array_equal(xk, x)
        assert fk == rosen_py(x)[0]
    np.testing.assert_array_equal(res.x, xs[-1])
    assert res.fun == seen[-1][1]


@pytest.mark.parametrize("method", ["sgd", "BFGS"])
def test_callback_after_every_step_as_for_bfgs(method):
    seen = []
    res = numopt.minimize(quad, np.zeros(5), jac=True, method=method,
                          callback=lambda xk: seen.append(xk.copy()),
                          options=dict(lr=0.1) if method == "sgd" else {})
    assert res.success and res.nit == len(seen) > 0
    np.testing.assert_array_equal(seen[-1], res.x)  # the final iterate too
    seen.clear()
    res = numopt.minimize(rosen_py, X0, jac=True, method="sgd", callback=seen.append,
                          options=dict(lr=1e-4, maxiter=10))
    assert res.nit == len(seen) == 10 and res.status == 1


def test_stop_iteration_wins_over_convergence():
    def callback(intermediate_result):
        raise StopIteration

    def fg(x):  # SGD with lr=0.5 lands on the minimum in one step
        return float((x[0] - 3.0) ** 2), 2.0 * (x - 3.0)

    res = numopt.minimize(fg, [1.0], jac=True, method="sgd", options=dict(lr=0.5))
    assert (res.nit, res.status, res.x[0]) == (1, 0, 3.0)
    res = numopt.minimize(fg, [1.0], jac=True, method="sgd", options=dict(lr=0.5),
                          callback=callback)
    assert (res.nit, res.status, res.x[0]) == (1, 99, 3.0)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_compiled_objective_equals_python_objective(name):
    opts = dict(ROSENBROCK[name][0], maxiter=300)
    py = numopt.minimize(rosen_py, X0, jac=True, method=name, options=opts)
    comp = numopt.minimize(rosen_fg, X0, args=(1.0, 100.0), method=name, options=opts)
    assert (py.nit, py.nfev, py.status) == (comp.nit, comp.nfev, comp.status)
    np.testing.assert_array_equal(py.x, comp.x)
    np.testing.assert_array_equal(py.jac, comp.jac)
    assert py.fun == comp.fun


def test_finite_differences_compiled_and_python():
    opts = dict(lr=1e-3, momentum=0.9, maxiter=50)
    py = numopt.minimize(lambda x, a, b: rosen_value.py_func(x, a, b), X0, args=(1.0, 100.0),
                         method="sgd", options=opts)
    comp = numopt.minimize(rosen_value, X0, args=(1.0, 100.0), method="sgd", options=opts)
    n = X0.size
    for res in (py, comp):
        assert (res.nit, res.njev, res.nfev) == (50, 51, 51 * (n + 1))
    np.testing.assert_allclose(py.x, comp.x, rtol=1e-12)
    exact = numopt.minimize(rosen_py, X0, jac=True, method="sgd", options=opts)
    np.testing.assert_allclose(comp.x, exact.x, rtol=1e-5)


INVALID = [
    ("sgd", dict(lr=-1.0)),
    ("sgd", dict(momentum=-0.5)),
    ("sgd", dict(lr=0.1, nesterov=True)),
    ("adam", dict(betas=(1.0, 0.999))),
    ("adamw", dict(eps=-1e-8)),
    ("adamax", dict(weight_decay=-1.0)),
    ("nadam", dict(momentum_decay=-1.0)),
    ("radam", dict(betas=(0.9, 1.5))),
    ("adagrad", dict(initial_accumulator_value=-1.0)),
    ("adadelta", dict(rho=2.0)),
    ("rmsprop", dict(alpha=-0.1)),
    ("rprop", dict(etas=(1.5, 1.2))),
    ("asgd", dict(lr=-0.1)),
    ("adam", dict(capturable=True)),
]


@pytest.mark.parametrize("name,hyper", INVALID, ids=[f"{n}-{i}" for i, (n, _) in enumerate(INVALID)])
def test_invalid_hyperparameters_raise_the_class_error(name, hyper):
    with pytest.raises(ValueError) as direct:
        CLASSES[name]([Parameter(np.zeros(2))], **hyper)
    with pytest.raises(ValueError) as via_minimize:
        numopt.minimize(quad, np.zeros(5), jac=True, method=name, options=hyper)
    assert str(via_minimize.value) == str(direct.value)


def test_unknown_and_foreign_options_warn_as_scipy():
    with pytest.warns(OptimizeWarning, match="Unknown solver options: betas"):
        res = numopt.minimize(quad, np.zeros(5), jac=True, method="sgd",
                              options={"betas": (0.9, 0.99), "lr": 0.1})
    assert res.success
    with pytest.warns(OptimizeWarning, match="Unknown solver options: bogus"):
        numopt.minimize(quad, np.zeros(5), jac=True, method="adam", options={"bogus": 1})
    # disp and torch's tensor-only flags are accepted
    numopt.minimize(quad, np.zeros(5), jac=True, method="adam",
                    options={"disp": True, "foreach": True, "fused": False, "maxiter": 3})


def test_front_door_warnings_and_dtypes():
    with pytest.warns(RuntimeWarning, match="Method Adam cannot handle bounds"):
        numopt.minimize(quad, np.zeros(5), jac=True, method="Adam", bounds=[(0, 1)] * 5,
                        options={"maxiter": 2})
    for dtype in (np.float32, np.float64):
        x0 = np.zeros(5, dtype=dtype)
        res = numopt.minimize(quad, x0, jac=True, method="sgd", options={"lr": 0.1})
        assert res.x.dtype == dtype and res.success
        np.testing.assert_array_equal(x0, 0.0)  # the caller's x0 is never written


def test_objective_cannot_corrupt_the_iterate():
    def fg(x):
        f, g = quad(x)
        x[:] = 1e6  # a misbehaving objective writes into the point it got
        return f, g

    res = numopt.minimize(fg, np.zeros(5), jac=True, method="sgd", options={"lr": 0.1})
    assert res.success
    np.testing.assert_allclose(res.x, C, atol=1e-5)


def test_nan_returns_the_best_finite_point_not_the_last():
    """SGD with lr 1.05 on x^2 overshoots further at every step (x -> -1.1 x); the
    objective turns NaN past |x| = 10. The best point seen is x0, not the last iterate."""
    def f(x):
        return float(x[0] ** 2) if abs(x[0]) < 10 else float("nan")

    def g(x):
        return np.array([2 * x[0]])

    res = numopt.minimize(f, [1.0], jac=g, method="sgd", options={"lr": 1.05, "maxiter": 100})
    assert res.status == 5 and not res.success
    assert res.x[0] == 1.0 and res.fun == 1.0
    assert res.nit > 20  # it ran until the NaN, 1.1**k > 10


@pytest.mark.parametrize("maxiter", [np.inf, 10 ** 20, 10 ** 400])
def test_unlimited_maxiter(maxiter):
    """np.inf or a count beyond any run is no limit (it raised OverflowError); the run
    stops on gtol as with a large finite maxiter."""
    res = numopt.minimize(quad, np.zeros(5), jac=True, method="adam",
                          options={"lr": 0.05, "maxiter": maxiter, "gtol": 1e-6})
    ref = numopt.minimize(quad, np.zeros(5), jac=True, method="adam",
                          options={"lr": 0.05, "maxiter": 10 ** 6, "gtol": 1e-6})
    assert res.success and res.nit == ref.nit
    np.testing.assert_array_equal(res.x, ref.x)
    batch = numopt.minimize_batch(lambda X: np.sum(X ** 2, 1), np.ones((2, 3)),
                                  jac=lambda X: 2 * X, method="adam",
                                  options={"lr": 0.05, "maxiter": maxiter, "gtol": 1e-6})
    assert batch.success.all()


@pytest.mark.parametrize("bad,exc", [("abc", TypeError), ([1e-3], TypeError),
                                     (np.nan, ValueError)])
def test_gtol_that_is_not_a_number_raises_naming_it(bad, exc):
    with pytest.raises(exc, match="gtol"):
        numopt.minimize(quad, np.zeros(5), jac=True, method="adam", options={"gtol": bad})
