"""The Moré–Thuente state machine takes scipy's steps: same trial steps, same end, same count.

Reference: scipy's ``DCSRCH`` (``scipy.optimize._dcsrch``) and ``scalar_search_wolfe1``,
run on the same Python functions. Both sides evaluate the same function at the same
points, so any difference comes from the line search's own arithmetic; the sequences are
compared to 1e-14 relative (in practice they agree bit for bit).
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numba import njit
from scipy.optimize import rosen, rosen_der
from scipy.optimize._dcsrch import DCSRCH
from scipy.optimize._linesearch import scalar_search_wolfe1

from tests.reference.line_search_functions import (_mt1_compiled, mt1, mt2, mt3, mt456,
                                                 quadratic, quartic)
from numopt._minimize import _linesearch as L
from numopt._minimize._linesearch import (CONVERGENCE, FG, LS_SIZE, TASK_MESSAGES, _drive,
                                          dcsrch_start, dcsrch_step, is_error, is_warning)

RTOL = 1e-14


# --- test functions: phi(alpha) -> (value, derivative) ------------------------------------

# Moré & Thuente (1994), section 5: function, (ftol, gtol) used in the paper.
PAPER = {
    "mt1": (mt1(), 1e-3, 0.1),
    "mt2": (mt2(), 1e-1, 0.1),
    "mt3": (mt3(), 1e-1, 0.1),
    "mt4": (mt456(0.001, 0.001), 1e-3, 1e-3),
    "mt5": (mt456(0.01, 0.001), 1e-3, 1e-3),
    "mt6": (mt456(0.001, 0.01), 1e-3, 1e-3),
}


def rosen_ray(x0, p):
    def fg(a):
        x = x0 + a * p
        return rosen(x), float(np.dot(rosen_der(x), p))
    return fg


def _rosen_rays():
    rng = np.random.default_rng(0)
    rays = []
    for n in (2, 5, 10):
        for k in range(3):
            x0 = rng.uniform(-2.0, 2.0, n)
            g = rosen_der(x0)
            rays.append((f"rosen{n}-sd{k}", rosen_ray(x0, -g)))
            # a descent direction of another scale, as BFGS produces
            a = rng.standard_normal((n, n))
            m = a @ a.T / n + 0.1 * np.eye(n)
            rays.append((f"rosen{n}-qn{k}", rosen_ray(x0, -1e-3 * (m @ g))))
    return rays


SMOOTH = (
    [(f"quad-h{h:g}-g{g0:g}", quadratic(h, g0)) for h in (1e-3, 1.0, 1e3) for g0 in (-1.0, -1e-6, -1e6)]
    + [(f"quartic-c{c:g}-s{s:g}", quartic(c, s)) for c in (0.5, 3.0) for s in (-0.1, 0.0, 0.4)]
    + _rosen_rays()
)


# --- scipy's side -----------------------------------------------------------------------

def scipy_search(fg, stp0, ftol, gtol, xtol, stpmin, stpmax, maxiter=100):
    """scipy's search: (trial steps evaluated, returned stp or None, phi1, task string)."""
    evals = []

    def phi(a):
        evals.append(a)
        return fg(a)[0]

    f0, g0 = fg(0.0)
    search = DCSRCH(phi, lambda a: fg(a)[1], ftol, gtol, xtol, stpmin, stpmax)
    with np.errstate(all="ignore"):
        stp, phi1, _, task = search(stp0, phi0=f0, derphi0=g0, maxiter=maxiter)
    return evals, stp, phi1, task.decode()


def numopt_search(fg, stp0, ftol, gtol, xtol, stpmin, stpmax, maxiter=100):
    """numopt's search through ``_drive``: (trial steps, stp, phi, derphi, task, nfev)."""
    evals = []

    def traced(a):
        evals.append(a)
        return fg(a)

    f0, g0 = fg(0.0)
    stp, phi, derphi, task, nfev = _drive(traced, f0, g0, stp0, ftol, gtol, xtol, stpmin, stpmax, maxiter)
    return evals, stp, phi, derphi, task, nfev


