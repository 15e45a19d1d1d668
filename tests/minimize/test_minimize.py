"""numopt.minimize's front door and BFGS, against scipy.optimize.minimize run in the test."""
import pickle

import numpy as np
import pytest
import scipy.optimize as so
from numba import njit
from scipy.optimize import OptimizeWarning

import numopt
from numopt.testing import problems as P
from tests.reference.objectives import rosen_fg

# The Moré-Garbow-Hillstrom problems scipy's BFGS solves from the standard start
# (reaches f* within 1e-8 relative + 1e-12, per tests/test_problems.py); each must be
# solved by numopt too.
BFGS_PROBLEMS = [p for p in P.ALL if p.n <= 20]


def rosen_py(x, a, b):
    return float(rosen_any(x, a, b))


def rosen_any(x, a, b):
    """Also takes complex x, as the complex-step ("cs") derivative needs."""
    return np.sum(b * (x[1:] - x[:-1] ** 2) ** 2 + (a - x[:-1]) ** 2)


@njit
def rosen_njit(x, a, b):
    f = 0.0
    for i in range(x.size - 1):
        f += (a - x[i]) ** 2 + b * (x[i + 1] - x[i] ** 2) ** 2
    return f


def solved(fun, prob, scale=1e-8):
    return abs(fun - prob.f_min) <= scale * abs(prob.f_min) + 1e-10


@pytest.mark.parametrize("prob", BFGS_PROBLEMS, ids=[p.label for p in BFGS_PROBLEMS])
def test_bfgs_solves_what_scipy_solves(prob):
    x0 = prob.x0.copy()
    ref = so.minimize(prob.f, x0, jac=prob.jac, method="BFGS", options={"gtol": 1e-10})
    res = numopt.minimize(prob.f, x0, jac=prob.jac, method="BFGS", options={"gtol": 1e-10})
    if solved(ref.fun, prob, 1e-6):
        assert solved(res.fun, prob, 1e-6), (res.fun, res.message, ref.fun)


def test_bfgs_total_nfev_within_10_percent_of_scipy():
    ours = theirs = 0
    for prob in BFGS_PROBLEMS:
        x0 = prob.x0.copy()
        theirs += so.minimize(prob.f, x0, jac=prob.jac, method="BFGS").nfev
        ours += numopt.minimize(prob.f, x0, jac=prob.jac, method="BFGS").nfev
    assert ours <= 1.1 * theirs, (ours, theirs)


@pytest.mark.parametrize("name", ["rosenbrock", "beale", "helical_valley", "watson_n6"])
def test_bfgs_pins_scipys_counts(name):
    """Same algorithm and line search as scipy: identical nit and nfev where rounding agrees."""
    prob = P.get(name)
    ref = so.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="BFGS")
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="BFGS")
    assert (res.nit, res.nfev, res.njev) == (ref.nit, ref.nfev, ref.njev)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7)


def test_python_path_equals_compiled_path():
    x0 = np.array([-1.2, 1.0, 0.5, -0.3])
    compiled = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0))
    looped = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), callback=lambda xk: None)
    assert (compiled.nit, compiled.nfev) == (looped.nit, looped.nfev)
    np.testing.assert_array_equal(compiled.x, looped.x)
    assert compiled.success and np.allclose(compiled.x, 1.0, atol=1e-5)


def test_python_objective_equals_compiled_objective():
    """A Python objective and the compiled one, same arithmetic: same nit, nfev and x."""
    def fg_py(x, a, b):
        g = np.zeros_like(x)
        return rosen_fg.py_func(x, g, a, b), g

    x0 = np.array([-1.2, 1.0])
    a = numopt.minimize(fg_py, x0, args=(1.0, 100.0), jac=True)
    b = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0))
    assert (a.nit, a.nfev) == (b.nit, b.nfev)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-14)


@pytest.mark.parametrize("jac", [None, "2-point", "3-point", "cs"])
def test_finite_differences_compiled_and_python_agree(jac):
    x0 = np.array([-1.2, 1.0, 0.7])
    ref = so.minimize(rosen_any, x0, args=(1.0, 100.0), jac=jac, method="BFGS")
    py = numopt.minimize(rosen_any, x0, args=(1.0, 100.0), jac=jac, method="BFGS")
    comp = numopt.minimize(rosen_njit, x0, args=(1.0, 100.0), jac=jac, method="BFGS")
    assert py.success and comp.success
    np.testing.assert_allclose(py.x, 1.0, atol=1e-4)
    np.testing.assert_allclose(comp.x, py.x, rtol=1e-6)
    # The same gradients as scipy's (tests/minimize/test_finite_diff.py), so the same
    # path to rounding; at the end, where the BLAS kernel numpy picks for the CPU sets the
    # last bits, scipy's last line search can end in "precision loss" a few iterations
    # before numopt's converges (1 on AVX-512 SkylakeX, 4 on another CPU).
    assert abs(py.nit - ref.nit) <= 5


