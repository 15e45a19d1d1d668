"""scipy's own ``minimize`` tests, run against ``numopt.minimize``.

The installed scipy's ``scipy/optimize/tests/test_optimize.py`` is executed as a fresh
module (scipy itself is not patched) whose global ``optimize`` is a proxy of
``scipy.optimize`` with one difference, ``minimize``: calls whose method numopt
implements here (BFGS, L-BFGS-B, CG, Nelder-Mead, and ``method=None`` without
constraints, which picks BFGS or L-BFGS-B as scipy does) go to ``numopt.minimize``.
Any other method goes to scipy's, so that a test looping over several methods (say
``test_minimize_tol_parameter``) still runs and checks numopt on the methods it has.

Which tests run is decided by :data:`SELECTED` and :data:`OUT` below, reviewed test by
test against scipy 1.17's file: every test of the file is in exactly one of them, and
``test_selection_is_reviewed`` fails when the file gains or loses a test, so a test
cannot silently drop out (or in). A parametrised test is restricted to the
parameter values :data:`SELECTED` names.

Set ``NUMOPT_SCIPY_SUITE=scipy`` to run the same selection against scipy's own
``minimize`` (every selected test passes there)::

    NUMOPT_SCIPY_SUITE=scipy python -m pytest -q tests/minimize/test_scipy_suite.py
"""
import inspect
import types

import scipy
import scipy.optimize

import numopt

from ..scipy_suite import ALL, build, check_reviewed, load, path_of, reference

_PATH = path_of("test_optimize.py")
REFERENCE = reference()

# The methods whose calls go to numopt.minimize (scipy's lowercase names).
NUMOPT_METHODS = ("bfgs", "l-bfgs-b", "cg", "nelder-mead")

# -- the selection ----------------------------------------------------------------------
# Test name ("Class::test" or "test") -> what runs:
#   ALL         the test as scipy has it (each parameter value, if parametrised);
#   a dict      parametrised test restricted: {argument name: values kept};
# A class of CheckOptimizeParameterized runs the same test bodies with use_wrapper
# True (optimize.minimize) or False (the legacy fmin_* functions): a test is selected in
# the use_wrapper=False classes only when its body calls minimize regardless.
_M = {"method": ("nelder-mead", "Nelder-Mead", "cg", "CG", "bfgs", "BFGS", "l-bfgs-b",
                 "L-BFGS-B")}
