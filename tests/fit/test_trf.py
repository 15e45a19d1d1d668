"""Trust Region Reflective (numopt._fit._trf) against scipy 1.17's
``least_squares(method="trf", tr_solver="exact")``.

With the linear loss the iterates are scipy's to rounding, most of them bit for bit: the
state machine follows scipy's order of operations and its numpy kernels (BLAS ``ddot``
and ``dgemv`` with scipy's memory layouts, numpy's pairwise sums, the same LAPACK
``dgesdd``). Held here: x to ``rtol = 1e-10``, the same ``nfev``, ``njev``, ``status``
and ``active_mask``.

Robust losses: numpy evaluates ``t**-0.5``, ``t**-1.5``, ``log1p`` and ``arctan`` of
arrays with its SIMD (SVML) kernels, which differ from libm's (numba's) by a rounding
unit in 1 to 8% of the values. With a callable Jacobian that stays at ``rtol = 1e-10``
in x. With differences, a one-ulp change of x changes the Jacobian by ``ulp / h``
(about 1e-8 relative), and the runs part at the level of the termination tolerances:
x is held to 1e-5, the cost to 1e-8, the status exactly, and ``nfev`` to a few.
"""
import numpy as np
import pytest
from numba import njit
from scipy.optimize import least_squares

from numopt._fit import _trf
from numopt._fit._drive_trf import solve_trf, solve_trf_compiled
from numopt._minimize import _workspace as W

from .lsq_problems import PROBLEMS

IDS = [p.name for p in PROBLEMS]
BY_NAME = {p.name: p for p in PROBLEMS}
LOSSES = ("soft_l1", "huber", "cauchy", "arctan")


def _close(a, b, rtol=1e-10):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(1.0, float(np.abs(b).max())) if b.size else 1.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def _compare(ours, ref, rtol=1e-10):
    _close(ours["x"], ref.x, rtol)
    _close(ours["fun"], ref.fun, max(rtol, 1e-9))
    _close(ours["jac"], ref.jac, 1e-6)
    _close(ours["grad"], ref.grad, 1e-6)
    # (an absolute floor for the zero-residual problems, whose last cost is rounding)
    assert ours["cost"] == pytest.approx(ref.cost, rel=max(rtol, 1e-10), abs=1e-20)
    assert ours["optimality"] == pytest.approx(ref.optimality, rel=1e-5, abs=1e-12)
    assert ours["nfev"] == ref.nfev
    assert ours["njev"] == ref.njev
    assert ours["status"] == ref.status
    assert ours["message"] == ref.message
    np.testing.assert_array_equal(ours["active_mask"], ref.active_mask)


def _run(prob, **kw):
    ref = least_squares(prob.fun, prob.x0, method="trf", **kw)
    ours = solve_trf(prob.fun, prob.x0, **kw)
    return ours, ref


def _jac(prob, kind):
    return prob.jac if kind == "callable" else kind


# --- without bounds ------------------------------------------------------------------

@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
@pytest.mark.parametrize("prob", PROBLEMS, ids=IDS)
def test_unbounded_matches_least_squares(prob, jac):
    ours, ref = _run(prob, jac=_jac(prob, jac))
    _compare(ours, ref)
    assert ours["active_mask"].dtype.kind == "i" and not ours["active_mask"].any()


@pytest.mark.parametrize("prob", PROBLEMS, ids=IDS)
def test_diff_step_matches_least_squares(prob):
    for method in ("2-point", "3-point"):
        ours, ref = _run(prob, jac=method, diff_step=1e-5)
        _compare(ours, ref)


@pytest.mark.parametrize("name", ["rosenbrock", "bard", "box_3d", "osborne1", "exp_decay",
                                  "brown_badly_scaled"])
@pytest.mark.parametrize("x_scale", ["jac", "array", "scalar"])
@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
def test_x_scale_matches_least_squares(name, x_scale, jac):
    prob = BY_NAME[name]
    n = len(prob.x0)
    scale = {"jac": "jac", "array": np.linspace(0.5, 4.0, n), "scalar": 0.1}[x_scale]
    ours, ref = _run(prob, jac=_jac(prob, jac), x_scale=scale)
    _compare(ours, ref)