def test_compiled_jac_callable_and_tuple():
    @njit
    def f(x):
        return (x[0] - 3.0) ** 2 + 10.0 * (x[1] + 1.0) ** 2

    @njit
    def g(x):
        return np.array([2.0 * (x[0] - 3.0), 20.0 * (x[1] + 1.0)])

    @njit
    def fg(x):
        return f(x), g(x)

    for res in (numopt.minimize(f, [0.0, 0.0], jac=g), numopt.minimize(fg, [0.0, 0.0], jac=True)):
        assert res.success
        np.testing.assert_allclose(res.x, [3.0, -1.0], atol=1e-6)


def test_result_fields_match_scipy():
    res = numopt.minimize(rosen_py, [-1.2, 1.0], args=(1.0, 100.0))
    assert isinstance(res, so.OptimizeResult)
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "status", "success", "message"):
        assert key in res
    assert res.x.dtype == np.float64 and res.status == 0


def test_x0_conversions():
    res = numopt.minimize(lambda x: float(np.sum((x - 2) ** 2)), [0, 1])
    assert res.x.dtype == np.float64
    res32 = numopt.minimize(lambda x: float(np.sum((x - 2) ** 2)), np.zeros(2, np.float32))
    assert res32.x.dtype == np.float32
    np.testing.assert_allclose(res32.x, 2.0, atol=1e-4)


@pytest.mark.parametrize("x0,exc,msg", [
    (np.zeros((2, 2)), ValueError, "one dimension"),
    ([0.0, np.nan], ValueError, "finite"),
    ([1j, 0], TypeError, "real floating point"),
])
def test_bad_x0(x0, exc, msg):
    with pytest.raises(exc, match=msg):
        numopt.minimize(rosen_py, x0, args=(1.0, 100.0))


def test_unknown_method_and_options():
    with pytest.raises(ValueError, match="Unknown solver 'foo'"):
        numopt.minimize(rosen_py, [0.0, 0.0], args=(1.0, 100.0), method="foo")
    with pytest.warns(OptimizeWarning, match="Unknown solver options: bogus"):
        numopt.minimize(rosen_py, [0.0, 0.0], args=(1.0, 100.0), options={"bogus": 1})
    with pytest.raises(ValueError, match="positive definite"):
        numopt.minimize(rosen_py, [0.0, 0.0], args=(1.0, 100.0),
                        options={"hess_inv0": np.array([[1.0, 2.0], [2.0, 1.0]])})
    with pytest.raises(ValueError, match="shape"):
        numopt.minimize(rosen_py, [0.0, 0.0], args=(1.0, 100.0), options={"hess_inv0": np.eye(3)})
    with pytest.raises(ValueError, match="jac must be"):
        numopt.minimize(rosen_py, [0.0, 0.0], args=(1.0, 100.0), jac="4-point")


def test_method_is_case_insensitive_and_warnings_match_scipy():
    f = lambda x: float(x @ x)  # noqa: E731
    # scipy names the method as the caller wrote it.
    with pytest.warns(RuntimeWarning, match="Method bfgs cannot handle constraints"):
        numopt.minimize(f, [1.0], method="bfgs", constraints={"type": "eq", "fun": f})
    with pytest.warns(RuntimeWarning, match="Method Bfgs cannot handle bounds"):
        res = numopt.minimize(f, [1.0], method="Bfgs", bounds=[(0.5, 1)])
    assert abs(res.x[0]) < 1e-6  # ignored, as scipy ignores them
    with pytest.warns(RuntimeWarning, match="does not use Hessian information"):
        numopt.minimize(f, [1.0], method="BFGS", hess=lambda x: np.eye(1))


def test_tol_sets_gtol():
    # An exact gradient: a finite-difference one is noisier than 1e-9 near the solution.
    jac = lambda x, a, b: so.rosen_der(x)  # noqa: E731 -- (a, b) = (1, 100), scipy's rosen
    loose = numopt.minimize(rosen_py, [-1.2, 1.0], args=(1.0, 100.0), jac=jac, tol=1e-2)
    tight = numopt.minimize(rosen_py, [-1.2, 1.0], args=(1.0, 100.0), jac=jac, tol=1e-9)
    assert loose.nit < tight.nit
    assert np.max(np.abs(tight.jac)) <= 1e-9


