"""scipy's own ``least_squares`` and ``curve_fit`` tests, run against numopt's.

The installed scipy's ``scipy/optimize/tests/test_least_squares.py`` and the curve_fit
tests of ``test_minpack.py`` are executed as fresh modules whose ``least_squares`` and
``curve_fit`` are numopt's (see ``tests/scipy_suite.py``); scipy itself is not patched,
and everything else the tests use (``leastsq``, ``minimize``, scipy's private helpers)
stays scipy's. A call asking for what numopt does not have (``method="dogbox"``, a
callable ``loss``, ``tr_solver="lsmr"``, for which numopt raises ``NotImplementedError``)
goes to scipy's function, so that a test looping over methods or solvers still runs and
checks numopt on the rest, as the minimize suite does for other methods. Tests of the
sparse machinery and of dogbox alone are left out with their reason: every test of both
files is either selected or listed in an ``OUT`` table, and
``test_selection_is_reviewed`` fails when scipy adds, renames or drops one.

``NUMOPT_SCIPY_SUITE=scipy`` runs the same selection against scipy's own functions::

    NUMOPT_SCIPY_SUITE=scipy python -m pytest -q tests/fit/test_scipy_suite.py
"""
import inspect

import scipy.optimize

import numopt

from ..scipy_suite import ALL, build, check_reviewed, load, path_of, reference

REFERENCE = reference()
_LSQ_PATH = path_of("test_least_squares.py")
_MINPACK_PATH = path_of("test_minpack.py")

_NO_DOGBOX = {"method": ("lm", "trf", None, "'lm'", "'trf'")}

# -- test_least_squares.py --------------------------------------------------------------
_BASE = ("test_basic", "test_args_kwargs", "test_jac_options", "test_nfev_options",
         "test_x_scale_options", "test_diff_step", "test_incorrect_options_usage",
         "test_full_result", "test_full_result_single_fev", "test_nfev", "test_rosenbrock",
         "test_rosenbrock_cropped", "test_fun_wrong_dimensions", "test_jac_wrong_dimensions",
         "test_fun_and_jac_inconsistent_dimensions", "test_x0_multidimensional",
         "test_x0_complex_scalar", "test_x0_complex_array", "test_bvp",
         "test_error_raised_when_all_tolerances_below_eps",
         "test_convergence_with_only_one_tolerance_enabled")
_BOUNDS = ("test_inconsistent", "test_infeasible", "test_wrong_number",
           "test_inconsistent_shape", "test_in_bounds", "test_bounds_shape",
           "test_bounds_instances", "test_rosenbrock_bounds")
_SPARSE = ("test_exact_tr_solver", "test_equivalence", "test_tr_options",
           "test_wrong_parameters", "test_solver_selection", "test_numerical_jac",
           "test_with_bounds", "test_wrong_jac_sparsity", "test_linear_operator",
           "test_x_scale_jac_scale")
_LOSS = ("test_options", "test_fun", "test_grad", "test_jac", "test_robustness")
_LM_ONLY = ("test_bounds_not_supported", "test_m_less_n_not_supported",
            "test_sparse_not_supported", "test_jac_sparsity_not_supported",
            "test_LinearOperator_not_supported", "test_loss", "test_callback_with_lm_method")

LSQ_SELECTED = {
    **{f"TestTRF::{t}": ALL for t in _BASE + _BOUNDS + _LOSS},
    **{f"TestLM::{t}": ALL for t in _BASE + _LM_ONLY},
    "test_basic": ALL,
    "test_callback": ALL,
    "test_small_tolerances_for_lm": ALL,
    "test_fp32_gh12991": ALL,
    "test_gh_18793_and_19351": ALL,
    "test_gh_19103": ALL,
}
_DOGBOX = "method='dogbox' (numopt raises NotImplementedError for it)"
_SPARSE_WHY = ("sparse Jacobians, LinearOperator and tr_solver='lsmr' (numopt's trf is "
               "dense, tr_solver='exact'; the others raise NotImplementedError)")
_WORKERS = "parallel finite differences (workers=; numopt raises NotImplementedError)"
LSQ_OUT = {
    **{f"TestDogbox::{t}": _DOGBOX for t in _BASE + _BOUNDS + _SPARSE + _LOSS
       + ("test_workers",)},
    **{f"TestTRF::{t}": _SPARSE_WHY for t in _SPARSE + ("test_lsmr_regularization",)},
    "TestTRF::test_workers": _WORKERS,
    "TestLM::test_workers": _WORKERS,
}
LSQ_DELIBERATE = {}

