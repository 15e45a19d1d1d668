"""Finite-difference gradients against scipy's ``approx_derivative``, step for step.

numopt's steps (:mod:`numopt._minimize._finite_diff`) must be scipy's: the absolute
``eps`` of ``jac=None``, the relative steps of the named schemes, the fallback when a
step does not move ``x``, and L-BFGS-B's adjustment of steps to the bounds. The
reference is scipy itself, run in the test.
"""
import numpy as np
import pytest
import scipy.optimize as so
from numba import njit
from scipy.optimize._numdiff import approx_derivative

import numopt
from numopt._minimize import _finite_diff as F
from numopt._minimize._objective import make_fg


def quartic(x, c):
    """Smooth, with a different curvature in every coordinate; takes complex x too.
    Products and sums only, in a loop, so that Python and numba round alike."""
    f = x[0] * x[-1]
    for i in range(x.size):
        xi = x[i]
        f += c[i] * (xi * xi) * (xi * xi) - xi * xi * xi + 0.5 * xi
    return f


quartic_njit = njit(quartic)


def reference(x, scheme, mode, step, lb, ub, c):
    kw = {}
    if mode == F.ABS:
        kw["abs_step"] = step
    elif mode == F.REL_GIVEN:
        kw["rel_step"] = step
    bounds = (-np.inf, np.inf) if scheme == "cs" else (lb, ub)
    return approx_derivative(quartic, x, method=scheme, bounds=bounds, args=(c,), **kw)


def numopt_gradient(fun, x, scheme, mode, step, lb, ub, c):
    fd = F.FiniteDiff(scheme, mode)
    args = (c, F.params(step, x.size, lb, ub))
    fg, _ = make_fg(fun, None, "fd", fd, args)
    g = np.empty_like(x)
    f = fg(x.copy(), g, args) if not hasattr(fg, "dispatcher") else fg.dispatcher(x.copy(), g, args)
    assert f == pytest.approx(quartic(x, c), rel=1e-15)
    return g


# Points and boxes that exercise every branch of scipy's step rule: free coordinates,
# coordinates on or next to a bound (one-sided steps turned round, central steps made
# one-sided or shrunk), a box narrower than the step, zeros and large coordinates.
X = np.array([0.0, -3.0, 1e-9, 2.5, 1e5, -0.4, 0.7])
LB = np.array([-1.0, -3.0, -np.inf, 2.5 - 1e-9, -np.inf, -0.4 - 3e-6, 0.7 - 1e-12])
UB = np.array([np.inf, 5.0, 1e-9, 3.0, np.inf, 1.0, 0.7 + 1e-12])
C = np.linspace(0.5, 2.0, X.size)


# scipy takes absolute steps only for jac=None, which is "2-point".
CASES = [(scheme, mode, step) for scheme in F.FD_METHODS
         for mode, step in [(F.REL, None), (F.ABS, 1e-8), (F.ABS, 1e-30), (F.REL_GIVEN, 1e-6),
                            (F.REL_GIVEN, np.full(7, 1e-4))]
         if mode != F.ABS or scheme == "2-point"]


@pytest.mark.parametrize("scheme,mode,step", CASES)
@pytest.mark.parametrize("bounded", [False, True])
@pytest.mark.parametrize("fun", [quartic, quartic_njit], ids=["python", "compiled"])
def test_gradient_equals_approx_derivative(scheme, mode, step, bounded, fun):
    lb, ub = (LB, UB) if bounded else (None, None)
    ref = reference(X, scheme, mode, step, -np.inf if lb is None else lb,
                    np.inf if ub is None else ub, C)
    g = numopt_gradient(fun, X, scheme, mode, step, lb, ub, C)
    np.testing.assert_array_equal(g, ref)


def test_steps_stay_inside_the_bounds():
    seen = []

    def f(x):
        seen.append(x.copy())
        return float(np.sum(x ** 2))

    for scheme in ("2-point", "3-point"):
        fd = F.FiniteDiff(scheme, F.ABS if scheme == "2-point" else F.REL)
        args = (F.params(1e-3, X.size, LB, UB),)
        fg, _ = make_fg(f, None, "fd", fd, args)
        fg(X.copy(), np.empty(X.size), args)
    seen = np.array(seen)
    assert np.all(seen >= LB) and np.all(seen <= UB)