def test_maxiter_reached_is_reported():
    res = numopt.minimize(rosen_py, [-1.2, 1.0], args=(1.0, 100.0), options={"maxiter": 3})
    assert res.nit == 3 and res.status == 1 and not res.success
    assert "Maximum number of iterations" in res.message


@pytest.mark.parametrize("style", ["new", "legacy"])
def test_callback_styles_and_stop_iteration(style):
    seen = []
    if style == "new":
        def callback(intermediate_result):
            seen.append(intermediate_result.fun)
            if len(seen) == 5:
                raise StopIteration
    else:
        def callback(xk):
            seen.append(rosen_py(xk, 1.0, 100.0))
            if len(seen) == 5:
                raise StopIteration
    res = numopt.minimize(rosen_py, [-1.2, 1.0], args=(1.0, 100.0), callback=callback)
    assert len(seen) == 5 and res.nit == 5
    assert res.status == 99 and not res.success and "StopIteration" in res.message
    assert res.fun == pytest.approx(seen[-1])
    assert np.all(np.diff(seen) <= 0)


def test_nan_objective_returns_last_finite_iterate():
    calls = []

    def f(x):
        calls.append(x.copy())
        if len(calls) > 6:
            return float("nan")
        return float(np.sum((x - 5.0) ** 2))

    res = numopt.minimize(f, [0.0, 0.0], jac="2-point")
    assert not res.success and "NaN" in res.message
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    assert res.fun == pytest.approx(float(np.sum((res.x - 5.0) ** 2)))


def test_user_exception_propagates_and_x0_untouched():
    x0 = np.array([1.0, 2.0])

    def f(x):
        x[0] = 99.0  # a misbehaving objective must not reach our x0 or state
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        numopt.minimize(f, x0)
    np.testing.assert_array_equal(x0, [1.0, 2.0])


def test_new_objective_does_not_recompile_the_solver():
    from numopt._minimize import _drivers

    numopt.minimize(rosen_fg, [-1.2, 1.0], args=(1.0, 100.0))
    before = len(_drivers._solvers)

    @numopt.objective(grad=True)
    def quad_fg(x, g, a, b):
        f = 0.0
        for i in range(x.size):
            g[i] = 2.0 * a * (x[i] - b)
            f += a * (x[i] - b) ** 2
        return f

    res = numopt.minimize(quad_fg, [0.0, 0.0], args=(1.0, 100.0))
    assert len(_drivers._solvers) == before  # same (method, args type): the same solver
    np.testing.assert_allclose(res.x, 100.0)


# -- hess_inv ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["rosenbrock", "beale", "helical_valley", "box_3d"])
def test_bfgs_hess_inv_and_hess_inv0_match_scipy(name):
    from numopt.testing import problems as P

    prob = P.get(name)
    n = prob.x0.size
    for h0 in (None, np.diag(np.linspace(0.2, 1.0, n)) + 0.01):
        opts = {"hess_inv0": h0}
        res = numopt.minimize(prob.f, prob.x0, jac=prob.jac, method="BFGS", options=opts)
        ref = so.minimize(prob.f, prob.x0, jac=prob.jac, method="BFGS", options=opts)
        assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
        np.testing.assert_allclose(res.hess_inv, ref.hess_inv, rtol=1e-5,
                                   atol=1e-7 * np.abs(ref.hess_inv).max())