_WRAPPED = {  # CheckOptimizeParameterized tests calling minimize with use_wrapper=True
    "test_cg": ALL, "test_cg_cornercase": ALL, "test_bfgs": ALL,
    "test_bfgs_hess_inv0_neg": ALL, "test_bfgs_hess_inv0_semipos": ALL,
    "test_bfgs_hess_inv0_sanity": ALL, "test_bfgs_infinite": ALL, "test_bfgs_xrtol": ALL,
    "test_bfgs_c1": ALL, "test_bfgs_c2": ALL, "test_invalid_c1_c2": ALL,
    "test_neldermead": ALL, "test_neldermead_initial_simplex": ALL,
    "test_neldermead_initial_simplex_bad": ALL, "test_neldermead_x0_ub": ALL,
}
_UNWRAPPED = {  # ... and those calling minimize whatever use_wrapper says
    k: v for k, v in _WRAPPED.items()
    if k not in ("test_cg", "test_bfgs", "test_bfgs_infinite", "test_neldermead",
                 "test_neldermead_initial_simplex", "test_neldermead_initial_simplex_bad")
}
SELECTED = {
    **{f"TestOptimizeWrapperDisp::{k}": v for k, v in _WRAPPED.items()},
    **{f"TestOptimizeWrapperNoDisp::{k}": v for k, v in _WRAPPED.items()},
    **{f"TestOptimizeNoWrapperDisp::{k}": v for k, v in _UNWRAPPED.items()},
    **{f"TestOptimizeNoWrapperNoDisp::{k}": v for k, v in _UNWRAPPED.items()},
    "TestOptimizeSimple::test_bfgs_nan_return": ALL,
    "TestOptimizeSimple::test_finite_differences_jac": ALL,  # BFGS, CG (and TNC: scipy)
    "TestOptimizeSimple::test_bfgs_double_evaluations": ALL,
    "TestOptimizeSimple::test_l_bfgs_b_maxiter": ALL,
    "TestOptimizeSimple::test_minimize_l_bfgs_b": ALL,
    "TestOptimizeSimple::test_minimize_l_bfgs_b_ftol": ALL,
    "TestOptimizeSimple::test_minimize_l_bfgs_maxls": ALL,
    "TestOptimizeSimple::test_minimize_tol_parameter": ALL,  # loops over all methods
    "TestOptimizeSimple::test_minimize_callback_copies_array": _M,
    "TestOptimizeSimple::test_no_increase": _M,
    "TestOptimizeSimple::test_respect_maxiter": _M,
    "TestOptimizeSimple::test_runtime_warning": _M,
    "TestOptimizeSimple::test_minimize_automethod": ALL,  # None -> BFGS / L-BFGS-B here
    "TestOptimizeSimple::test_minimize_coerce_args_param": ALL,
    "TestOptimizeSimple::test_initial_step_scaling": ALL,  # CG, BFGS, L-BFGS-B (+Newton-CG)
    "TestOptimizeSimple::test_nan_values": _M,
    "TestOptimizeSimple::test_duplicate_evaluations": _M,
    "TestOptimizeSimple::test_callback_stopiteration": _M,
    "TestOptimizeSimple::test_ndim_error": ALL,
    "TestOptimizeSimple::test_minimize_invalid_bounds": _M,
    "TestOptimizeSimple::test_minimize_warnings_gh1953": _M,
    "test_maxfev_test": ALL,  # Nelder-Mead (and Powell: scipy)
    "test_obj_func_returns_scalar": ALL,
    "test_neldermead_respect_fp": ALL,
    "test_neldermead_adaptive": ALL,
    "test_minimize_with_scalar": _M,
    "TestLBFGSBBounds::test_minimize_l_bfgs_b_bounds": ALL,
    "TestLBFGSBBounds::test_minimize_l_bfgs_b_incorrect_bounds": ALL,
    "TestLBFGSBBounds::test_minimize_l_bfgs_b_bounds_FD": ALL,
    "TestOptimizeResultAttributes::test_attributes_present": ALL,  # all methods
    "TestIterationLimits::test_neldermead_limit": ALL,
    "test_result_x_shape_when_len_x_is_one": ALL,  # all methods
    # The constraints other than (None, None) and ([], []) are skipped by the test itself
    # for every method but SLSQP ("Only SLSQP supports nonlinear constraints").
    "test_equal_bounds": {**_M, "constraints": ("(None, None)", "([], [])")},
    "test_all_bounds_equal": _M,
    "test_minimize_maxiter_noninteger": _M,
    "test_x_overwritten_user_function": ALL,  # all methods
    # test_equal_bounds skips itself for the methods without bounds (BFGS, CG).
    "TestWorkers::test_smoke": ALL,
    "TestWorkers::test_equal_bounds": ALL,
    # Skipped by scipy itself before Python 3.14 (PEP 649 annotations).
    "TestAnnotations::test_callable_annotations": _M,
}
# The class-level parameters of TestWorkers, restricted as a method's would be.
CLASS_PARAMS = {"TestWorkers": _M}

