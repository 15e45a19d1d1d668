"""The preparation every front door shares (numopt/_minimize/_prepare.py), on its own:
the contract the fitting front doors will rely on, without going through minimize."""
import warnings

import numpy as np
import pytest
from scipy.optimize import Bounds, OptimizeWarning

from numopt._minimize import _finite_diff
from numopt._minimize import _prepare as P
from numopt._minimize import _registry


def _method(name):
    return _registry.get(name)


# -- x0 ------------------------------------------------------------------------------------
def test_prepare_x0_reads_x0_as_scipy_does():
    x = np.array([1.0, 2.0])
    assert P.prepare_x0(x) is x  # a float64 vector goes through untouched
    assert P.prepare_x0([1, 2]).dtype == np.float64
    assert P.prepare_x0(np.float32(3.0)).dtype == np.float32
    assert P.prepare_x0(5).shape == (1,)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("n", [2, 40])  # below and above the small-x0 test's size
def test_prepare_x0_refuses_non_finite_values_of_every_float_dtype(dtype, bad, n):
    x = np.ones(n, dtype=dtype)
    x[-1] = bad
    with pytest.raises(ValueError, match="x0 must be finite"):
        P.prepare_x0(x)


def test_prepare_x0_errors():
    with pytest.raises(ValueError, match="one dimension"):
        P.prepare_x0(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="real floating point"):
        P.prepare_x0(np.array([1 + 1j]))


def test_prepare_rows_checks_each_row_and_keeps_the_result_dtype():
    X0, dtype = P.prepare_rows(np.ones((3, 2), dtype=np.float32))
    assert X0.dtype == np.float64 and X0.flags.c_contiguous and dtype == np.float32
    assert P.prepare_rows([[1, 2], [3, 4]])[1] == np.float64
    with pytest.raises(ValueError, match=r"shape \(B, n\)"):
        P.prepare_rows(np.zeros(3))
    with pytest.raises(ValueError, match="x0 must be finite"):
        P.prepare_rows([[1.0, 2.0], [np.nan, 0.0]])


# -- bounds ---------------------------------------------------------------------------------
def test_bounds_arrays_pairs_none_and_a_single_pair():
    lower, upper = P.bounds_arrays([(0, None), (None, 2.5)], 2)
    np.testing.assert_array_equal(lower, [0.0, -np.inf])
    np.testing.assert_array_equal(upper, [np.inf, 2.5])
    assert lower.flags.writeable and upper.flags.writeable
    lower, upper = P.bounds_arrays([(-1, 1)], 3)  # one pair for every variable
    np.testing.assert_array_equal(lower, [-1.0] * 3)
    assert P.bounds_arrays(None, 3) == (None, None)


def test_bounds_arrays_copies_a_bounds_object():
    lb, ub = np.array([0.0, 1.0]), np.array([2.0, 3.0])
    lower, upper = P.bounds_arrays(Bounds(lb, ub), 2)
    lower[0] = 9.0
    assert lb[0] == 0.0 and upper is not ub


def test_bounds_arrays_messages_are_scipys():
    with pytest.raises(ValueError, match="upper bound is less than"):
        P.bounds_arrays([(1, 0), (0, 1)], 2)
    with pytest.raises(ValueError, match="not compatible with the length"):
        P.bounds_arrays([(0, 1)] * 3, 2)
    with pytest.raises(ValueError, match=r"bounds\[1\] is 3"):
        P.bounds_arrays([(0, 1), 3], 2)
    with pytest.raises(TypeError, match="real numbers"):
        P.bounds_arrays([("a", 1), (0, 1)], 2)


def test_a_nan_bound_is_no_bound_except_where_the_method_says():
    lower, upper = P.bounds_arrays([(np.nan, 1.0), (0.0, np.nan)], 2, _method("L-BFGS-B"))
    np.testing.assert_array_equal(lower, [-np.inf, 0.0])
    np.testing.assert_array_equal(upper, [1.0, np.inf])
    with pytest.raises(ValueError, match="must not be NaN"):
        P.bounds_arrays([(np.nan, 1.0), (0.0, 1.0)], 2, _method("Nelder-Mead"))