def test_lbfgsb_hess_inv():
    from numopt.testing import problems as P

    prob = P.get("extended_rosenbrock_n10")
    # Fewer updates than maxcor: scipy's operator is the L-BFGS matrix too.
    opts = {"maxcor": 200}
    res = numopt.minimize(prob.f, prob.x0, jac=prob.jac, method="L-BFGS-B", options=opts)
    ref = so.minimize(prob.f, prob.x0, jac=prob.jac, method="L-BFGS-B", options=opts)
    assert res.hess_inv.n_corrs == ref.hess_inv.n_corrs == res.nit - 1  # no update at the end
    assert isinstance(res.hess_inv, so.LbfgsInvHessProduct)
    np.testing.assert_allclose(res.hess_inv.todense(), ref.hess_inv.todense(), rtol=1e-4,
                               atol=1e-6 * np.abs(ref.hess_inv.todense()).max())
    v = np.linspace(-1, 1, 10)
    np.testing.assert_allclose(res.hess_inv.matvec(v), ref.hess_inv.matvec(v), rtol=1e-4,
                               atol=1e-6 * np.abs(ref.hess_inv.matvec(v)).max())
    again = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(again.hess_inv.todense(), res.hess_inv.todense())
    # The ring buffer wrapped many times: the operator still satisfies the secant
    # equation H y = s of the newest correction, and is symmetric positive definite.
    res = numopt.minimize(prob.f, prob.x0, jac=prob.jac, method="L-BFGS-B",
                          options={"maxcor": 5})
    H = res.hess_inv
    assert H.n_corrs == 5 and res.nit > 15
    np.testing.assert_allclose(H.matvec(H.yk[-1]), H.sk[-1], rtol=1e-10, atol=1e-14)
    dense = H.todense()
    np.testing.assert_allclose(dense, dense.T, rtol=1e-10, atol=1e-14)
    assert np.linalg.eigvalsh(dense).min() > 0


def test_objective_cache_option(tmp_path, monkeypatch):
    """``objective(cache=True)`` compiles with numba's disk cache (index files appear in
    the cache directory), gives the same solve, and keeps the flag through cloudpickle."""
    import importlib.util
    import sys

    from numba.core import config

    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path / "cache"))
    src = tmp_path / "cached_objective.py"
    src.write_text(
        "import numopt\n"
        "@numopt.objective(grad=True, cache=True)\n"
        "def quad(x, g, c):\n"
        "    f = 0.0\n"
        "    for i in range(x.size):\n"
        "        g[i] = 2.0 * (x[i] - c)\n"
        "        f += (x[i] - c) ** 2\n"
        "    return f\n")
    spec = importlib.util.spec_from_file_location("cached_objective", src)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "cached_objective", module)
    spec.loader.exec_module(module)
    res = numopt.minimize(module.quad, np.zeros(3), args=(1.5,), method="BFGS")
    assert res.success and np.allclose(res.x, 1.5)
    assert module.quad.cache
    assert any((tmp_path / "cache").rglob("*quad*.nbi"))
    cloudpickle = pytest.importorskip("cloudpickle")  # how dask ships objectives
    again = pickle.loads(cloudpickle.dumps(module.quad))
    assert again.cache and again.grad


_RUN_CACHED = """
import json, sys
import numpy as np
import numopt, cached_pair
res = [numopt.minimize(f, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-10,
                                                                       "fatol": 1e-14})
       for f in (cached_pair.up, cached_pair.down)]
from numopt._minimize import _objective
hits = sum(a.cache_hits for a in _objective._adapters.values())
print(json.dumps({"x": [float(r.x[0]) for r in res], "adapter_hits": hits}))
"""


def test_cached_objective_loads_its_adapter_and_follows_edits(tmp_path):
    """With ``cache=True`` a new process loads the objective's adapter from disk instead of
    compiling it; two objectives of the same shape get their own adapters, and an edit
    to the objective's file is never answered with the old code."""
    import json
    import os
    import subprocess
    import sys

    src = tmp_path / "cached_pair.py"
    template = ("import numopt\n"
                "@numopt.objective(cache=True)\n"
                "def up(x):\n    return (x[0] - {c}) ** 2 + (x[1] - 1.0) ** 2\n"
                "@numopt.objective(cache=True)\n"
                "def down(x):\n    return (x[0] + {c}) ** 2 + (x[1] - 1.0) ** 2\n")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.getcwd()]))

    def run():
        out = subprocess.run([sys.executable, "-c", _RUN_CACHED], env=env, check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.splitlines()[-1])

    src.write_text(template.format(c=2.0))
    first, second = run(), run()
    np.testing.assert_allclose(first["x"], [2.0, -2.0], atol=1e-6)
    assert second["x"] == first["x"]
    assert first["adapter_hits"] == 0 and second["adapter_hits"] == 2
    src.write_text(template.format(c=3.0))
    stat = src.stat()  # a new stamp even within the file system's time resolution
    os.utime(src, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    edited = run()
    np.testing.assert_allclose(edited["x"], [3.0, -3.0], atol=1e-6)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "LBFGS"])