def test_choose_follows_scipy_options():
    opts = dict(eps=1e-8, finite_diff_rel_step=None)
    assert F.choose(None, opts, True) == (F.FiniteDiff("2-point", F.ABS), 1e-8)
    assert F.choose("3-point", opts, True) == (F.FiniteDiff("3-point", F.REL), None)
    rel = dict(opts, finite_diff_rel_step=1e-5)
    assert F.choose("cs", rel, True) == (F.FiniteDiff("cs", F.REL_GIVEN), 1e-5)
    assert F.choose(None, dict(rel, eps=None), True) == (F.FiniteDiff("2-point", F.REL_GIVEN), 1e-5)
    # methods without scipy's options (LBFGS, the first-order ones): default relative steps
    assert F.choose(None, {}, False) == (F.FiniteDiff("2-point", F.REL), None)


def test_bad_step_shape():
    with pytest.raises(ValueError, match="3 entries"):
        numopt.minimize(quartic, np.ones(3), args=(1.0,), options={"eps": [1e-8, 1e-8]})


# -- whole solves --------------------------------------------------------------------------
def rosen(x, a, b):
    f = 0.0
    for i in range(x.size - 1):
        t, u = a - x[i], x[i + 1] - x[i] * x[i]
        f += t * t + b * u * u
    return f


rosen_njit = njit(rosen)
X0 = np.array([-1.2, 1.0, 0.7, 2.5])
SOLVES = [(None, {}), (None, {"eps": 1e-6}), (None, {"eps": np.full(4, 1e-7)}),
          ("2-point", {"finite_diff_rel_step": 1e-6}), ("3-point", {}),
          ("3-point", {"eps": 1e-3}),  # eps is ignored by a named scheme, as scipy does
          ("cs", {"finite_diff_rel_step": 1e-10})]


@pytest.mark.parametrize("method", ["BFGS", "CG", "L-BFGS-B"])
@pytest.mark.parametrize("jac,options", SOLVES)
def test_solves_follow_scipy(method, jac, options):
    kw = dict(args=(1.0, 100.0), jac=jac, method=method, options=options)
    ref = so.minimize(rosen, X0, **kw)
    py = numopt.minimize(rosen, X0, **kw)
    comp = numopt.minimize(rosen_njit, X0, **kw)
    # Coarse steps end some runs in scipy's "precision loss" (status 2), near the point
    # scipy stops at.
    assert py.status == ref.status
    assert abs(py.nit - ref.nit) <= 0.1 * ref.nit
    np.testing.assert_allclose(py.x, ref.x, atol=1e-3)
    assert py.nfev <= 1.2 * ref.nfev
    if jac != "cs":  # numba's complex arithmetic rounds unlike NumPy's
        assert (comp.nit, comp.nfev) == (py.nit, py.nfev)
        np.testing.assert_array_equal(comp.x, py.x)


def edge(x):
    """Undefined (NaN) past x = 1, where its minimum over x <= 1 lies."""
    return float(np.sum((x - 3.0) ** 2 + np.sqrt(1.0 - x)))


edge_njit = njit(lambda x: np.sum((x - 3.0) ** 2 + np.sqrt(1.0 - x)))


@pytest.mark.parametrize("jac", [None, "2-point", "3-point"])
def test_lbfgsb_differences_never_leave_the_box(jac):
    x0 = np.array([0.2, 0.5, 0.9])
    bounds = [(None, 1.0)] * 3
    ref = so.minimize(edge, x0, jac=jac, method="L-BFGS-B", bounds=bounds)
    for fun in (edge, edge_njit):
        res = numopt.minimize(fun, x0, jac=jac, method="L-BFGS-B", bounds=bounds)
        assert res.success and ref.success
        np.testing.assert_allclose(res.x, 1.0)
        assert np.all(np.isfinite(res.jac))
        np.testing.assert_allclose(res.jac, ref.jac, rtol=1e-6)
        assert (res.nit, res.nfev) == (ref.nit, ref.nfev)


def test_step_option_defaults_are_scipys():
    import inspect

    from scipy.optimize import _lbfgsb_py, _optimize

    from numopt._minimize import _registry

    for name, func in [("BFGS", _optimize._minimize_bfgs), ("CG", _optimize._minimize_cg),
                       ("L-BFGS-B", _lbfgsb_py._minimize_lbfgsb)]:
        theirs = inspect.signature(func).parameters
        spec = _registry.get(name)
        assert spec.fd_options
        for option in ("eps", "finite_diff_rel_step"):
            assert spec.defaults[option] == theirs[option].default, (name, option)