@pytest.mark.parametrize("name", ["bard", "osborne1", "exp_decay", "box_3d",
                                  "kowalik_osborne"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("f_scale", [1.0, 0.1])
def test_robust_loss_callable_jac_matches_least_squares(name, loss, f_scale):
    prob = BY_NAME[name]
    ours, ref = _run(prob, jac=prob.jac, loss=loss, f_scale=f_scale)
    _compare(ours, ref)


@pytest.mark.parametrize("name", ["bard", "osborne1", "exp_decay", "box_3d",
                                  "kowalik_osborne"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("f_scale", [1.0, 0.1])
def test_robust_loss_differences_match_least_squares_to_tolerance(name, loss, f_scale):
    """Differences amplify the last-bit differences of numpy's SIMD powers (module
    docstring): same status and solution to the termination tolerances. osborne1 with
    soft_l1 and f_scale = 1 takes 22 evaluations where scipy takes 24."""
    prob = BY_NAME[name]
    ours, ref = _run(prob, jac="2-point", loss=loss, f_scale=f_scale)
    _close(ours["x"], ref.x, 1e-5)
    assert ours["cost"] == pytest.approx(ref.cost, rel=1e-8)
    assert ours["status"] == ref.status
    assert abs(ours["nfev"] - ref.nfev) <= 2
    assert abs(ours["njev"] - ref.njev) <= 2


def test_loss_cost_and_scaling_match_scipy():
    """rho and its derivatives against scipy's ``construct_loss_function``, and the
    loss-scaled Jacobian and gradient scipy returns, after one Jacobian."""
    prob = BY_NAME["bard"]
    for loss in LOSSES:
        for f_scale in (1.0, 0.05):
            ref = least_squares(prob.fun, prob.x0, jac=prob.jac, method="trf", loss=loss,
                                f_scale=f_scale, max_nfev=1)
            ours = solve_trf(prob.fun, prob.x0, jac=prob.jac, loss=loss, f_scale=f_scale,
                             max_nfev=1)
            _compare(ours, ref, rtol=1e-13)
            assert ref.nfev == 1 and ref.status == 0


# --- with bounds ---------------------------------------------------------------------

def _cut_bounds(prob):
    """Bounds halfway between x0 and scipy's unbounded solution: active there."""
    x0 = np.asarray(prob.x0, dtype=float)
    xs = least_squares(prob.fun, x0, method="trf").x
    lb, ub = np.full(x0.size, -np.inf), np.full(x0.size, np.inf)
    mid = x0 + 0.5 * (xs - x0)
    up, down = xs > x0, xs < x0
    ub[up] = np.maximum(mid[up], x0[up] + 0.1)
    lb[down] = np.minimum(mid[down], x0[down] - 0.1)
    return lb, ub


def _box(prob):
    x0 = np.asarray(prob.x0, dtype=float)
    return x0 - 1.0 - np.abs(x0), x0 + 2.0 + np.abs(x0)


@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
@pytest.mark.parametrize("prob", PROBLEMS, ids=IDS)
def test_active_bounds_match_least_squares(prob, jac):
    ours, ref = _run(prob, jac=_jac(prob, jac), bounds=_cut_bounds(prob))
    _compare(ours, ref)


@pytest.mark.parametrize("jac", ["2-point", "callable"])
@pytest.mark.parametrize("prob", PROBLEMS, ids=IDS)
def test_inactive_box_matches_least_squares(prob, jac):
    ours, ref = _run(prob, jac=_jac(prob, jac), bounds=_box(prob))
    _compare(ours, ref)


@pytest.mark.parametrize("side", ["lower", "upper"])
@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
@pytest.mark.parametrize("prob", PROBLEMS, ids=IDS)
def test_x0_on_a_one_sided_bound_matches_least_squares(prob, jac, side):
    """x0 on its lower (or upper) bounds, moved inside by make_strictly_feasible; the
    differences there are one-sided (scipy's _adjust_scheme_to_bounds)."""
    x0 = np.asarray(prob.x0, dtype=float)
    bounds = (x0, np.inf) if side == "lower" else (-np.inf, x0)
    ours, ref = _run(prob, jac=_jac(prob, jac), bounds=bounds)
    _compare(ours, ref)


@pytest.mark.parametrize("method", ["2-point", "3-point"])
@pytest.mark.parametrize("width", [1e-9, 1e-6, 1e-3])
def test_narrow_bounds_shorten_difference_steps(method, width):
    """Bounds narrower than the difference step: scipy shortens the steps (and for
    3-point may go one-sided or centre them); a wrong step shows in the Jacobian."""
    prob = BY_NAME["bard"]
    x0 = np.array([0.1, 1.0, 2.0])
    lb = x0 - np.array([width, 0.0, 2 * width])
    ub = x0 + np.array([width, 3 * width, np.inf])
    for diff_step in (None, 1e-3):
        ref = least_squares(prob.fun, x0, jac=method, method="trf", bounds=(lb, ub),
                            diff_step=diff_step, max_nfev=1)
        ours = solve_trf(prob.fun, x0, jac=method, bounds=(lb, ub), diff_step=diff_step,
                         max_nfev=1)
        np.testing.assert_array_equal(ours["jac"], ref.jac)
        _compare(ours, ref)


@pytest.mark.parametrize("name", ["bard", "box_3d", "osborne1"])
@pytest.mark.parametrize("loss", LOSSES)
def test_robust_loss_with_bounds_matches_least_squares(name, loss):
    prob = BY_NAME[name]
    ours, ref = _run(prob, jac=prob.jac, bounds=_cut_bounds(prob), loss=loss, f_scale=0.5)
    _compare(ours, ref)


@pytest.mark.parametrize("name", ["bard", "box_3d", "osborne1", "kowalik_osborne"])
@pytest.mark.parametrize("x_scale", ["jac", "array"])
def test_x_scale_with_bounds_matches_least_squares(name, x_scale):
    prob = BY_NAME[name]
    n = len(prob.x0)
    scale = "jac" if x_scale == "jac" else np.linspace(0.5, 4.0, n)
    for jac in ("2-point", prob.jac):
        ours, ref = _run(prob, jac=jac, bounds=_cut_bounds(prob), x_scale=scale)
        _compare(ours, ref)


# --- counts and stopping -------------------------------------------------------------

@pytest.mark.parametrize("name", ["rosenbrock", "box_3d", "osborne1", "wood"])
@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.9])
def test_max_nfev_exhaustion(name, fraction):
    """Stopped mid-run: the iterates there agree to 1e-8, not 1e-10. On Wood without
    bounds they separate by about 1e-10 from the 55th evaluation on (the cube in the
    subproblem's phi' is numpy's SIMD pow, see the module) and meet again at the
    solution."""
    prob = BY_NAME[name]
    for bounds in ((-np.inf, np.inf), _box(prob)):
        for jac in ("2-point", prob.jac):
            full = least_squares(prob.fun, prob.x0, jac=jac, method="trf", bounds=bounds)
            max_nfev = max(1, int(fraction * full.nfev))
            ours, ref = _run(prob, jac=jac, bounds=bounds, max_nfev=max_nfev)
            assert ref.status == 0
            _compare(ours, ref, rtol=1e-8)


def test_default_max_nfev_is_100_n():
    prob = BY_NAME["biggs_exp6"]
    ours, ref = _run(prob, bounds=(np.asarray(prob.x0), np.inf))
    assert ref.nfev == ours["nfev"] == 600 and ours["status"] == ref.status == 0
    _compare(ours, ref)


@pytest.mark.parametrize("opts", [dict(ftol=1e-12, xtol=1e-12, gtol=1e-12),
                                  dict(ftol=1e-3, xtol=1e-15, gtol=1e-15),
                                  dict(ftol=1e-15, xtol=1e-3, gtol=1e-15),
                                  dict(ftol=None, xtol=1e-10, gtol=None)])
@pytest.mark.parametrize("name", ["bard", "kowalik_osborne", "osborne1"])
def test_tolerances_match_least_squares(name, opts):
    prob = BY_NAME[name]
    for bounds in ((-np.inf, np.inf), _cut_bounds(prob)):
        ours, ref = _run(prob, jac="2-point", bounds=bounds, **opts)
        _compare(ours, ref)


def test_gtol_at_the_solution_stops_at_once():
    prob = BY_NAME["rosenbrock"]
    ref = least_squares(prob.fun, [1.0, 1.0], jac=prob.jac, method="trf")
    ours = solve_trf(prob.fun, [1.0, 1.0], jac=prob.jac)
    _compare(ours, ref)
    assert ours["status"] == 1 and ours["nfev"] == 1 and ours["njev"] == 1


def test_nonfinite_trial_shrinks_the_radius():
    """A trial point where the residuals are NaN is rejected with the radius cut to a
    quarter of the step, as scipy does (the evaluation counts)."""
    t = np.linspace(0.5, 3.0, 8)
    y = np.log(2.0 * t)

    def fun(x):
        return np.log(x[0] * t) - y + 0.0 * x[1]

    for x0 in ([40.0, 1.0], [0.05, 1.0]):
        ref = least_squares(fun, x0, method="trf")
        ours = solve_trf(fun, x0)
        _compare(ours, ref)


def test_fewer_residuals_than_variables():
    def fun(x):
        return np.array([x[0] ** 2 + x[1] ** 2 + x[2] - 1.0])

    for bounds in ((-np.inf, np.inf), ([0.1, -np.inf, 0.0], [np.inf, 0.5, 0.2])):
        ref = least_squares(fun, [1.0, 0.3, 0.1], method="trf", bounds=bounds)
        ours = solve_trf(fun, [1.0, 0.3, 0.1], bounds=bounds)
        _compare(ours, ref)


def test_args_are_passed():
    prob = BY_NAME["exp_decay"]

    def fun(x, a, b):
        return a * prob.fun(x) + b

    ref = least_squares(fun, prob.x0, method="trf", args=(2.0, 0.1))
    ours = solve_trf(fun, prob.x0, args=(2.0, 0.1))
    _compare(ours, ref)


# --- the compiled driver -------------------------------------------------------------

_T = np.linspace(0.0, 4.0, 12)
_Y = 2.5 * np.exp(-1.3 * _T) + 0.5 + 0.02 * np.sin(7.0 * _T)
_Y[3] += 1.0     # an outlier, for the robust losses


@njit
def _decay(x, t, y):
    return x[0] * np.exp(-x[1] * t) + x[2] - y


@njit
def _decay_jac(x, t, y):
    J = np.empty((t.size, 3))
    e = np.exp(-x[1] * t)
    J[:, 0] = e
    J[:, 1] = -x[0] * t * e
    J[:, 2] = 1.0
    return J


@njit
def _rosen(x):
    return np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


@njit
def _rosen_jac(x):
    return np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]])