def test_calls_with_default_options_share_read_only_option_arrays(method):
    """A call with the defaults and no bounds reuses the option arrays made for the first
    such call of that size; no solve may write into them, and a call with options must
    not disturb them."""
    from numopt._minimize import _minimize as M

    x0 = np.array([-1.2, 1.0])
    first = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), method=method)
    key = (numopt._minimize._registry.get(method).name, 2, x0.dtype, M._NO_KEY)
    _, _, _, _, fopts, iopts, _, _ = M._PREPARED[key]
    saved = fopts.copy(), iopts.copy()
    numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), method=method, options={"maxiter": 3})
    again = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), method=method)
    np.testing.assert_array_equal(fopts, saved[0])
    np.testing.assert_array_equal(iopts, saved[1])
    assert (again.nit, again.nfev) == (first.nit, first.nfev)
    np.testing.assert_array_equal(again.x, first.x)


@pytest.mark.parametrize("method", ["L-BFGS-B", "Nelder-Mead"])
def test_calls_with_equal_bounds_share_their_read_only_preparation(method):
    """Bounds given as the same pairs (tuples or lists) are converted and packed once;
    the shared arrays are read-only, and a pair that only compares equal to a number
    (a complex bound) is still refused."""
    from numopt._minimize import _minimize as M

    x0 = np.array([-1.2, 1.0])
    bounds = [(-2.0, 2.0), (None, 3)]
    first = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), method=method, bounds=bounds)
    key = (numopt._minimize._registry.get(method).name, 2, x0.dtype, M._bounds_key(bounds))
    lower, upper = M._PREPARED[key][:2]
    np.testing.assert_array_equal(lower, [-2.0, -np.inf])
    np.testing.assert_array_equal(upper, [2.0, 3.0])
    assert not (lower.flags.writeable or upper.flags.writeable)
    again = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), method=method,
                            bounds=[[-2.0, 2.0], [None, 3]])
    assert M._PREPARED[key][0] is lower
    assert (again.nit, again.nfev) == (first.nit, first.nfev)
    np.testing.assert_array_equal(again.x, first.x)
    with pytest.raises(TypeError, match="bounds must be real numbers"):
        numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), method=method,
                        bounds=[(-2.0 + 0j, 2.0), (None, 3)])
    other = numopt.minimize(rosen_fg, x0, args=(1.0, 100.0), method=method,
                            bounds=[(-2.0, 0.5), (None, 3)])
    assert other.x[0] <= 0.5


# --- the front door answers odd input as scipy does ---------------------------------------

@pytest.mark.parametrize("method", ["BFGS", "CG", "L-BFGS-B", "Nelder-Mead"])
def test_objective_returning_one_element_array_is_a_scalar(method):
    def f(x):
        return np.array([np.sum((x - 1.5) ** 2)])   # shape (1,), as scipy accepts

    ref = so.minimize(f, [0.0, 0.0], method=method)
    res = numopt.minimize(f, [0.0, 0.0], method=method)
    assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-7)
    assert type(res.fun) is float


def test_objective_returning_a_vector_or_a_string_raises():
    msg = "The user-provided objective function must return a scalar value."
    for minimize in (so.minimize, numopt.minimize):
        with pytest.raises(ValueError, match=msg):
            minimize(lambda x: x, np.array([1.0, 1.0]), method="BFGS")
    with pytest.raises(TypeError, match="real scalar value; it returned str '1.0'"):
        numopt.minimize(lambda x: "1.0", [1.0, 2.0], method="BFGS")


@pytest.mark.parametrize("method", ["BFGS", "CG", "L-BFGS-B", "Nelder-Mead"])
def test_keyword_only_new_style_callback(method):
    """scipy's test: the only parameter is named intermediate_result (here keyword-only),
    so it is called with intermediate_result=OptimizeResult(x, fun)."""
    def run(minimize):
        seen = []

        def callback(*, intermediate_result):
            assert intermediate_result.fun == so.rosen(intermediate_result.x)
            seen.append(intermediate_result.x.copy())
            if len(seen) == 3:
                raise StopIteration

        res = minimize(so.rosen, [1.1] * 3, method=method, callback=callback)
        return res, seen

    (res, ours), (ref, theirs) = run(numopt.minimize), run(so.minimize)
    assert res.status == ref.status == 99 and res.nit == ref.nit
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-7)