_FMIN = "calls a legacy fmin_* function, not minimize"
_OTHER = "tests other methods or other scipy functions"
_PRIVATE = "calls scipy's private _minimize_neldermead, not minimize"
_CUSTOM = "a callable method (scipy runs the user's solver; numopt has none)"
OUT = {
    **{f"{c}::{k}": _OTHER for c in ("TestOptimizeWrapperDisp", "TestOptimizeWrapperNoDisp",
                                     "TestOptimizeNoWrapperDisp", "TestOptimizeNoWrapperNoDisp")
       for k in ("test_powell", "test_powell_gh14014", "test_powell_bounded",
                 "test_ncg_negative_maxiter", "test_ncg_zero_xtol", "test_ncg",
                 "test_ncg_hess", "test_ncg_hessp", "test_cobyqa")},
    **{f"{c}::{k}": _FMIN for c in ("TestOptimizeNoWrapperDisp", "TestOptimizeNoWrapperNoDisp")
       for k in _WRAPPED if k not in _UNWRAPPED},
    "TestOptimizeSimple::test_bfgs_nan": _FMIN,
    "TestOptimizeSimple::test_bfgs_numerical_jacobian": _FMIN,
    "TestOptimizeSimple::test_bfgs_gh_2169": _FMIN,
    "TestOptimizeSimple::test_l_bfgs_b": _FMIN,
    "TestOptimizeSimple::test_l_bfgs_b_numjac": _FMIN,
    "TestOptimizeSimple::test_l_bfgs_b_funjac": _FMIN,
    "TestOptimizeSimple::test_minimize_l_bfgs_b_maxfun_interruption": _FMIN,
    "TestOptimizeSimple::test_finite_differences_hess": _OTHER,
    "TestOptimizeSimple::test_custom": _CUSTOM,
    "TestOptimizeSimple::test_gh10771": _CUSTOM,
    "TestOptimizeSimple::test_slsqp_respect_bounds": _OTHER,
    "TestOptimizeSimple::test_respect_maxiter_trust_constr_ineq_constraints": _OTHER,
    "TestLBFGSBBounds::test_l_bfgs_b_bounds": _FMIN,
    "TestLBFGSBBounds::test_l_bfgs_b_funjac": _FMIN,
    "test_neldermead_iteration_num": _PRIVATE,
    "test_neldermead_xatol_fatol": _PRIVATE,
    "test_wrap_scalar_function_with_validation": "tests a private scipy helper",
    "test_memoize_jac_function_before_gradient": _OTHER,
    "test_memoize_jac_gradient_before_function": _OTHER,
    "test_memoize_jac_with_bfgs": "tests scipy's ScalarFunction, not minimize",
    "test_eb_constraints": _OTHER,  # SLSQP
    "test_bounds_with_list": _OTHER,  # Powell
    "test_minimize_multiple_constraints": _OTHER,  # SLSQP
    "TestIterationLimits::test_powell_limit": _OTHER,
    **{k: _OTHER for k in (
        "test_check_grad", "test_bounded_powell_outsidebounds", "test_bounded_powell_vs_powell",
        "test_onesided_bounded_powell_stability", "test_brent_negative_tolerance",
        "test_line_for_search", "test_linesearch_powell", "test_linesearch_powell_bounded",
        "test_powell_limits", "test_powell_output", "test_gh12696", "test_show_options",
        "test_approx_fprime", "test_gh12594", "test_gh12513_trustregion_exact_infinite_loop",
        "test_sparse_hessian", "test_cobyla_threadsafe",
        "test_multiprocessing_too_many_open_files_23080")},
    **{f"{c}::{k}": _OTHER for c, names in {
        "TestOptimizeScalar": (
            "test_brent", "test_golden", "test_fminbound", "test_fminbound_scalar",
            "test_gh11207", "test_minimize_scalar", "test_minimize_scalar_custom",
            "test_minimize_scalar_coerce_args_param", "test_disp", "test_result_attributes",
            "test_nan_values", "test_minimize_scalar_defaults_gh10911",
            "test_minimize_non_finite_bounds_gh10911",
            "test_minimize_unbounded_method_with_bounds_gh10911",
            "test_minimize_scalar_dimensionality_gh16196",
            "test_minimize_scalar_warnings_gh1953"),
        "TestBracket": ("test_errors_and_status_false", "test_minimize_scalar_success_false"),
        "TestNewtonCg": ("test_rosenbrock", "test_himmelblau", "test_finite_difference",
                         "test_hessian_update_strategy"),
        "TestRosen": ("test_rosen", "test_rosen_der", "test_hess_prod"),
        "TestBrute": ("test_brute", "test_1D", "test_workers", "test_runtime_warning",
                      "test_coerce_args_param"),
        "TestGlobalOptimization": ("test_optimize_result_attributes",),
        "TestAnnotations": ("test_differential_evolution_annotations",
                            "test_curve_fit_annotations", "test_brute_annotations",
                            "test_basinhopping_annotations"),
    }.items() for k in names},
}

