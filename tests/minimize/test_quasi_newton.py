"""The frame BFGS and CG share (numopt._minimize._quasi_newton): the evaluation wrapper,
its handling of non-finite values, and the layout both methods build on it."""
import warnings

import numpy as np
import pytest
import scipy.optimize as so
from numba import njit

import numopt
from numopt._minimize import _bfgs, _cg
from numopt._minimize import _quasi_newton as Q


def _nan(x):
    return np.nan


def _zero_grad(x):
    return np.zeros_like(x)


_COMPILED = (njit(_nan), njit(_zero_grad))


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "compiled"])
@pytest.mark.parametrize("method", ["BFGS", "CG"])
def test_nan_at_x0_matches_scipy(method, compiled):
    # With a zero gradient scipy makes no step: its result is f(x0) itself, NaN, for
    # BFGS and CG alike (once BFGS reported 0.0 here).
    x0 = np.array([1.0, -2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = so.minimize(_nan, x0, jac=_zero_grad, method=method)
    fun, jac = _COMPILED if compiled else (_nan, _zero_grad)
    res = numopt.minimize(fun, x0, jac=jac, method=method)
    assert np.isnan(ref.fun) and np.isnan(res.fun)
    np.testing.assert_array_equal(res.x, ref.x)
    np.testing.assert_array_equal(res.jac, ref.jac)
    assert (res.nit, res.nfev, res.success) == (ref.nit, ref.nfev, ref.success)
    # scipy's status 3 ("NaN result") is numopt's 5, which says the objective returned
    # NaN (API.md section 5; the deliberate difference documented in _bfgs and _cg).
    assert (ref.status, res.status) == (3, 5)


def _grad(x):
    return 2.0 * x


@pytest.mark.parametrize("method", ["BFGS", "CG"])
def test_nan_at_x0_reports_the_gradient_there(method):
    # numopt stops at x0 (scipy would go on): the result's jac is g(x0), not a buffer
    # never written.
    x0 = np.array([1.0, -2.0])
    res = numopt.minimize(_nan, x0, jac=_grad, method=method)
    assert res.status == 5 and res.nfev == 1 and np.isnan(res.fun)
    np.testing.assert_array_equal(res.x, x0)
    np.testing.assert_array_equal(res.jac, _grad(x0))


@pytest.mark.parametrize("module", [_bfgs, _cg], ids=["BFGS", "CG"])
def test_shared_slots_come_first(module):
    # The frame reads the scalar slots by Q.I and Q.F: the method's own must not move them.
    layout = module.LAYOUT
    assert layout.i._fields[:len(Q.I)] == Q.I._fields and layout.i[:len(Q.I)] == tuple(Q.I)
    assert layout.f._fields[:len(Q.F)] == Q.F._fields and layout.f[:len(Q.F)] == tuple(Q.F)
    assert [a for a, _ in layout.arrays[:len(Q.ARRAYS)]] == [a for a, _ in Q.ARRAYS]