@pytest.mark.parametrize("method", ["BFGS", "CG", "Nelder-Mead", "L-BFGS-B"])
@pytest.mark.parametrize("maxiter", [3.5, np.inf, 10 ** 20])
def test_maxiter_non_integer_or_unlimited_like_scipy(method, maxiter):
    opts = {"maxiter": maxiter}
    ref = so.minimize(so.rosen, [1.3, 0.7, 0.8], method=method, options=opts)
    res = numopt.minimize(so.rosen, [1.3, 0.7, 0.8], method=method, options=opts)
    assert (res.nit, res.status) == (ref.nit, ref.status)
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-5)


@pytest.mark.parametrize("method", ["BFGS", "CG", "Nelder-Mead", "L-BFGS-B"])
@pytest.mark.parametrize("maxiter,exc", [("5", TypeError), (True, TypeError), (np.nan, ValueError),
                                         ([5], TypeError)])
def test_maxiter_that_is_not_a_number_raises_naming_it(method, maxiter, exc):
    with pytest.raises(exc, match="maxiter"):
        numopt.minimize(so.rosen, [1.3, 0.7], method=method, options={"maxiter": maxiter})


@pytest.mark.parametrize("method", ["BFGS", "CG"])
def test_bounds_are_validated_for_every_method_as_scipy(method):
    """scipy checks bounds before it warns that the method ignores them."""
    for bounds, exc, msg in ((so.Bounds([1, 2], [3, 4]), ValueError, "The number of bounds"),
                             ([(3, 1), (0, 1), (0, 1)], ValueError, "An upper bound is less"),
                             ([(0.0,), (0.0,), (0.0,)], ValueError, r"bounds\[0\]")):
        with pytest.raises(exc, match=msg), pytest.warns(RuntimeWarning, match="cannot handle"):
            numopt.minimize(so.rosen, [1.0, 2.0, 3.0], method=method, bounds=bounds)


@pytest.mark.parametrize("method", ["BFGS", "CG", "L-BFGS-B", "Nelder-Mead"])
def test_objective_that_writes_into_x_sees_a_copy(method):
    """scipy's test_x_overwritten_user_function: the objective works in place on x."""
    def fquad(x):
        x -= np.arange(x.size)
        x *= x
        return np.sum(x)

    x0 = np.ones(5) * 1.5
    ref = so.minimize(fquad, x0, method=method)
    res = numopt.minimize(fquad, x0, method=method)
    np.testing.assert_allclose(res.x, ref.x, atol=1e-6)
    assert (res.nit, res.nfev) == (ref.nit, ref.nfev)
    np.testing.assert_array_equal(x0, 1.5)


def test_bfgs_nan_at_x0_reports_that_nan():
    ref = so.minimize(lambda x: np.nan, [1.0], method="BFGS")
    for fun in (lambda x: np.nan, njit(lambda x: np.nan)):
        res = numopt.minimize(fun, [1.0], method="BFGS")
        assert np.isnan(res.fun) and np.isnan(ref.fun)   # the value really evaluated
        assert res.status == 5 and not res.success
        np.testing.assert_array_equal(res.x, [1.0])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_bfgs_nonfinite_mid_run_is_status_5_at_the_best_point(bad):
    """NaN and +inf end the same way: status 5 at the best finite point evaluated (a trial
    point of the line search, better than scipy's last iterate)."""
    seen = []

    def f(x):
        value = float(np.sum((x - 3.0) ** 2)) if x[0] < 2.5 else bad
        seen.append((value, x.copy()))
        return value

    def g(x):
        return 2.0 * (x - 3.0)

    ref = so.minimize(f, [0.0, 0.0], jac=g, method="BFGS")
    seen.clear()
    for fun in (f,):
        res = numopt.minimize(fun, [0.0, 0.0], jac=g, method="BFGS")
        assert res.status == 5 and not res.success
        best, x_best = min((t for t in seen if np.isfinite(t[0])), key=lambda t: t[0])
        assert res.fun == best and np.isfinite(res.fun)
        np.testing.assert_array_equal(res.x, x_best)
        np.testing.assert_array_equal(res.jac, g(x_best))
        assert res.fun <= ref.fun or not np.isfinite(ref.fun)


def test_bfgs_inverse_hessian_update_keeps_a_badly_scaled_problem():
    """f = 1e50 (x - 1)^2: the first update must replace H = I by about 1/(2e50); the
    expanded O(n^2) update would leave rounding errors of H's size (scipy's factored
    form, and numopt's for such updates, do not)."""
    scale = 1e50
    kw = dict(jac=lambda x: np.array([scale * (x[0] - 1)]), method="BFGS",
              options={"gtol": scale * 1e-8})
    ref = so.minimize(lambda x: scale * (x[0] - 1) ** 2, [-1.0], **kw)
    res = numopt.minimize(lambda x: scale * (x[0] - 1) ** 2, [-1.0], **kw)
    assert res.success and (res.nit, res.nfev) == (ref.nit, ref.nfev)
    np.testing.assert_allclose(res.x, [1.0])
    np.testing.assert_allclose(res.hess_inv, ref.hess_inv, rtol=1e-10)