# Selected tests numopt fails on purpose, with the reason (docs/minimize.md's table of
# differences lists them). They run as strict xfails: one that starts passing fails.
DELIBERATE = {
    # Its first case (NaN at x0: fun is that NaN, success False) passes. In the second,
    # f(0) = 0 and NaN everywhere else: scipy's line searches keep asking for steps and
    # it returns x = -1024 with fun = NaN; numopt stops at the first NaN and returns the
    # best finite point, x = 0 with fun = 0.0 and status 5 (API.md section 5).
    "TestOptimizeSimple::test_bfgs_nan_return":
        "numopt returns the best finite point (x=0, fun=0.0, status 5) where scipy returns "
        "a point whose value is NaN",
    # f = -e^-x, unbounded below: scipy's line search steps to a point where f is -inf and
    # the test asserts that f(x) is not finite. numopt stops at the first -inf with status
    # 5 and the best finite point seen (API.md section 5: never a non-finite result).
    **{f"{cls}::test_bfgs_infinite":
       "numopt returns the best finite point (status 5) where scipy returns the point "
       "where the objective is -inf"
       for cls in ("TestOptimizeWrapperDisp", "TestOptimizeWrapperNoDisp")},
}


# -- the module under test ----------------------------------------------------------------
def _route(scipy_minimize, ours):
    """``minimize`` for the proxy: ``ours`` for numopt's methods, scipy's for the rest."""
    signature = inspect.signature(scipy.optimize.minimize)

    def minimize(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        method = bound.arguments.get("method")
        if method is None:  # scipy's choice: SLSQP with constraints
            ours_ = not bound.arguments.get("constraints")
        else:
            ours_ = isinstance(method, str) and method.lower() in NUMOPT_METHODS
        return (ours if ours_ else scipy_minimize)(*args, **kwargs)
    minimize.__doc__ = f"numopt.minimize for {', '.join(NUMOPT_METHODS)}; scipy's otherwise"
    return minimize


class _OptimizeProxy(types.ModuleType):
    """``scipy.optimize`` with another ``minimize``: every other name is scipy's."""

    def __getattr__(self, name):
        return getattr(scipy.optimize, name)


def _patch(module):
    proxy = _OptimizeProxy("scipy.optimize")
    proxy.minimize = (scipy.optimize.minimize if REFERENCE == "scipy"
                      else _route(scipy.optimize.minimize, numopt.minimize))
    # The tests reach minimize as optimize.minimize (looked up when they run).
    module.optimize = proxy


SUITE = load(_PATH, "numopt_scipy_test_optimize", _patch)
globals().update(build(SUITE, SELECTED, DELIBERATE, CLASS_PARAMS))


def test_selection_is_reviewed():
    """Every test of scipy's file is either selected or left out with a reason; a new
    scipy that adds, renames or drops a test fails here until the lists are reviewed."""
    check_reviewed(SUITE, SELECTED, OUT, DELIBERATE)


def test_minimize_is_routed_as_documented():
    """The proxy sends numopt's methods (and method=None without constraints) to
    numopt.minimize and leaves everything else to scipy."""
    if REFERENCE == "scipy":
        assert SUITE.optimize.minimize is scipy.optimize.minimize
        return
    seen = []
    routed = _route(lambda *a, **k: seen.append("scipy"), lambda *a, **k: seen.append("numopt"))
    routed(None, [0.0], method="L-BFGS-B")
    routed(None, [0.0], method="Nelder-Mead")
    routed(None, [0.0])
    routed(None, [0.0], bounds=[(0, 1)])
    routed(None, [0.0], constraints=[{"type": "ineq", "fun": abs}])
    routed(None, [0.0], method="TNC")
    routed(None, [0.0], (), "Powell")
    assert seen == ["numopt"] * 4 + ["scipy"] * 3
    assert SUITE.optimize.rosen is scipy.optimize.rosen  # the rest is scipy's
    assert scipy.optimize.minimize is not SUITE.optimize.minimize  # scipy untouched