_COMPILED_CASES = [
    (_decay, _decay_jac, [1.0, 1.0, 0.0], (_T, _Y), dict()),
    (_decay, _decay_jac, [1.0, 1.0, 0.0], (_T, _Y), dict(loss="soft_l1", f_scale=0.1)),
    (_decay, _decay_jac, [1.0, 2.0, 0.0], (_T, _Y),
     dict(bounds=([0.0, 1.5, -np.inf], [np.inf, 3.0, 0.4]), loss="huber")),
    (_decay, _decay_jac, [1.0, 1.0, 0.0], (_T, _Y), dict(x_scale="jac", loss="cauchy")),
    (_rosen, _rosen_jac, [-1.2, 1.0], (), dict(bounds=([-2.0, -np.inf], [0.5, np.inf]))),
    (_rosen, _rosen_jac, [-1.2, 1.0], (), dict(x_scale=[1.0, 3.0], loss="arctan")),
]


@pytest.mark.parametrize("case", range(len(_COMPILED_CASES)))
@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
def test_compiled_driver_equals_python_driver(case, jac):
    fun, jacf, x0, args, kw = _COMPILED_CASES[case]
    j = jacf if jac == "callable" else jac
    a = solve_trf(fun, x0, jac=j, args=args, **kw)
    b = solve_trf_compiled(fun, x0, jac=j, args=args, **kw)
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert a[k] == b[k], k
    ref = least_squares(fun, x0, jac=j, args=args, method="trf", **kw)
    assert a["status"] == ref.status
    _close(a["x"], ref.x, 1e-10 if (jac == "callable" or "loss" not in kw) else 1e-5)