def test_result_beyond_the_range_of_a_float16_x0_stays_float64():
    """The best point is 1e5, beyond float16's 65504: x is returned in float64 (the cast
    would say inf) and the message says so."""
    f = lambda x: ((x[0] - 1e5) * 1e-3) ** 2   # noqa: E731
    res = numopt.minimize(f, np.zeros(1, np.float16), method="BFGS")
    assert res.success and res.x.dtype == np.float64
    np.testing.assert_allclose(res.x, [1e5], rtol=1e-6)
    assert "float64" in res.message
    small = numopt.minimize(lambda x: (x[0] - 3.0) ** 2, np.zeros(1, np.float16))
    assert small.x.dtype == np.float16


@pytest.mark.parametrize("method", ["BFGS", "CG"])
def test_disp_warns_or_prints_as_scipy(method, capsys):
    opts = {"disp": True, "maxiter": 10}
    with pytest.warns(OptimizeWarning, match="Maximum number of iterations"):
        numopt.minimize(so.rosen, [0.0, 0.0], jac=so.rosen_der, method=method, options=opts)
    capsys.readouterr()
    so.minimize(so.rosen, [0.0, 0.0], jac=so.rosen_der, method=method, options={"disp": True})
    theirs = capsys.readouterr().out
    numopt.minimize(so.rosen, [0.0, 0.0], jac=so.rosen_der, method=method, options={"disp": True})
    ours = capsys.readouterr().out
    assert ours.splitlines()[0] == theirs.splitlines()[0] == "Optimization terminated successfully."
    assert [line.split(":")[0] for line in ours.splitlines()] == \
        [line.split(":")[0] for line in theirs.splitlines()]


@pytest.mark.parametrize("method", ["BFGS", "CG", "Nelder-Mead"])
def test_return_all_gives_scipys_allvecs(method):
    import scipy

    if method == "Nelder-Mead" and tuple(map(int, scipy.__version__.split(".")[:2])) < (1, 17):
        # scipy 1.12 (the floor tested) gives x0 and then one vertex per iteration, one
        # entry more than 1.17, whose behaviour numopt follows.
        pytest.skip("Nelder-Mead's allvecs changed length between scipy 1.12 and 1.17")
    jac = None if method == "Nelder-Mead" else so.rosen_der
    ref = so.minimize(so.rosen, [1.3, 0.7, 0.8], jac=jac, method=method,
                      options={"return_all": True})
    res = numopt.minimize(so.rosen, [1.3, 0.7, 0.8], jac=jac, method=method,
                          options={"return_all": True})
    # x0, then one iterate per iteration (Nelder-Mead's nit counts from 1, as scipy's)
    assert len(res.allvecs) == len(ref.allvecs) == ref.nit + (method != "Nelder-Mead")
    np.testing.assert_allclose(np.array(res.allvecs), np.array(ref.allvecs), rtol=1e-7)


# -- issue 9: non-finite values and options that are not numbers ------------------------
def _trap(x, c, s):
    """|x - c|^2, but ``s`` (NaN or +-inf) past the middle of the way to c (in x[0])."""
    if x[0] > 0.5 * c[0]:
        return s
    return float(np.sum((x - c) ** 2))


def _trap_grad(x, c, s):
    return 2.0 * (x - c)


