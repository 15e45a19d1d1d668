"""numopt.approx_fprime and numopt.check_grad against scipy's, and on compiled objectives."""
import numpy as np
import pytest
import scipy.optimize as so
from numba import njit

import numopt


def _vector(x, a):
    return np.array([a * x[0] * x[1], np.sin(x[1]) + x[0] ** 3, np.exp(x[0] - x[1])])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("x", [[-1.2, 1.0], [0.0, 3.0], [1e20, -1e-300]])
@pytest.mark.parametrize("eps", [None, 1e-6, [1e-7, 1e-5]])
def test_approx_fprime_equals_scipys(x, eps):
    args = () if eps is None else (eps,)
    ours = numopt.approx_fprime(x, so.rosen, *args)
    ref = so.approx_fprime(x, so.rosen, *args)
    np.testing.assert_array_equal(ours, ref)   # same steps, same quotients
    J = numopt.approx_fprime(x, _vector, 1e-7, 2.0)
    np.testing.assert_array_equal(J, so.approx_fprime(x, _vector, 1e-7, 2.0))
    assert J.shape == (3, 2)


def test_approx_fprime_is_close_to_the_analytic_gradient():
    x = np.array([-1.2, 1.0, 0.7])
    np.testing.assert_allclose(numopt.approx_fprime(x, so.rosen), so.rosen_der(x),
                               rtol=1e-5, atol=1e-5)


def test_check_grad_equals_scipys():
    x = np.array([-1.2, 1.0, 0.7])
    ours = numopt.check_grad(so.rosen, so.rosen_der, x)
    assert ours == so.check_grad(so.rosen, so.rosen_der, x)
    assert ours < 1e-6 * np.linalg.norm(so.rosen_der(x))
    wrong = lambda x: so.rosen_der(x) * 1.01  # noqa: E731
    assert numopt.check_grad(so.rosen, wrong, x) > 1e-2
    r1 = numopt.check_grad(so.rosen, so.rosen_der, x, direction="random", rng=7)
    assert r1 == so.check_grad(so.rosen, so.rosen_der, x, direction="random", rng=7)


@numopt.objective(grad=True)
def _rosen_fg(x, g):
    f = 0.0
    g[:] = 0.0
    for i in range(x.size - 1):
        t, u = 1.0 - x[i], x[i + 1] - x[i] ** 2
        f += t * t + 100.0 * u * u
        g[i] += -2.0 * t - 400.0 * x[i] * u
        g[i + 1] += 200.0 * u
    return f


@numopt.objective(grad=True)
def _forgets_an_element(x, g):
    f = 0.0
    g[:] = 0.0
    for i in range(x.size - 1):
        t, u = 1.0 - x[i], x[i + 1] - x[i] ** 2
        f += t * t + 100.0 * u * u
        g[i] += -2.0 * t - 400.0 * x[i] * u
        if i + 1 < x.size - 1:      # the bug: the last element is never written
            g[i + 1] += 200.0 * u
    return f


def test_check_grad_of_compiled_objectives_finds_a_wrong_gradient():
    x = np.array([-1.2, 1.0, 0.7, 0.3])
    assert numopt.check_grad(_rosen_fg, None, x) < 1e-4
    assert numopt.check_grad(_forgets_an_element, None, x) > 1.0
    compiled = njit(lambda x: so.rosen(x) if False else ((1 - x[0]) ** 2
                                                         + 100 * (x[1] - x[0] ** 2) ** 2))
    assert numopt.check_grad(compiled, so.rosen_der, x[:2]) < 1e-4
    np.testing.assert_allclose(numopt.approx_fprime(x, _rosen_fg), so.rosen_der(x),
                               rtol=1e-5, atol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match="not a valid string"):
        numopt.check_grad(so.rosen, so.rosen_der, [1.0, 2.0], direction="some")
    with pytest.raises(ValueError, match="scalar valued"):
        numopt.check_grad(_vector, lambda x, a: np.ones((3, 2)), [1.0, 2.0], 2.0,
                          direction="random")
    with pytest.raises(ValueError, match="pass grad=None"):
        numopt.check_grad(_rosen_fg, so.rosen_der, [1.0, 2.0])
    with pytest.raises(TypeError, match="grad must be a callable"):
        numopt.check_grad(so.rosen, None, [1.0, 2.0])
    with pytest.raises(ValueError, match="more than 1 dimension"):
        numopt.approx_fprime([1.0, 2.0], lambda x: np.ones((2, 2)))