def test_a_second_model_adds_no_compilation():
    """The compiled loop takes the model as first-class functions: one overload per
    type of ``args``, whatever the model."""
    from numopt._fit._drive import args_type_of, compiled_loop
    from numopt._fit._drive_trf import TRF, _loops

    @njit
    def other(x, t, y):
        return x[0] * np.exp(-x[1] * t) - y + x[2] * t

    solve_trf_compiled(_decay, [1.0, 1.0, 0.0], args=(_T, _Y))
    key, args_type = args_type_of((_T, _Y))
    disp = compiled_loop(_loops, TRF.loop, args_type, key)[0]
    before = len(disp.overloads)
    out = solve_trf_compiled(other, [1.0, 1.0, 0.0], args=(_T, _Y))
    assert len(disp.overloads) == before == 1
    ref = least_squares(other, [1.0, 1.0, 0.0], args=(_T, _Y), method="trf")
    _compare(out, ref)


# --- the workspace -------------------------------------------------------------------

def _check_spans(spans, length):
    at = 0
    for name, start, stop in spans:
        assert start == at, f"slot {name} starts at {start}, after a slot ending at {at}"
        assert stop >= start, f"slot {name} has negative length"
        at = stop
    assert at == length, f"the slots end at {at}, the workspace has length {length}"


