"""Exceptions of compiled objectives reach the caller; calls that cannot work say why.

numba's first-class function calls, through which every compiled loop reaches the
objective, cannot carry an exception: before this was handled, numba printed
"Exception ignored" and the solve went on with f = 0.0, reporting success. Each case
here checks the user's own exception type and message, that nothing of the caller's
was modified, and that numba printed nothing.
"""
import concurrent.futures

import numpy as np
import pytest
from numba import njit
from numba.core.errors import NumbaError

import numopt

METHODS = ["BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "LBFGS", "adam"]
GRADIENT_METHODS = [m for m in METHODS if m != "Nelder-Mead"]


class Boom(Exception):
    """A user exception type numopt cannot know about."""


@njit
def value_raises(x, limit):
    # Raises once the solver moves x[0] past the limit (the minimum is at x[0] = 1).
    if x[0] > limit:
        raise Boom("x[0] went past the limit")
    return (x[0] - 1.0) ** 2 + x[1] ** 2


@numopt.objective(grad=True)
def grad_raises(x, g, limit):
    if x[0] > limit:
        raise ZeroDivisionError("no gradient past the limit")
    g[0] = 2.0 * (x[0] - 1.0)
    g[1] = 2.0 * x[1]
    return (x[0] - 1.0) ** 2 + x[1] ** 2


@njit
def tuple_raises(x, limit):
    if x[0] > limit:
        raise ValueError("tuple objective failed")
    return (x[0] - 1.0) ** 2 + x[1] ** 2, np.array([2.0 * (x[0] - 1.0), 2.0 * x[1]])


@njit
def sphere(x):
    return (x[0] - 1.0) ** 2 + x[1] ** 2


@njit
def jac_raises(x):
    if x[0] > 0.5:
        raise KeyError("jac failed")
    return np.array([2.0 * (x[0] - 1.0), 2.0 * x[1]])


def _no_numba_noise(capfd):
    err = capfd.readouterr().err
    assert "Exception ignored" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("method", METHODS)
def test_value_objective_exception_propagates(method, capfd):
    x0 = np.array([0.0, 1.0])
    keep = x0.copy()
    with pytest.raises(Boom, match="x\\[0\\] went past the limit"):
        numopt.minimize(value_raises, x0, args=(0.5,), method=method)
    np.testing.assert_array_equal(x0, keep)
    _no_numba_noise(capfd)


@pytest.mark.parametrize("method", GRADIENT_METHODS)
def test_grad_objective_exception_propagates(method, capfd):
    with pytest.raises(ZeroDivisionError, match="no gradient past the limit"):
        numopt.minimize(grad_raises, [0.0, 1.0], args=(0.5,), method=method)
    _no_numba_noise(capfd)


@pytest.mark.parametrize("method", GRADIENT_METHODS)
def test_tuple_and_jac_exceptions_propagate(method, capfd):
    with pytest.raises(ValueError, match="tuple objective failed"):
        numopt.minimize(tuple_raises, [0.0, 1.0], args=(0.5,), jac=True, method=method)
    with pytest.raises(KeyError, match="jac failed"):
        numopt.minimize(sphere, [0.0, 1.0], jac=jac_raises, method=method)
    _no_numba_noise(capfd)


@njit
def complex_raises(x, limit):
    if x[0].imag != 0.0 and x[1].real > limit:
        raise Boom("complex step failed")
    return (x[0] - 1.0) ** 2 + x[1] ** 2


@pytest.mark.parametrize("scheme", ["2-point", "3-point"])
def test_exception_in_finite_differences_propagates(scheme):
    # x0 is just inside the limit: the first difference step crosses it.
    with pytest.raises(Boom):
        numopt.minimize(value_raises, [0.5, 1.0], args=(0.5,), jac=scheme, method="BFGS")


def test_exception_in_complex_step_propagates():
    with pytest.raises(Boom, match="complex step failed"):
        numopt.minimize(complex_raises, [0.0, 1.0], args=(0.5,), jac="cs", method="BFGS")
    # An objective that cannot take a complex x is told so.
    text = _clear_type_error(lambda: numopt.minimize(value_raises, [0.0, 1.0], args=(0.5,),
                                                     jac="cs"), "'value_raises'")
    assert "complex" in text


def test_exception_at_x0_and_with_callback():
    with pytest.raises(Boom):
        numopt.minimize(value_raises, [2.0, 1.0], args=(0.5,), method="BFGS")
    for method in METHODS:  # a callback runs the compiled adapter from Python
        with pytest.raises(Boom):
            numopt.minimize(value_raises, [0.0, 1.0], args=(0.5,), method=method,
                            callback=lambda xk: None)


def test_solve_without_exception_is_unchanged():
    # The same objectives, never crossing the limit, solve as before.
    for method in METHODS:
        res = numopt.minimize(value_raises, [0.0, 1.0], args=(10.0,), method=method,
                              options={"maxiter": 5000} if method == "adam" else None)
        assert res.success, method
        np.testing.assert_allclose(res.x, [1.0, 0.0], atol=1e-3)


@pytest.mark.parametrize("method", METHODS)
def test_batch_exception_names_the_problem(method, capfd):
    X0 = np.zeros((40, 2))
    limits = np.full(40, 10.0)
    limits[23] = 0.5
    keep_x, keep_l = X0.copy(), limits.copy()
    with pytest.raises(Boom, match="x\\[0\\] went past the limit") as info:
        numopt.minimize_batch(value_raises, X0, args=(limits,), method=method)
    assert "problem 23 of the batch" in " ".join(getattr(info.value, "__notes__", []))
    np.testing.assert_array_equal(X0, keep_x)
    np.testing.assert_array_equal(limits, keep_l)
    _no_numba_noise(capfd)


def test_batch_grad_objective_exception():
    limits = np.full(8, 10.0)
    limits[5] = 0.5
    with pytest.raises(ZeroDivisionError, match="no gradient past the limit") as info:
        numopt.minimize_batch(grad_raises, np.zeros((8, 2)), args=(limits,), method="L-BFGS-B")
    assert "problem 5" in " ".join(info.value.__notes__)


def test_batch_on_executor_exception():
    limits = np.full(30, 10.0)
    limits[21] = 0.5
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        with pytest.raises(Boom) as info:
            numopt.minimize_batch(value_raises, np.zeros((30, 2)), args=(limits,),
                                  method="BFGS", executor=ex)
    notes = " ".join(info.value.__notes__)
    # Problem numbers inside a chunk, and where the chunk starts.
    lo = int(notes.split("count from ")[1].split(")")[0])
    local = int(notes.split("problem ")[1].split(" ")[0])
    assert lo + local == 21


def test_vectorised_batch_objective_errors():
    with pytest.raises(ValueError, match=r"one value per problem, shape \(4,\)"):
        numopt.minimize_batch(lambda X: None, np.zeros((4, 2)), method="BFGS")
    with pytest.raises(ValueError, match=r"one value per problem"):
        numopt.minimize_batch(lambda X: np.zeros(3), np.zeros((4, 2)), method="BFGS")
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(4, 2\)"):
        numopt.minimize_batch(lambda X: ((X ** 2).sum(1), X[:, :1]), np.zeros((4, 2)),
                              jac=True, method="BFGS")

    def raises(X):
        raise Boom("vectorised")
    with pytest.raises(Boom, match="vectorised"):
        numopt.minimize_batch(raises, np.zeros((4, 2)), method="L-BFGS-B")


# -- calls that cannot be compiled ------------------------------------------------------------
@njit
def needs_two(x, a, b):
    return a * x[0] ** 2 + b * x[1] ** 2


def _clear_type_error(call, *words):
    with pytest.raises(TypeError) as info:
        call()
    text = str(info.value)
    for w in words:
        assert w in text, text
    assert "<source missing" not in text
    assert isinstance(info.value.__cause__, NumbaError)  # numba's own message kept
    return text


def test_forgotten_args():
    _clear_type_error(lambda: numopt.minimize(needs_two, [1.0, 2.0]),
                      "'needs_two'", "takes 3 positional parameters", "check args")
    _clear_type_error(lambda: numopt.minimize(needs_two, [1.0, 2.0], args=(1.0,)),
                      "'needs_two'", "called with 2")


def test_wrong_arg_types():
    _clear_type_error(lambda: numopt.minimize(needs_two, [1.0, 2.0], args=("a", 1.0)),
                      "'needs_two'", "unicode_type", "does not compile")


def test_grad_objective_without_g():
    @numopt.objective(grad=True)
    def no_g(x, a):
        return a * x[0] ** 2

    _clear_type_error(lambda: numopt.minimize(no_g, [1.0], args=(2.0,)),
                      "'no_g'", "second parameter")


def test_batch_and_first_order_typing_errors():
    _clear_type_error(lambda: numopt.minimize_batch(needs_two, np.zeros((3, 2))),
                      "'needs_two'", "check args")
    _clear_type_error(lambda: numopt.minimize_batch(needs_two, np.zeros((3, 2)),
                                                    method="adam"), "'needs_two'")


# -- values and gradients of the wrong shape -------------------------------------------------
@njit
def returns_pair(x):
    return np.array([x[0] ** 2, x[1] ** 2])


@njit
def returns_one(x):
    return np.array([(x[0] - 1.0) ** 2 + x[1] ** 2])


@njit
def jac_long(x):
    return np.array([2.0 * (x[0] - 1.0), 2.0 * x[1], 0.0])


@njit
def fg_short(x):
    return (x[0] - 1.0) ** 2 + x[1] ** 2, np.array([2.0 * (x[0] - 1.0)])


def test_compiled_array_value():
    # One element is a scalar, as scipy takes it; more is an error naming fun.
    res = numopt.minimize(returns_one, [0.0, 1.0], method="BFGS")
    ref = numopt.minimize(sphere, [0.0, 1.0], method="BFGS")
    np.testing.assert_array_equal(res.x, ref.x)
    assert res.nfev == ref.nfev
    with pytest.raises(ValueError, match=r"must return a scalar value.*shape \(2,\)"):
        numopt.minimize(returns_pair, [0.0, 1.0], method="BFGS")


@pytest.mark.parametrize("compiled", [True, False])
def test_gradient_shapes_checked(compiled):
    wrap = (lambda f: f) if compiled else (lambda f: f.py_func)
    with pytest.raises(ValueError, match=r"jac returned shape \(3,\), expected a gradient "
                                         r"of shape \(2,\)"):
        numopt.minimize(wrap(sphere), [0.0, 1.0], jac=wrap(jac_long), method="BFGS")
    with pytest.raises(ValueError, match=r"returned shape \(1,\), expected a gradient of "
                                         r"shape \(2,\)"):
        numopt.minimize(wrap(fg_short), [0.0, 1.0], jac=True, method="L-BFGS-B")


def test_python_objective_values_checked():
    with pytest.raises(TypeError, match="must return a real scalar value; it returned str"):
        numopt.minimize(lambda x: "1.0", [0.0, 1.0])
    with pytest.raises(TypeError, match="NoneType"):
        numopt.minimize(lambda x: None, [0.0, 1.0], method="Nelder-Mead")
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        numopt.minimize(lambda x: x ** 2, [0.0, 1.0], method="CG")
    with pytest.raises(TypeError, match="pair"):
        numopt.minimize(lambda x: 1.0, [0.0, 1.0], jac=True)
    # One-element arrays and NumPy scalars are values, as in scipy.
    res = numopt.minimize(lambda x: np.array([(x[0] - 1.0) ** 2 + x[1] ** 2]), [0.0, 1.0])
    assert res.success and isinstance(res.fun, float)
