"""The wolfe2 state machine takes scipy's steps: same trial steps, same end, same count.

Reference: scipy's ``scalar_search_wolfe2`` (``scipy.optimize._linesearch``), run on the
same Python functions, with the derivative returned as a NumPy float as scipy's
``line_search_wolfe2`` gives it. Both sides evaluate the same function at the same
points, so any difference comes from the search's own arithmetic. The sequences are
compared bit for bit: this needs ``np.dot`` to compute ``_cubicmin``'s 2x2 system with a
fused multiply-add per row, as OpenBLAS does on x86-64 with FMA (checked by
``BLAS_FUSED``; elsewhere the comparison is to 1e-12 relative).
"""
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
from numba import njit
from scipy.optimize import rosen, rosen_der
from scipy.optimize._linesearch import _cubicmin as scipy_cubicmin
from scipy.optimize._linesearch import _quadmin as scipy_quadmin
from scipy.optimize._linesearch import scalar_search_wolfe2

from tests.reference.line_search_functions import (_mt1_compiled, mt1, mt2, mt3, mt456,
                                                 quadratic, quartic)
from numopt._minimize import _wolfe2 as L
from numopt._minimize._wolfe2 import (CHECK, CONVERGENCE, ERROR_C1_C2, FG, TASK_MESSAGES,
                                      W2_SIZE, WARNING_AMAX, WARNING_MAXITER,
                                      WARNING_ROUNDING, WARNING_ZOOM, _drive, fma,
                                      has_step, wolfe2_check, wolfe2_start, wolfe2_step)


def _exact_fma(a, b, c):
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def _blas_fused():
    rng = np.random.default_rng(7)
    for _ in range(200):
        m, v = rng.standard_normal((2, 2)), rng.standard_normal(2)
        r = np.dot(m, v)
        if any(r[i] != _exact_fma(m[i, 0], v[0], m[i, 1] * v[1]) for i in range(2)):
            return False
    return True


BLAS_FUSED = _blas_fused()


def assert_same_steps(ours, theirs):
    assert len(ours) == len(theirs), (ours, theirs)
    if BLAS_FUSED:
        assert [float(a) for a in ours] == [float(a) for a in theirs]
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


# --- test functions: phi(alpha) -> (value, derivative) ------------------------------------

def wiggly(freq):
    # many local minima along the ray: the zoom's cubic steps get exercised
    return lambda a: (-a + 0.3 * math.sin(freq * a), -1.0 + 0.3 * freq * math.cos(freq * a))


def rosen_ray(x0, p):
    def fg(a):
        x = x0 + a * p
        return float(rosen(x)), float(np.dot(rosen_der(x), p))
    return fg


def _rosen_rays():
    rng = np.random.default_rng(0)
    rays = []
    for n in (2, 5):
        for k in range(3):
            x0 = rng.uniform(-2.0, 2.0, n)
            g = rosen_der(x0)
            rays.append((f"rosen{n}-sd{k}", rosen_ray(x0, -g)))
            rays.append((f"rosen{n}-scaled{k}", rosen_ray(x0, -1e-3 * g)))
    return rays


FUNCTIONS = (
    [("mt1", mt1()), ("mt2", mt2()), ("mt3", mt3()), ("mt4", mt456(0.001, 0.001)),
     ("mt5", mt456(0.01, 0.001)), ("mt6", mt456(0.001, 0.01))]
    + [(f"quad-h{h:g}-g{g0:g}", quadratic(h, g0)) for h in (1e-3, 1.0, 1e3) for g0 in (-1.0, -1e-6, -1e6)]
    + [(f"quartic-c{c:g}-s{s:g}", quartic(c, s)) for c in (0.5, 3.0) for s in (-0.1, 0.4)]
    + [(f"wiggly{w:g}", wiggly(w)) for w in (5.0, 40.0)]
    + _rosen_rays()
)

EXTRA = {
    "none": None,
    "far": lambda a, phi: a > 0.7,      # rejects the short steps: the search goes on
    "near": lambda a, phi: a < 0.3,
    "never": lambda a, phi: False,
}


# --- the two sides ----------------------------------------------------------------------------