# -- test_minpack.py ------------------------------------------------------------------------
_CURVE_FIT = (
    "test_one_argument", "test_two_argument", "test_func_is_classmethod",
    "test_regression_2639", "test_pcov", "test_array_like", "test_indeterminate_covariance",
    "test_NaN_handling", "test_nan_policy_1d", "test_nan_policy_2d", "test_nan_policy_2_3d",
    "test_empty_inputs", "test_function_zero_params", "test_None_x", "test_method_argument",
    "test_full_output", "test_bounds", "test_bounds_p0", "test_jac", "test_maxfev_and_bounds",
    "test_curvefit_omitnan", "test_curvefit_simplecovariance", "test_curvefit_covariance",
    "test_curvefit_scalar_sigma", "test_dtypes", "test_dtypes2", "test_broadcast_y",
    "test_args_in_kwargs", "test_data_point_number_validation", "test_gh4555",
    "test_gh4555b", "test_gh13670", "test_gh20155_error_mentions_x0")
MINPACK_SELECTED = {f"TestCurveFit::{t}": _NO_DOGBOX for t in _CURVE_FIT}
_NOT_CURVE_FIT = "tests scipy's fsolve, root, leastsq or fixed_point, not curve_fit"
MINPACK_DELIBERATE = {}


def _minpack_out(suite):
    from ..scipy_suite import tests_of
    return {k: _NOT_CURVE_FIT for k in tests_of(suite) if not k.startswith("TestCurveFit::")}


# -- the modules under test ------------------------------------------------------------------
def _numopt_has(arguments):
    """Whether numopt implements what a least_squares/curve_fit call asks for."""
    extra = arguments.get("kwargs", {}) if "f" in arguments else {}
    get = {**extra, **arguments}.get
    return (get("method") != "dogbox" and not callable(get("loss"))
            and get("tr_solver") != "lsmr")


def _route(scipy_func, ours, signature=None):
    """``ours`` for what numopt implements, scipy's function for the rest (calls bound
    to ``signature``, by default scipy's function's)."""
    signature = signature or inspect.signature(scipy_func)

    def routed(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        return (ours if _numopt_has(bound.arguments) else scipy_func)(*args, **kwargs)
    routed.__doc__ = "numopt's function; scipy's for dogbox, callable losses and lsmr"
    return routed


def _patch_lsq(module):
    if REFERENCE == "numopt":
        module.least_squares = _route(scipy.optimize.least_squares, numopt.least_squares)


def _patch_minpack(module):
    if REFERENCE == "numopt":
        module.curve_fit = _route(scipy.optimize.curve_fit, numopt.curve_fit)


LSQ_SUITE = load(_LSQ_PATH, "numopt_scipy_test_least_squares", _patch_lsq)
MINPACK_SUITE = load(_MINPACK_PATH, "numopt_scipy_test_minpack", _patch_minpack)
MINPACK_OUT = _minpack_out(MINPACK_SUITE)

_lsq_tests = build(LSQ_SUITE, LSQ_SELECTED, LSQ_DELIBERATE)
_minpack_tests = build(MINPACK_SUITE, MINPACK_SELECTED, MINPACK_DELIBERATE)
# Both files have module-level test_basic-like names and classes of their own: the
# least-squares ones keep their names, curve_fit's class is TestCurveFit.
assert not set(_lsq_tests) & set(_minpack_tests)
globals().update(_lsq_tests)
globals().update(_minpack_tests)


def test_selection_is_reviewed():
    """Every test of both files is either selected or left out with a reason."""
    check_reviewed(LSQ_SUITE, LSQ_SELECTED, LSQ_OUT, LSQ_DELIBERATE)
    check_reviewed(MINPACK_SUITE, MINPACK_SELECTED, MINPACK_OUT, MINPACK_DELIBERATE)


def test_functions_are_routed_as_documented():
    """The suites call numopt's functions (scipy's under NUMOPT_SCIPY_SUITE=scipy) for
    everything numopt implements, and scipy itself is untouched."""
    assert scipy.optimize.least_squares is not numopt.least_squares
    assert MINPACK_SUITE.leastsq is scipy.optimize.leastsq
    if REFERENCE == "scipy":
        assert LSQ_SUITE.least_squares is scipy.optimize.least_squares
        assert MINPACK_SUITE.curve_fit is scipy.optimize.curve_fit
        return
    seen = []
    for name in ("least_squares", "curve_fit"):
        sig = inspect.signature(getattr(scipy.optimize, name))
        routed = _route(lambda *a, **k: seen.append("scipy"),
                        lambda *a, **k: seen.append("numopt"), sig)
        lead = (abs, 1.0) if name == "least_squares" else (abs, [1.0], [1.0])
        for kwargs in ({}, {"method": "lm"}, {"method": "trf", "loss": "huber"},
                       {"method": "dogbox"}, {"loss": abs}, {"tr_solver": "lsmr"}):
            routed(*lead, **kwargs)
    assert seen == (["numopt"] * 3 + ["scipy"] * 3) * 2