# -- options ---------------------------------------------------------------------------------
def test_merged_options_defaults_options_and_tol():
    spec = _method("L-BFGS-B")
    merged = P.merged_options(spec, None, None)
    assert merged == dict(spec.defaults)
    merged = P.merged_options(spec, {"maxcor": 5, "ftol": 1e-3}, 1e-7)
    assert merged["maxcor"] == 5
    assert merged["ftol"] == 1e-3  # given: tol does not override it
    assert all(merged[name] == 1e-7 for name in spec.tol if name != "ftol")


def test_merged_options_warns_on_unknown_names_at_the_callers_line():
    with pytest.warns(OptimizeWarning, match="Unknown solver options: nope") as record:
        P.merged_options(_method("BFGS"), {"nope": 1}, None, stacklevel=2)
    assert record[0].filename == __file__


def test_options_must_be_a_mapping():
    with pytest.raises(TypeError, match="options must be a dict"):
        P.options_dict([("maxiter", 3)])
    with pytest.raises(ValueError):
        P.merged_options(_method("BFGS"), None, float("nan"))


# -- scipy's warnings -------------------------------------------------------------------------
def _unused(spec, name, **what):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        P.warn_unused(spec, name, **what)
    return [str(w.message) for w in record]


def test_warn_unused_names_the_method_as_written():
    nm = _method("Nelder-Mead")
    assert _unused(nm, "nelder-mead", jac=lambda x: x) == [
        "Method nelder-mead does not use gradient information (jac)."]
    assert _unused(_method("BFGS"), "bfgs", bounds=[(0, 1)], hess=1, hessp=1,
                   constraints={"type": "eq"}) == [
        "Method bfgs cannot handle constraints.", "Method bfgs cannot handle bounds.",
        "Method bfgs does not use Hessian information (hess).",
        "Method bfgs does not use Hessian-vector product information (hessp)."]
    assert _unused(_method("L-BFGS-B"), "L-BFGS-B", bounds=[(0, 1)], constraints=()) == []


# -- gradient and finite differences --------------------------------------------------------
def test_gradient_kinds():
    bfgs, nm = _method("BFGS"), _method("Nelder-Mead")
    f = lambda x: 0.0  # noqa: E731
    assert P.gradient(bfgs, f, None) == (None, "fd")
    assert P.gradient(bfgs, f, True) == (True, "tuple")
    assert P.gradient(bfgs, f, f) == (f, "jac")
    assert P.gradient(nm, f, f) == (None, "value")  # not read by a method without gradients
    assert P.gradient(nm, f, True) == (True, "value-tuple")


def test_finite_differences_plan_and_evaluation_count():
    spec = _method("L-BFGS-B")
    opts = P.merged_options(spec, None, None)
    assert P.finite_differences("jac", spec, None, opts, 3) == (None, None)
    assert P.evaluations(None, 3) == 1
    fd, steps = P.finite_differences("fd", spec, "3-point", opts, 3, np.zeros(3), np.ones(3))
    assert fd.method == "3-point" and P.evaluations(fd, 3) == 7
    assert steps.shape == (3, 3)
    np.testing.assert_array_equal(steps[1], 0.0)
    np.testing.assert_array_equal(steps[2], 1.0)
    fd, steps = P.finite_differences("fd", spec, None, opts, 2, np.zeros((4, 2)),
                                     np.ones((4, 2)), rows=4)
    assert fd.mode == _finite_diff.ABS and steps.shape == (4, 3, 2)
    np.testing.assert_array_equal(steps[:, 0], spec.defaults["eps"])


# -- a batch's arguments --------------------------------------------------------------------
def test_per_problem_args_are_sliced_and_shared_ones_kept():
    A, shared, scalar = np.arange(6.0).reshape(3, 2), np.arange(2.0), 1.5
    mask = P.per_problem((A, shared, scalar), 3)
    assert mask == (True, False, False)
    row = P.slice_args((A, shared, scalar), mask, 1)
    np.testing.assert_array_equal(row[0], [2.0, 3.0])
    assert row[1] is shared and row[2] == scalar