@pytest.mark.parametrize("n", range(1, 11))
def test_slots_tile_the_workspace(n):
    for m in sorted({1, n, n + 3, 3 * n}):
        nws, niws = _trf.sizes(n, m)
        spans = _trf.LAYOUT.spans(n, m)
        _check_spans(spans["ws"], nws)
        _check_spans(spans["iws"], niws)


def test_shares_lm_header_slots():
    """One driver loop serves both machines: the same task codes and header slots."""
    from numopt._fit import _lm

    assert (_trf.M, _trf.JAC) == (_lm.M, _lm.JAC)
    assert (_trf.RESIDUALS, _trf.JACOBIAN, _trf.DONE) == (_lm.RESIDUALS, _lm.JACOBIAN,
                                                         _lm.DONE)
    assert {r.code for r in _trf.REASONS}.isdisjoint({r.code for r in _lm.REASONS})


def test_requests_and_counts_through_the_state_machine():
    """Driven by hand: the first request is r(x0), then a Jacobian (JACOBIAN for a
    callable); DONE leaves x, r and J at the header's offsets."""
    from numopt._fit._drive_trf import TRF, trf_options
    _init, _step = TRF.init, TRF.step

    prob = BY_NAME["box_3d"]
    n, m = 3, 10
    fopts, iopts = trf_options(n, prob.jac)
    ws = np.zeros(_trf.sizes(n, m)[0])
    iws = np.zeros(_trf.sizes(n, m)[1], dtype=np.int64)
    _init(ws, iws, np.asarray(prob.x0, float), m, fopts, iopts)
    tasks = []
    while iws[W.TASK] != W.DONE:
        tasks.append(int(iws[W.TASK]))
        x = ws[iws[W.X]:iws[W.X] + n].copy()
        if iws[W.TASK] == _trf.JACOBIAN:
            ws[iws[_trf.JAC]:iws[_trf.JAC] + m * n] = prob.jac(x).T.ravel()
        else:
            ws[iws[W.G]:iws[W.G] + m] = prob.fun(x)
        _step(ws, iws)
    assert tasks[:2] == [_trf.RESIDUALS, _trf.JACOBIAN]
    ref = least_squares(prob.fun, prob.x0, jac=prob.jac, method="trf")
    assert tasks.count(_trf.RESIDUALS) == ref.nfev == iws[W.NFEV]
    assert tasks.count(_trf.JACOBIAN) == ref.njev == iws[_trf.NJEV]
    _close(ws[iws[W.XR]:iws[W.XR] + n], ref.x)
    _close(ws[iws[W.GR]:iws[W.GR] + m], ref.fun)
    assert iws[W.REASON] == _trf.REASON_BASE + ref.status