def scipy_search(fg, old_phi0=None, c1=1e-4, c2=0.9, amax=None, extra=None, maxiter=10):
    """(phi evaluation points, scipy's return tuple, the extra condition's calls)."""
    evals, checks = [], []

    def phi(a):
        evals.append(a)
        return fg(a)[0]

    def derphi(a):
        return np.float64(fg(a)[1])

    def extra2(a, phi_a):
        checks.append(a)
        return extra(a, phi_a)

    f0, g0 = fg(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ret = scalar_search_wolfe2(phi, derphi, f0, old_phi0, np.float64(g0), c1, c2, amax,
                                   None if extra is None else extra2, maxiter)
    return evals, ret, checks


def numopt_search(fg, old_phi0=None, c1=1e-4, c2=0.9, amax=None, extra=None, maxiter=10):
    evals, checks = [], []

    def traced(a):
        evals.append(a)
        return fg(a)

    def extra2(a, phi_a):
        checks.append(a)
        return extra(a, phi_a)

    f0, g0 = fg(0.0)
    stp, phi, derphi, task, nfev = _drive(traced, f0, g0, old_phi0, c1, c2, amax,
                                          None if extra is None else extra2, maxiter)
    assert nfev == len(evals)
    return evals, (stp, phi, derphi, task), checks


def same(ours, theirs):
    """Tuples equal element by element, NaN equal to NaN."""
    return len(ours) == len(theirs) and all(
        a == b or (a != a and b is not None and b != b) for a, b in zip(ours, theirs))


def assert_same_search(fg, **kw):
    s_evals, (s_alpha, s_phi, s_phi0, s_derphi), s_checks = scipy_search(fg, **kw)
    evals, (stp, phi, derphi, task), checks = numopt_search(fg, **kw)
    assert_same_steps(evals, s_evals)
    assert_same_steps(checks, s_checks)
    f0 = fg(0.0)[0]
    assert task != FG and task != CHECK
    if task == CONVERGENCE:
        assert same((stp, phi, derphi), (s_alpha, s_phi, s_derphi))
        assert s_phi0 == f0
    elif task == WARNING_MAXITER:
        # scipy returns the last step with its value, and no derivative
        assert same((stp, phi), (s_alpha, s_phi)) and s_derphi is None
    elif task == WARNING_ZOOM:
        assert s_alpha is None and s_phi is None and s_derphi is None
    else:
        assert task in (WARNING_ROUNDING, WARNING_AMAX)
        assert s_alpha is None and s_phi == f0 and s_derphi is None
    assert has_step(task) == (s_alpha is not None)
    if evals:
        assert stp == evals[-1]   # a terminal step is the one evaluated last
    return evals, stp, phi, derphi, task


# --- matches scipy --------------------------------------------------------------------------

GRID = [(old, c1c2, amax, extra)
        for old in (None, 1e-3, 10.0)
        for c1c2 in ((1e-4, 0.9), (1e-4, 0.4), (0.1, 0.2))
        for amax in (None, 3.0)
        for extra in ("none", "far", "near")]


@pytest.mark.parametrize("name,fg", FUNCTIONS, ids=[name for name, _ in FUNCTIONS])
def test_steps_match_scipy(name, fg):
    f0, g0 = fg(0.0)
    tasks = set()
    for old, (c1, c2), amax, extra in GRID:
        _, stp, phi, derphi, task = assert_same_search(
            fg, old_phi0=None if old is None else f0 + old, c1=c1, c2=c2, amax=amax,
            extra=EXTRA[extra])
        tasks.add(task)
        if task == CONVERGENCE:   # the strong Wolfe conditions hold where it stops
            assert phi <= f0 + c1 * stp * g0 and abs(derphi) <= -c2 * g0
    assert tasks & {CONVERGENCE, WARNING_MAXITER, WARNING_ZOOM}


@pytest.mark.parametrize("maxiter", [0, 1, 3])
@pytest.mark.parametrize("extra", ["none", "never"])
def test_maxiter_and_a_rejecting_extra_condition(maxiter, extra):
    for _, fg in FUNCTIONS[::4]:
        assert_same_search(fg, extra=EXTRA[extra], maxiter=maxiter)


def test_first_step_from_old_phi0():
    fg = quadratic(1.0, -1.0)
    # scipy's min(1, 1.01 * 2 * (phi0 - old_phi0) / derphi0), 1 when negative or None
    for old, first in ((None, 1.0), (0.1, 0.202), (-0.1, 1.0), (10.0, 1.0), (np.nan, 1.0)):
        evals = assert_same_search(fg, old_phi0=old)[0]
        assert evals[0] == first
    assert assert_same_search(fg, old_phi0=0.1, amax=0.1)[0][0] == 0.1   # then min(., amax)


# --- failures -------------------------------------------------------------------------------

def test_doubling_runs_out_and_returns_the_last_step():
    # A line never satisfies the curvature condition: 10 doublings, then scipy returns
    # the last step anyway (its callers take it).
    line = lambda a: (-a, -1.0)  # noqa: E731
    evals, stp, phi, _, task = assert_same_search(line)
    assert task == WARNING_MAXITER and has_step(task)
    assert evals == [2.0 ** k for k in range(11)] and (stp, phi) == (1024.0, -1024.0)


def test_amax_stalls_the_bracket_and_zoom_fails():
    line = lambda a: (-a, -1.0)  # noqa: E731
    evals, _, _, _, task = assert_same_search(line, amax=3.0)
    assert task == WARNING_ZOOM and not has_step(task)
    assert evals == [1.0, 2.0, 3.0] + [3.0] * 12   # phi(3) >= phi(3): zoom on an empty bracket


def test_zoom_gives_up_after_eleven_trials():
    liar = lambda a: (a * a, -1.0)  # noqa: E731 - the derivative says descend, phi rises
    evals, _, _, _, task = assert_same_search(liar)
    assert task == WARNING_ZOOM and len(evals) == 1 + 11


def test_zero_step_is_a_rounding_failure():
    evals, stp, _, _, task = assert_same_search(lambda a: (-a, -1.0), amax=0.0)
    assert task == WARNING_ROUNDING and evals == [0.0]


def test_step_beyond_amax_fails():
    # only reachable with amax < 0 (alpha0 = 0 > amax): scipy evaluates there first
    evals, stp, _, _, task = assert_same_search(lambda a: (-a, -1.0), amax=-1.0)
    assert task == WARNING_AMAX and evals == [-1.0]
    assert TASK_MESSAGES[task].startswith("The line search algorithm could not find")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_values_are_followed_like_scipy(bad):
    def wall(a):
        return (-a, -1.0) if a <= 0.5 else (bad, bad)
    for extra in ("none", "far"):
        for amax in (None, 3.0):
            assert_same_search(wall, extra=EXTRA[extra], amax=amax)


def test_ascent_direction_is_not_checked_like_scipy():
    # scipy's wolfe2 does not test derphi0 < 0; BFGS/CG call it when dcsrch refused one
    for g0 in (1.0, 0.0):
        assert_same_search(lambda a, g0=g0: (a * a + g0 * a, 2 * a + g0))


@pytest.mark.parametrize("c1,c2", [(0.0, 0.5), (0.5, 0.4), (0.1, 1.0), (-1e-4, 0.9), (np.nan, 0.9)])
def test_bad_c1_c2_is_an_error_like_scipys_valueerror(c1, c2):
    ls = np.full(W2_SIZE, np.nan)
    stp, task = wolfe2_start(ls, 0.0, -1.0, np.nan, c1, c2)
    assert task == ERROR_C1_C2 and not has_step(task)
    assert wolfe2_step(ls, 1.0, 1.0) == (stp, task)   # terminal: nothing moves
    with pytest.raises(ValueError) as info:
        scalar_search_wolfe2(lambda a: 0.0, lambda a: -1.0, 0.0, None, -1.0, c1, c2)
    assert str(info.value) == TASK_MESSAGES[ERROR_C1_C2]


# --- the protocol -----------------------------------------------------------------------------

def test_terminal_states_stay_put_and_check_is_only_taken_when_asked():
    fg = mt1()
    ls = np.empty(W2_SIZE)
    stp, task = wolfe2_start(ls, *fg(0.0), np.nan, 1e-4, 0.9, np.inf, 10, True)
    assert task == FG
    assert wolfe2_check(ls, True) == (stp, FG)    # not a CHECK state: ignored
    while task == FG:
        stp, task = wolfe2_step(ls, *fg(stp))
    assert task == CHECK
    assert wolfe2_step(ls, 9.0, 9.0) == (stp, CHECK)   # waiting for the verdict: ignored
    stp2, task = wolfe2_check(ls, True)
    assert (stp2, task) == (stp, CONVERGENCE)
    before = ls.copy()
    assert wolfe2_step(ls, -1.0, 1.0) == (stp, CONVERGENCE)
    assert wolfe2_check(ls, False) == (stp, CONVERGENCE)
    np.testing.assert_array_equal(ls, before)
    assert (ls[L._STP], ls[L._PHI], ls[L._DERPHI]) == (stp, *fg(stp))


def test_task_codes_and_messages():
    codes = [v for k, v in vars(L).items()
             if k in ("FG", "CONVERGENCE", "CHECK") or k.startswith(("WARNING_", "ERROR_"))]
    assert sorted(codes) == sorted(TASK_MESSAGES) == list(range(len(codes)))
    assert [c for c in codes if has_step(c)] == [CONVERGENCE, WARNING_MAXITER]


# --- scipy's interpolation helpers, under np.errstate(raise) ------------------------------------

def _ours(fn, *args):
    x, ok = fn(*args)
    return x if ok else None


def test_quadmin_and_cubicmin_match_scipy():
    rng = np.random.default_rng(1)
    n = 0
    for _ in range(3000):
        a, b, c = rng.uniform(-2, 2, 3) * 10.0 ** rng.integers(-8, 3)
        fa, fb, fc, fpa = rng.standard_normal(4) * 10.0 ** rng.integers(-5, 5, 4)
        if rng.random() < 0.1:
            b = a           # degenerate brackets: division by zero
        if rng.random() < 0.1:
            c = b
        args = tuple(map(np.float64, (a, fa, fpa, b, fb)))
        s = scipy_quadmin(*args)
        assert _ours(L._quadmin, *args) == s
        args3 = args + (np.float64(c), np.float64(fc))
        s3 = scipy_cubicmin(*args3)
        ours3 = _ours(L._cubicmin, *args3, 2.0, 3.0)
        if BLAS_FUSED:
            assert ours3 == s3, args3
        else:
            assert (ours3 is None) == (s3 is None)
        n += s3 is None
    assert 100 < n < 2900   # both outcomes are exercised


@pytest.mark.parametrize("case", [
    (1.0, 0.0, -1.0, 1e200, 1.0, 2e200, 2.0),     # (db dc)^2 overflows
    (0.0, 0.0, -1.0, 1.0, np.inf, 2.0, 1.0),      # an infinite value
    (0.0, 0.0, -1.0, 1.0, np.nan, 2.0, 1.0),      # a NaN value
    (0.0, 0.0, -1.0, 1.0, 1.0, 1.0, 1.0),         # c == b
    (0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 4.0),          # a parabola: A == 0
    (0.0, 0.0, -1.0, 1.0, -2.0, 2.0, -4.0),       # a line: no minimum
    (0.0, 0.0, -1e300, 1.0, 1e300, 2.0, 0.0),     # overflow in the right-hand side
])
def test_degenerate_interpolations(case):
    args = tuple(map(np.float64, case))
    assert _ours(L._cubicmin, *args, 2.0, 3.0) == scipy_cubicmin(*args)
    assert _ours(L._quadmin, *args[:5]) == scipy_quadmin(*args[:5])


def test_fma_is_fused():
    rng = np.random.default_rng(2)
    for a, b, c in rng.standard_normal((2000, 3)) * 10.0 ** rng.integers(-10, 10, (2000, 3)):
        assert fma(a, b, c) == _exact_fma(a, b, c)
    assert fma(1e308, 10.0, -np.inf) == -np.inf
    assert math.isnan(fma(np.inf, 0.0, 1.0))
    assert fma(1e200, 1e200, -1e308) == np.inf
    # the product is not rounded: (1 + 2^-30)^2 - 1 keeps its 2^-60 term
    e = 2.0 ** -30
    assert fma(1 + e, 1 + e, -1.0) == 2 * e + e * e != (1 + e) * (1 + e) - 1.0


# --- compiled drivers ---------------------------------------------------------------------------

@njit(cache=True, error_model="numpy")
def _compiled_search(ls, trace):
    f, g = _mt1_compiled(0.0)
    stp, task = wolfe2_start(ls, f, g, f + 0.01, 1e-4, 0.9, np.inf, 10, True)
    n = 0
    while task == FG or task == CHECK:
        if task == CHECK:
            stp, task = wolfe2_check(ls, stp > 1.5)
        else:
            trace[n] = stp
            n += 1
            f, g = _mt1_compiled(stp)
            stp, task = wolfe2_step(ls, f, g)
    return stp, task, n


def test_compiled_driver_takes_the_python_drivers_steps():
    evals, (stp, _, _, task), _ = numopt_search(_mt1_compiled.py_func, old_phi0=_mt1_compiled(0.0)[0] + 0.01,
                                                extra=lambda a, phi: a > 1.5)
    trace = np.empty(100)
    c_stp, c_task, n = _compiled_search(np.empty(W2_SIZE), trace)
    assert (c_stp, c_task, n) == (stp, task, len(evals))
    np.testing.assert_array_equal(trace[:n], evals)


def test_compiled_functions_are_disk_cached():
    # The state-machine entry points (wolfe2_start/step/check) are register_jitable and
    # compiled into their callers; the scalar helpers are cached njit functions.
    for fn in (fma, L._cubicmin, L._quadmin):
        assert type(fn._cache).__name__ == "FunctionCache", fn
        assert fn.targetoptions.get("fastmath", False) is False
        assert fn.targetoptions["error_model"] == "numpy"


# numba.cuda and the device functions, set by the test (see test_linesearch.py).
cuda = _cuda_phi = _cuda_start = _cuda_step = _cuda_check = None


def _cuda_search_kernel(LS, old, out, tasks):
    i = cuda.grid(1)
    if i < LS.shape[0]:
        f, g = _cuda_phi(0.0)
        stp, task = _cuda_start(LS[i], f, g, f + old[i], 1e-4, 0.9, np.inf, 10, True)
        while task == FG or task == CHECK:
            if task == CHECK:
                stp, task = _cuda_check(LS[i], stp > 1.5)
            else:
                f, g = _cuda_phi(stp)
                stp, task = _cuda_step(LS[i], f, g)
        out[i] = stp
        tasks[i] = task


@pytest.mark.cuda
def test_compiles_as_cuda_device_code(monkeypatch):
    """One search per CUDA thread, ``cuda.jit(device=True)(wolfe2_step.py_func)``: CPU's steps."""
    from numba import cuda as module

    monkeypatch.setitem(globals(), "cuda", module)
    for name, fn in (("_cuda_phi", _mt1_compiled), ("_cuda_start", wolfe2_start),
                     ("_cuda_step", wolfe2_step), ("_cuda_check", wolfe2_check)):
        monkeypatch.setitem(globals(), name, module.jit(device=True)(getattr(fn, "py_func", fn)))
    old = np.array([1e-3, 1e-2, 1e-1, 1.0])
    d_out, d_tasks = module.to_device(np.zeros(4)), module.to_device(np.zeros(4, np.int64))
    module.jit(_cuda_search_kernel)[2, 2](module.to_device(np.zeros((4, W2_SIZE))),
                                          module.to_device(old), d_out, d_tasks)
    f0 = _mt1_compiled(0.0)[0]
    expected = [numopt_search(_mt1_compiled.py_func, old_phi0=f0 + o, extra=lambda a, phi: a > 1.5)[1]
                for o in old]
    np.testing.assert_array_equal(d_out.copy_to_host(), [e[0] for e in expected])
    assert list(d_tasks.copy_to_host()) == [e[3] for e in expected]


# --- the fallback in BFGS (CG's is tested in test_cg.py) -----------------------------------------

@pytest.mark.parametrize("label", ["jennrich_sampson", "brown_dennis"])
def test_bfgs_falls_back_to_wolfe2_as_scipy_does(label, monkeypatch):
    """Runs where scipy's BFGS needs its second line search: numopt's counts are scipy's."""
    import scipy.optimize as so
    import scipy.optimize._optimize as scipy_optimize

    import numopt
    from numopt.testing import problems as P

    prob = P.get(label)
    calls = []
    wolfe2 = scipy_optimize.line_search_wolfe2
    monkeypatch.setattr(scipy_optimize, "line_search_wolfe2",
                        lambda *a, **k: calls.append(1) or wolfe2(*a, **k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = so.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="BFGS", options={"gtol": 1e-10})
    res = numopt.minimize(prob.f, prob.x0.copy(), jac=prob.jac, method="BFGS", options={"gtol": 1e-10})
    assert calls
    assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-12)


def test_bfgs_takes_the_last_step_of_an_exhausted_wolfe2_like_scipy():
    import scipy.optimize as so

    import numopt

    f = lambda x: float(-x.sum())  # noqa: E731 - unbounded: both searches run out
    g = lambda x: -np.ones_like(x)  # noqa: E731
    for maxiter in (1, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = so.minimize(f, np.zeros(2), jac=g, method="BFGS", options={"maxiter": maxiter})
        res = numopt.minimize(f, np.zeros(2), jac=g, method="BFGS", options={"maxiter": maxiter})
        counts = (maxiter, 1 + 111 * maxiter, 1)
        assert (res.nit, res.nfev, res.status) == (ref.nit, ref.nfev, ref.status) == counts
        np.testing.assert_allclose(res.x, ref.x, rtol=1e-12)


def test_bfgs_bad_c1_c2_raise_scipys_error():
    import numopt

    with pytest.raises(ValueError, match="'c1' and 'c2' do not satisfy"):
        numopt.minimize(lambda x: float(x @ x), [1.0], method="BFGS", options={"c1": 0.95})