def assert_same_search(fg, stp0, ftol, gtol, xtol, stpmin, stpmax, maxiter=100):
    s_evals, s_stp, s_phi, s_task = scipy_search(fg, stp0, ftol, gtol, xtol, stpmin, stpmax, maxiter)
    evals, stp, phi, derphi, task, nfev = numopt_search(fg, stp0, ftol, gtol, xtol, stpmin, stpmax, maxiter)
    assert TASK_MESSAGES[task] == s_task
    assert nfev == len(evals) == len(s_evals)
    np.testing.assert_allclose(evals, s_evals, rtol=RTOL, atol=0)
    # The final step is where f and g were last evaluated (the initial step if nowhere).
    assert stp == (evals[-1] if evals else stp0)
    if task == CONVERGENCE:
        np.testing.assert_allclose(stp, s_stp, rtol=RTOL, atol=0)
    else:
        assert s_stp is None
    np.testing.assert_allclose(phi, s_phi, rtol=RTOL, atol=0)
    return evals, stp, phi, derphi, task


def assert_strong_wolfe(fg, stp, phi, derphi, ftol, gtol):
    f0, g0 = fg(0.0)
    assert (phi, derphi) == fg(stp)
    assert phi <= f0 + ftol * stp * g0
    assert abs(derphi) <= gtol * abs(g0)


# --- matches scipy ------------------------------------------------------------------------

@pytest.mark.parametrize("stp0", [1e-3, 1e-1, 1e1, 1e3])
@pytest.mark.parametrize("name", sorted(PAPER))
def test_more_thuente_functions_match_scipy(name, stp0):
    fg, ftol, gtol = PAPER[name]
    for ftol_, gtol_, xtol in ((ftol, gtol, 1e-14), (1e-4, 0.9, 1e-14), (ftol, gtol, 0.1)):
        evals, stp, phi, derphi, task = assert_same_search(fg, stp0, ftol_, gtol_, xtol, 0.0, 1e10)
        if task == CONVERGENCE:
            assert_strong_wolfe(fg, stp, phi, derphi, ftol_, gtol_)
        else:
            assert is_warning(task)


# Moré & Thuente (1994), Tables 1-6: evaluations and final step (2 digits) per initial step
# 1e-3, 1e-1, 1e1, 1e3, with the paper's tolerances. numopt and scipy reproduce every count.
PAPER_RESULTS = {
    "mt1": ((6, 1.4), (3, 1.4), (1, 10.0), (4, 37.0)),
    "mt2": ((12, 1.6), (8, 1.6), (8, 1.6), (11, 1.6)),
    "mt3": ((12, 1.0), (12, 1.0), (10, 1.0), (13, 1.0)),
    "mt4": ((4, 0.085), (1, 0.10), (3, 0.35), (4, 0.83)),
    "mt5": ((6, 0.075), (3, 0.078), (7, 0.073), (8, 0.076)),
    "mt6": ((13, 0.93), (11, 0.93), (8, 0.92), (11, 0.92)),
}


@pytest.mark.parametrize("name", sorted(PAPER))
def test_more_thuente_tables_are_reproduced(name):
    fg, ftol, gtol = PAPER[name]
    for stp0, (paper_nfev, paper_stp) in zip((1e-3, 1e-1, 1e1, 1e3), PAPER_RESULTS[name]):
        _, stp, phi, derphi, task, nfev = numopt_search(fg, stp0, ftol, gtol, 1e-14, 0.0, 1e10)
        assert task == CONVERGENCE
        assert nfev == paper_nfev, (stp0, nfev)
        assert float(f"{stp:.2g}") == paper_stp, (stp0, stp)
        assert_strong_wolfe(fg, stp, phi, derphi, ftol, gtol)


