"""Every update rule compiled as a CUDA kernel gives the CPU driver's results.

Run under the simulator with ``NUMBA_ENABLE_CUDASIM=1 pytest tests/cuda``. Threads per
block are shrunk so that several blocks and the grid-stride loop are exercised.
"""
import numpy as np
import pytest

from numopt import Parameter
from numopt.testing import optimizers as table
from numopt._drivers import cuda as cuda_driver
from numopt import _arrays
from numopt._drivers.cpu import run_factored as cpu_run_factored
from numopt._drivers.cpu import run_rule as cpu_run

pytestmark = pytest.mark.cuda

# Every sample configuration of the optimizer table.
CASES, IDS = table.configs()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls,kwargs", CASES, ids=IDS)
def test_cuda_kernel_matches_cpu_driver(cls, kwargs, dtype, monkeypatch):
    from numba import cuda

    rng = np.random.default_rng(1)
    n = 45  # not a multiple of the block size: exercises the tail
    factored = cls._rule.kind == "factored"
    # a factored rule is applied per parameter: a vector, and batches of rows and columns
    shapes = [(n,), (3, 5, 3)] if factored else [(n,)]
    params = [Parameter(rng.standard_normal(s).astype(dtype)) for s in shapes]
    opt = cls(params, **kwargs)
    compared = []
    tol = 1e-14 if dtype == np.float64 else 1e-6

    def on_device(param, grad, state):
        return tuple(cuda.to_device(a.copy()) for a in (param, grad, state))

    def check(d_param, d_state, param, state, rule):
        np.testing.assert_allclose(d_param.copy_to_host(), param, rtol=tol, atol=tol)
        np.testing.assert_allclose(d_state.copy_to_host(), state, rtol=tol, atol=tol)
        compared.append(rule)

    def run_both(rule, flags, param, grad, state, hyper, lo, hi):
        d_param, d_grad, d_state = on_device(param, grad, state)
        cuda_driver.launch_rule(rule, flags, d_param, d_grad, d_state, hyper, lo, hi,
                                threads_per_block=8)
        cpu_run(rule, flags, param, grad, state, hyper, lo, hi)
        check(d_param, d_state, param, state, rule)

    def run_both_factored(rule, flags, param, grad, state, hyper, lo, hi, shape):
        d_param, d_grad, d_state = on_device(param, grad, state)
        cuda_driver.launch_factored(rule, flags, d_param, d_grad, d_state, hyper, lo, hi,
                                    shape, threads_per_block=8)
        cpu_run_factored(rule, flags, param, grad, state, hyper, lo, hi, shape)
        check(d_param, d_state, param, state, rule)

    monkeypatch.setattr(_arrays._Host, "run", staticmethod(run_both))
    monkeypatch.setattr(_arrays._Host, "run_factored", staticmethod(run_both_factored))
    for k in range(4):
        opt.zero_grad()
        for w in params:
            w.grad = (np.sin(np.arange(w.size).reshape(w.shape) + k) + 0.3 * w.data).astype(dtype)
        opt.step()
    assert len(compared) == 4 * len(params)