_trap_njit = njit(lambda x, c, s: s if x[0] > 0.5 * c[0] else np.sum((x - c) ** 2))
_trap_grad_njit = njit(lambda x, c, s: 2.0 * (x - c))


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "LBFGS", "adam"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("compiled", [False, True])
def test_nonfinite_mid_run_is_status_5_at_the_best_finite_point(method, bad, compiled):
    """API.md 5 for every method: NaN, +inf or -inf on the way to the minimum (which lies
    where the objective is not finite) ends the run with status 5, success False, a
    finite point no worse than x0 and its real value. scipy's own answers differ: its
    BFGS, CG and L-BFGS-B may return -inf, its L-BFGS-B and Nelder-Mead claim success
    after +inf."""
    c, x0 = np.array([2.0, -1.0]), np.array([0.5, 0.5])
    seen = []

    def f(x, c, s):
        value = _trap(x, c, s)
        seen.append(value)
        return value

    fun, jac = (_trap_njit, _trap_grad_njit) if compiled else (f, _trap_grad)
    if method == "Nelder-Mead":
        jac = None
    options = {"lr": 0.05} if method == "adam" else None
    res = numopt.minimize(fun, x0, args=(c, bad), method=method, jac=jac, options=options)
    assert (res.status, res.success) == (5, False), res.message
    assert "NaN or infinity" in res.message
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    assert res.fun == _trap(res.x, c, bad) <= _trap(x0, c, bad)
    if not compiled:
        assert any(not np.isfinite(v) for v in seen)   # the case is not vacuous
        if method != "adam":   # adam's result is its last iterate (documented)
            assert res.fun == min(v for v in seen if np.isfinite(v))


def test_bfgs_minus_inf_mid_run_where_scipy_returns_minus_inf():
    """scipy's BFGS takes a -inf value as the lowest there is and returns its point."""
    c, x0 = np.array([2.0, -1.0]), np.array([0.5, 0.5])
    ref = so.minimize(_trap, x0, args=(c, -np.inf), jac=_trap_grad, method="BFGS")
    assert ref.fun == -np.inf
    res = numopt.minimize(_trap, x0, args=(c, -np.inf), jac=_trap_grad, method="BFGS")
    assert res.status == 5 and np.isfinite(res.fun) and res.fun == _trap(res.x, c, -np.inf)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "LBFGS", "adam"])
@pytest.mark.parametrize("options", [5, "maxiter", [("maxiter", 5)]])
def test_options_that_are_not_a_dict_raise(method, options):
    with pytest.raises(TypeError, match="options must be a dict"):
        numopt.minimize(so.rosen, [1.3, 0.7], method=method, options=options)
    with pytest.raises(TypeError, match="options must be a dict"):
        numopt.minimize_batch(lambda X: np.sum(X ** 2, axis=1), np.ones((2, 2)),
                              method=method, options=options)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "LBFGS", "adam"])
@pytest.mark.parametrize("tol,exc", [("abc", TypeError), ([1e-3], TypeError), (True, TypeError),
                                     (np.nan, ValueError), (1j, TypeError)])
def test_tol_that_is_not_a_number_raises_naming_it(method, tol, exc):
    """scipy turns a string tol into numpy's 'could not convert' and runs a NaN one to a
    "success" at x0 (every test against NaN is false)."""
    with pytest.raises(exc, match="'tol'"):
        numopt.minimize(so.rosen, [1.3, 0.7], method=method, tol=tol)
    with pytest.raises(exc, match="'tol'"):
        numopt.minimize_batch(lambda X: np.sum(X ** 2, axis=1), np.ones((2, 2)),
                              method=method, tol=tol)


@pytest.mark.parametrize("method,names", [
    ("BFGS", ("gtol", "norm", "xrtol", "c1", "c2")), ("CG", ("gtol", "norm", "c1", "c2")),
    ("L-BFGS-B", ("gtol", "ftol")), ("Nelder-Mead", ("xatol", "fatol")),
    ("LBFGS", ("tolerance_grad", "tolerance_change", "lr")), ("adam", ("gtol", "lr"))])
def test_real_options_that_are_not_numbers_raise_naming_them(method, names):
    for name in names:
        with pytest.raises(TypeError, match=name):
            numopt.minimize(so.rosen, [1.3, 0.7], method=method, options={name: "abc"})
        with pytest.raises((TypeError, ValueError), match=name):
            numopt.minimize(so.rosen, [1.3, 0.7], method=method, options={name: [1e-3]})


def test_real_option_reader():
    from numopt._minimize._registry import real_option

    assert real_option(1, "gtol", "BFGS") == 1.0 and type(real_option(1, "g", "m")) is float
    assert real_option(np.float32(0.5), "g", "m") == 0.5
    assert real_option(np.array(2.0), "g", "m") == 2.0
    assert real_option(np.inf, "g", "m") == np.inf
    assert np.isnan(real_option(np.nan, "g", "m", nan=True))
    for bad in ("1e-3", None, [1.0], np.ones(1), True, 1j):
        with pytest.raises(TypeError, match="option 'g' of m must be a real number"):
            real_option(bad, "g", "m")
    with pytest.raises(ValueError, match="option 'g' of m must be a number, got NaN"):
        real_option(float("nan"), "g", "m")