@pytest.mark.parametrize("stp0", [1e-3, 1.0, 10.0])
@pytest.mark.parametrize("name,fg", SMOOTH, ids=[name for name, _ in SMOOTH])
def test_smooth_functions_match_scipy(name, fg, stp0):
    evals, stp, phi, derphi, task = assert_same_search(fg, stp0, 1e-4, 0.9, 1e-14, 1e-8, 50.0)
    if task == CONVERGENCE:
        assert_strong_wolfe(fg, stp, phi, derphi, 1e-4, 0.9)


@pytest.mark.parametrize("old_phi0", [None, 0.5, 10.0])
@pytest.mark.parametrize("name,fg", SMOOTH[::3], ids=[name for name, _ in SMOOTH[::3]])
def test_scalar_search_wolfe1_parity(name, fg, old_phi0):
    """The public scipy entry point: same (alpha, phi, phi0) and the same evaluations."""
    f0, g0 = fg(0.0)
    if old_phi0 is not None:
        old_phi0 = f0 + old_phi0
    calls = []

    def phi(a):
        calls.append(a)
        return fg(a)[0]

    alpha, phi1, phi0 = scalar_search_wolfe1(phi, lambda a: fg(a)[1], f0, old_phi0, g0)

    # scipy's initial step, then numopt's search from it.
    alpha1 = 1.0
    if old_phi0 is not None and g0 != 0:
        alpha1 = min(1.0, 1.01 * 2 * (f0 - old_phi0) / g0)
        if alpha1 < 0:
            alpha1 = 1.0
    evals = []

    def traced(a):
        evals.append(a)
        return fg(a)

    stp, phi_, _, task, nfev = _drive(traced, f0, g0, alpha1)
    np.testing.assert_allclose(evals, calls, rtol=RTOL, atol=0)
    assert nfev == len(calls)
    assert phi0 == f0
    np.testing.assert_allclose(phi_, phi1, rtol=RTOL, atol=0)
    assert (alpha is None) == (task != CONVERGENCE)
    if alpha is not None:
        np.testing.assert_allclose(stp, alpha, rtol=RTOL, atol=0)


# --- warnings and errors --------------------------------------------------------------------

ERROR_CASES = [
    # (f0, g0, stp, ftol, gtol, xtol, stpmin, stpmax): the last failing check wins
    ("stp<stpmin", (0.0, -1.0, 1e-9, 1e-4, 0.9, 1e-14, 1e-8, 50.0), L.ERROR_STP_LT_STPMIN),
    ("stp>stpmax", (0.0, -1.0, 51.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0), L.ERROR_STP_GT_STPMAX),
    ("g0=0", (0.0, 0.0, 1.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0), L.ERROR_INITIAL_G),
    ("g0>0", (0.0, 2.0, 1.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0), L.ERROR_INITIAL_G),
    ("g0>0 and stp>stpmax", (0.0, 2.0, 99.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0), L.ERROR_INITIAL_G),
    ("ftol<0", (0.0, -1.0, 1.0, -1e-4, 0.9, 1e-14, 1e-8, 50.0), L.ERROR_FTOL),
    ("gtol<0", (0.0, -1.0, 1.0, 1e-4, -0.9, 1e-14, 1e-8, 50.0), L.ERROR_GTOL),
    ("xtol<0", (0.0, -1.0, 1.0, 1e-4, 0.9, -1.0, 1e-8, 50.0), L.ERROR_XTOL),
    ("stpmin<0", (0.0, -1.0, 1.0, 1e-4, 0.9, 1e-14, -1.0, 50.0), L.ERROR_STPMIN),
    ("stpmax<stpmin", (0.0, -1.0, 1.0, 1e-4, 0.9, 1e-14, 2.0, 1.0), L.ERROR_STPMAX),
    ("everything wrong", (0.0, 1.0, -5.0, -1.0, -1.0, -1.0, -1.0, -2.0), L.ERROR_STPMAX),
]


