"""minimize_batch(device="cuda"): one problem per thread gives the CPU batch's results.

Runs on numba's CUDA simulator in CI (NUMBA_ENABLE_CUDASIM=1). Threads per block are
shrunk so several blocks and a partly filled last block run.
"""
import math

import numpy as np
import pytest
from numba import njit

import numopt
from numopt._minimize._registry import get as get_method

pytestmark = pytest.mark.cuda


@numopt.objective(grad=True)
def rosen_fg(x, g, a, b):
    f = 0.0
    for i in range(x.size):
        g[i] = 0.0
    for i in range(x.size - 1):
        t, u = a[0] - x[i], x[i + 1] - x[i] * x[i]
        f += t * t + b * u * u
        g[i] += -2.0 * t - 4.0 * b * x[i] * u
        g[i + 1] += 2.0 * b * u
    return f


@numopt.objective
def rosen_f(x, a, b):
    f = 0.0
    for i in range(x.size - 1):
        t, u = a[0] - x[i], x[i + 1] - x[i] * x[i]
        f += t * t + b * u * u
    return f


def _problems(B=7, n=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-2, 2, (B, n)), rng.uniform(0.5, 1.5, (B, 1))


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    monkeypatch.setattr(numopt.config, "CUDA_THREADS_PER_BLOCK", 4)


# Short runs (the simulator is slow); SGD diverges on some problems (a reason-5 stop).
FIRST_ORDER_OPTIONS = {"adam": dict(lr=0.05, maxiter=150, gtol=1e-2),
                       "sgd": dict(lr=1e-3, momentum=0.9, maxiter=60),
                       "rprop": dict(maxiter=40)}


@pytest.mark.parametrize("method,fun,jac", [
    ("BFGS", rosen_fg, None),
    ("BFGS", rosen_f, "2-point"),
    ("CG", rosen_fg, None),
    ("Nelder-Mead", rosen_f, None),
    ("LBFGS", rosen_fg, None),
    ("L-BFGS-B", rosen_fg, None),
    # First-order methods: the optimizer steps on device buffers, a kernel evaluates.
    ("adam", rosen_fg, None),
    ("sgd", rosen_f, "2-point"),
    ("rprop", rosen_fg, None),
])
def test_cuda_batch_equals_cpu_batch(method, fun, jac):
    try:
        get_method(method)
    except ValueError:
        pytest.skip(f"{method} is not registered in this build")
    X0, A = _problems()
    options = FIRST_ORDER_OPTIONS.get(method)
    cpu = numopt.minimize_batch(fun, X0, args=(A, 100.0), method=method, jac=jac,
                                options=options)
    gpu = numopt.minimize_batch(fun, X0, args=(A, 100.0), method=method, jac=jac,
                                options=options, device="cuda")
    np.testing.assert_array_equal(gpu.nit, cpu.nit)
    np.testing.assert_array_equal(gpu.nfev, cpu.nfev)
    np.testing.assert_array_equal(gpu.status, cpu.status)
    # The simulator computes in Python doubles; a GPU may fuse multiply-adds.
    np.testing.assert_allclose(gpu.x, cpu.x, rtol=1e-12, atol=1e-14)


def test_cuda_rejects_what_the_gpu_cannot_run():
    X0, A = _problems(B=2)
    with pytest.raises(TypeError, match="compiled objective"):
        numopt.minimize_batch(lambda X, a, b: np.zeros(len(X)), X0, args=(A, 100.0),
                              method="BFGS", device="cuda")

    @njit
    def value(x, a, b):
        return float(x @ x)

    with pytest.raises(NotImplementedError, match="jac callables"):
        numopt.minimize_batch(value, X0, args=(A, 100.0), method="BFGS", device="cuda",
                              jac=njit(lambda x, a, b: 2 * x))


@numopt.objective
def edge_f(x, a):
    """Undefined (NaN) past x = 1, where its minimum over x <= 1 lies for a > 1."""
    f = 0.0
    for i in range(x.size):
        f += (x[i] - a[0]) ** 2 + math.sqrt(1.0 - x[i])
    return f


@pytest.mark.parametrize("jac", [None, "3-point"])
def test_cuda_finite_differences_respect_per_problem_bounds(jac):
    from scipy.optimize import Bounds

    rng = np.random.default_rng(3)
    B, n = 6, 2
    A = rng.uniform(0.0, 3.0, (B, 1))
    ub = np.where(rng.uniform(size=(B, n)) < 0.5, 1.0, 0.8)
    lb = np.full((B, n), -2.0)
    X0 = rng.uniform(-1.0, 0.8, (B, n))
    kw = dict(args=(A,), method="L-BFGS-B", jac=jac, bounds=Bounds(lb, ub))
    cpu = numopt.minimize_batch(edge_f, X0, **kw)
    gpu = numopt.minimize_batch(edge_f, X0, device="cuda", **kw)
    assert cpu.success.all()
    np.testing.assert_array_equal(gpu.nit, cpu.nit)
    np.testing.assert_array_equal(gpu.nfev, cpu.nfev)
    np.testing.assert_allclose(gpu.x, cpu.x, rtol=1e-12, atol=1e-14)