@pytest.mark.parametrize("args,code", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_invalid_input_is_an_error_like_scipy(args, code):
    f0, g0, stp0, ftol, gtol, xtol, stpmin, stpmax = args
    ls = np.full(LS_SIZE, np.nan)
    stp, task = dcsrch_start(ls, f0, g0, stp0, ftol, gtol, xtol, stpmin, stpmax)
    assert task == code and is_error(task) and not is_warning(task)
    assert stp == stp0
    assert dcsrch_step(ls, 1.0, 1.0) == (stp0, code)   # terminal: nothing moves

    def never(a):
        raise AssertionError("evaluated after an input error")

    search = DCSRCH(never, never, ftol, gtol, xtol, stpmin, stpmax)
    s_stp, _, _, s_task = search(stp0, phi0=f0, derphi0=g0)
    assert s_stp is None and s_task.decode() == TASK_MESSAGES[code]


def test_stpmax_reached():
    # A linear function never satisfies the curvature condition: the steps grow to stpmax.
    line = lambda a: (-a, -1.0)  # noqa: E731
    evals, stp, _, _, task = assert_same_search(line, 1.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0)
    assert task == L.WARNING_STPMAX and stp == 50.0
    assert evals == [1.0, 5.0, 21.0, 50.0]   # stp + 4 (stp - stx), then clipped


def test_stpmin_reached():
    # Steeply curved: the first trial overshoots, the cubic step falls below stpmin.
    steep = quadratic(1e13, -1.0)
    evals, stp, _, _, task = assert_same_search(steep, 1.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0)
    assert task == L.WARNING_STPMIN and stp == 1e-8
    assert_same_search(steep, 1e-8, 1e-4, 0.9, 1e-14, 1e-8, 50.0)


def test_xtol_satisfied():
    # A loose xtol stops mt3's wiggles as soon as the bracket is relatively narrow.
    fg, ftol, gtol = PAPER["mt3"]
    evals, stp, _, _, task = assert_same_search(fg, 1e-3, 1e-4, 1e-3, 0.5, 0.0, 1e10)
    assert task == L.WARNING_XTOL


def test_rounding_errors_prevent_progress():
    # A kink at 1: the bracket around it shrinks until rounding (xtol=0) or xtol stops it.
    kink = lambda a: (abs(a - 1.0), -1.0 if a < 1.0 else 1.0)  # noqa: E731
    evals, stp, _, _, task = assert_same_search(kink, 1.0, 1e-4, 0.9, 0.0, 0.0, 50.0)
    assert task == L.WARNING_ROUNDING and len(evals) == 21
    evals, stp, _, _, task = assert_same_search(kink, 1.0, 1e-4, 0.9, 1e-14, 0.0, 50.0)
    assert task == L.WARNING_XTOL and len(evals) == 20


@pytest.mark.parametrize("maxiter", [0, 1, 2, 5])
def test_maxiter(maxiter):
    liar = lambda a: (a * a, -1.0)  # noqa: E731
    evals, stp, _, _, task = assert_same_search(liar, 1.0, 1e-4, 0.9, 0.0, 0.0, 50.0, maxiter=maxiter)
    assert task == L.WARNING_MAXITER and len(evals) == maxiter


def test_default_maxiter_is_scipys_100():
    liar = lambda a: (a * a, -1.0)  # noqa: E731
    ls = np.empty(LS_SIZE)
    dcsrch_start(ls, 0.0, -1.0, 1.0, 1e-4, 0.9, 0.0, 0.0, 50.0)
    assert ls[L._MAXITER] == 100
    # f and g disagree (g says descend, f rises): the steps shrink geometrically forever.
    evals, _, _, _, task = assert_same_search(liar, 1.0, 1e-4, 0.9, 1e-14, 0.0, 50.0)
    assert task == L.WARNING_MAXITER and len(evals) == 100


@pytest.mark.parametrize("dbad", [np.inf, 1.0])
def test_infinite_value_stops_like_scipy(dbad):
    # Beyond alpha = 0.5 the value is +inf: the cubic step through it is NaN, and scipy's
    # loop stops ("WARN") before evaluating there.
    def wall(a):
        return (np.float64(-a), np.float64(-1.0)) if a <= 0.5 else (np.float64(np.inf), np.float64(dbad))
    evals, stp, phi, _, task = assert_same_search(wall, 1.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0)
    assert task == L.WARNING_NOT_FINITE
    assert stp == 1.0 and evals == [1.0] and phi == np.inf


def test_nan_values_are_followed_like_scipy():
    # NaN compares false everywhere: dcstep takes case 4 and keeps asking for stpmax
    # until maxiter. Not useful, but it is what scipy does, so solvers must check f.
    def wall(a):
        return (np.float64(-a), np.float64(-1.0)) if a <= 0.5 else (np.float64(np.nan), np.float64(np.nan))
    evals, stp, phi, _, task = assert_same_search(wall, 1.0, 1e-4, 0.9, 1e-14, 1e-8, 50.0)
    assert task == L.WARNING_MAXITER and evals[:4] == [1.0, 5.0, 21.0, 50.0] and len(evals) == 100


def test_non_finite_initial_step():
    ls = np.empty(LS_SIZE)
    for stp0 in (np.inf, np.nan):
        assert dcsrch_start(ls, 0.0, -1.0, stp0, 1e-4, 0.9, 1e-14, 0.0, np.inf)[1] == L.WARNING_NOT_FINITE
        s_evals, s_stp, _, s_task = scipy_search(lambda a: (-a, -1.0), stp0, 1e-4, 0.9, 1e-14, 0.0, np.inf)
        assert s_evals == [] and s_stp is None and s_task == "WARN"


def test_task_codes_and_messages():
    codes = [v for k, v in vars(L).items() if k == "FG" or k == "CONVERGENCE" or k.startswith(("WARNING_", "ERROR_"))]
    assert sorted(codes) == sorted(TASK_MESSAGES) == list(range(len(codes)))
    assert not is_warning(FG) and not is_error(FG)
    assert not is_warning(CONVERGENCE) and not is_error(CONVERGENCE)
    assert all(is_warning(c) == TASK_MESSAGES[c].startswith("WARN") for c in TASK_MESSAGES)
    assert all(is_error(c) == TASK_MESSAGES[c].startswith("ERROR") for c in TASK_MESSAGES)


# --- lbfgsb=True: the search of scipy's L-BFGS-B C code ---------------------------------

def _search(fg, stp0, ftol, gtol, xtol, stpmin, stpmax, lbfgsb, maxiter=100):
    """(trial steps, final step, task) of the state machine driven from Python."""
    ls = np.empty(LS_SIZE)
    stp, task = dcsrch_start(ls, *fg(0.0), stp0, ftol, gtol, xtol, stpmin, stpmax, maxiter,
                             lbfgsb)
    evals = []
    while task == FG and len(evals) < 1000:
        evals.append(stp)
        stp, task = dcsrch_step(ls, *fg(stp), lbfgsb)
    return evals, stp, task


@pytest.mark.parametrize("stp0", [1e-3, 1.0, 10.0])
@pytest.mark.parametrize("name,fg", SMOOTH + [(k, v[0]) for k, v in sorted(PAPER.items())],
                         ids=[name for name, _ in SMOOTH] + sorted(PAPER))
def test_lbfgsb_variant_takes_the_same_steps_on_finite_searches(name, fg, stp0):
    """The two copies differ only in what a NaN step or bracket does and in scipy's loop
    checks (see the module's Notes): with L-BFGS-B's tolerances, on searches that stay
    finite and within scipy's 100 evaluations, they take the very same steps."""
    args = (stp0, 1e-3, 0.9, 0.1, 0.0, 1e10)
    assert _search(fg, *args, True) == _search(fg, *args, False)


def test_lbfgsb_variant_has_no_maxiter_nor_finite_step_check():
    fg = PAPER["mt1"][0]
    for maxiter in (0, 1):
        assert _search(fg, 1e-3, 1e-3, 0.1, 1e-14, 0.0, 1e10, False, maxiter)[2] == L.WARNING_MAXITER
        evals, _, task = _search(fg, 1e-3, 1e-3, 0.1, 1e-14, 0.0, 1e10, True, maxiter)
        assert task == CONVERGENCE and len(evals) > 1
    ls = np.empty(LS_SIZE)
    assert dcsrch_start(ls, 0.0, -1.0, np.inf, 1e-3, 0.9, 0.1, 0.0, np.inf, 100, True) == (np.inf, FG)


def test_lbfgsb_variant_safeguards_a_nan_step_with_fmin_fmax():
    # An infinite slope after a decrease: dcstep's secant step is NaN. np.clip keeps it
    # (scipy's loop then stops, WARN); C's fmin(fmax(stp, stpmin), stpmax) makes it stpmin,
    # a step at the bracket's end, so the search falls back to the best step, stx = 1.
    for lbfgsb, expected in ((False, (1.0, L.WARNING_NOT_FINITE)), (True, (1.0, FG))):
        ls = np.empty(LS_SIZE)
        dcsrch_start(ls, 0.0, -1.0, 1.0, 1e-3, 0.9, 0.1, 0.0, 10.0, 100, lbfgsb)
        assert dcsrch_step(ls, -1.0, np.inf, lbfgsb) == expected


def test_c_fmin_fmax_ignore_nan():
    nan = np.nan
    assert L.fmin(nan, 1.0) == L.fmin(1.0, nan) == 1.0
    assert L.fmax(nan, 1.0) == L.fmax(1.0, nan) == 1.0
    assert (L.fmin(2.0, 1.0), L.fmax(2.0, 1.0)) == (1.0, 2.0)
    assert np.isnan(L.fmin(nan, nan)) and np.isnan(L.fmax(nan, nan))
    assert np.isnan(L._pymin(nan, 1.0)) and L._pymin(1.0, nan) == 1.0  # Python's min


# --- the state machine itself -------------------------------------------------------------

def test_terminal_state_is_sticky():
    fg, ftol, gtol = PAPER["mt1"]
    ls = np.empty(LS_SIZE)
    stp, task = dcsrch_start(ls, *fg(0.0), 1e-1, ftol, gtol, 1e-14, 0.0, 1e10)
    while task == FG:
        stp, task = dcsrch_step(ls, *fg(stp))
    assert task == CONVERGENCE
    before = ls.copy()
    assert dcsrch_step(ls, -123.0, 456.0) == (stp, task)
    np.testing.assert_array_equal(ls, before)
    assert (ls[L._STP], ls[L._F], ls[L._G]) == (stp, *fg(stp))


@njit(cache=True, error_model="numpy")
def _compiled_search(ls, stp0, ftol, gtol, trace):
    f, g = _mt1_compiled(0.0)
    stp, task = dcsrch_start(ls, f, g, stp0, ftol, gtol, 1e-14, 0.0, 1e10)
    n = 0
    while task == FG:
        trace[n] = stp
        n += 1
        f, g = _mt1_compiled(stp)
        stp, task = dcsrch_step(ls, f, g)
    return stp, task, n


@njit(cache=True, error_model="numpy")
def _compiled_batch(LS, stp0, ftol, gtol):
    # Interleaved searches, one state row each, advanced in lockstep as a batch driver would.
    out = np.empty(stp0.size)
    tasks = np.empty(stp0.size, np.int64)
    for i in range(stp0.size):
        f, g = _mt1_compiled(0.0)
        out[i], tasks[i] = dcsrch_start(LS[i], f, g, stp0[i], ftol, gtol, 1e-14, 0.0, 1e10)
    for _ in range(100):
        for i in range(stp0.size):
            f, g = _mt1_compiled(out[i])
            out[i], tasks[i] = dcsrch_step(LS[i], f, g)   # finished rows stay put
    return out, tasks


def test_compiled_driver_takes_the_python_drivers_steps():
    stp0s = np.array([1e-3, 1e-1, 1e1, 1e3])
    for stp0 in stp0s:
        evals, stp, _, _, task, nfev = numopt_search(_mt1_compiled.py_func, stp0, 1e-3, 0.1, 1e-14, 0.0, 1e10)
        trace = np.empty(100)
        c_stp, c_task, n = _compiled_search(np.empty(LS_SIZE), stp0, 1e-3, 0.1, trace)
        assert (c_stp, c_task, n) == (stp, task, nfev)
        np.testing.assert_array_equal(trace[:n], evals)
    out, tasks = _compiled_batch(np.empty((4, LS_SIZE)), stp0s, 1e-3, 0.1)
    for stp0, stp, task in zip(stp0s, out, tasks):
        assert (stp, task) == numopt_search(_mt1_compiled.py_func, stp0, 1e-3, 0.1, 1e-14, 0.0, 1e10)[1::3][:2]


def test_compiled_functions_are_disk_cached():
    """The scalar helpers are cached njit functions; the state-machine entry points are
    compiled into the solvers that call them, which load from the disk cache in a fresh
    process (no recompilation)."""
    fn = L.dcstep
    assert type(fn._cache).__name__ == "FunctionCache"
    assert fn.targetoptions.get("fastmath", False) is False
    assert fn.targetoptions["error_model"] == "numpy"
    script = textwrap.dedent("""
        import numpy as np
        import numopt
        from numopt._minimize import _drivers
        numopt.minimize(lambda x: float(x @ x), [1.0, 2.0], jac=lambda x: 2 * x)
        step = _drivers._jitted[next(f for f in _drivers._jitted if f.__name__ == "step")]
        print(len(step.stats.cache_hits), len(step.stats.cache_misses))
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    for _ in range(2):   # the first run may have to write the cache
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    hits, misses = map(int, out.stdout.split())
    assert hits == 1 and misses == 0


# numba.cuda and the device functions, set by the test: kernels must reach numba.cuda as
# a module global, which is where the CUDA simulator swaps in its own.
cuda = _cuda_phi = _cuda_start = _cuda_step = None


def _cuda_search_kernel(LS, stp0, out, tasks):
    i = cuda.grid(1)
    if i < LS.shape[0]:
        f, g = _cuda_phi(0.0)
        stp, task = _cuda_start(LS[i], f, g, stp0[i], 1e-3, 0.1, 1e-14, 0.0, 1e10)
        while task == FG:
            f, g = _cuda_phi(stp)
            stp, task = _cuda_step(LS[i], f, g)
        out[i] = stp
        tasks[i] = task


@pytest.mark.cuda
def test_compiles_as_cuda_device_code(monkeypatch):
    """One search per CUDA thread, ``cuda.jit(device=True)(dcsrch_step.py_func)``: CPU's steps."""
    from numba import cuda as module

    # The plain Python functions behind the dispatchers become device functions (under
    # the simulator, a CPU dispatcher cannot take its fake arrays).
    monkeypatch.setitem(globals(), "cuda", module)
    for name, fn in (("_cuda_phi", _mt1_compiled), ("_cuda_start", dcsrch_start), ("_cuda_step", dcsrch_step)):
        monkeypatch.setitem(globals(), name, module.jit(device=True)(getattr(fn, "py_func", fn)))
    stp0 = np.array([1e-3, 1e-1, 1e1, 1e3])
    LS, out, tasks = np.zeros((4, LS_SIZE)), np.zeros(4), np.zeros(4, np.int64)
    d_ls, d_out, d_tasks = module.to_device(LS), module.to_device(out), module.to_device(tasks)
    module.jit(_cuda_search_kernel)[2, 2](d_ls, module.to_device(stp0), d_out, d_tasks)
    expected = [numopt_search(_mt1_compiled.py_func, s, 1e-3, 0.1, 1e-14, 0.0, 1e10)[1::3][:2] for s in stp0]
    np.testing.assert_allclose(d_out.copy_to_host(), [e[0] for e in expected], rtol=1e-14, atol=0)
    assert list(d_tasks.copy_to_host()) == [e[1] for e in expected]
