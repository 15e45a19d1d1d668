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
    w = Parameter(rng.standard_normal(n).astype(dtype))
    opt = cls([w], **kwargs)
    compared = []

    def run_both(rule, flags, param, grad, state, hyper, lo, hi):
        d_param, d_grad, d_state = (cuda.to_device(a.copy()) for a in (param, grad, state))
        cuda_driver.launch_rule(rule, flags, d_param, d_grad, d_state, hyper, lo, hi,
                                threads_per_block=8)
        cpu_run(rule, flags, param, grad, state, hyper, lo, hi)
        tol = 1e-14 if dtype == np.float64 else 1e-6
        np.testing.assert_allclose(d_param.copy_to_host(), param, rtol=tol, atol=tol)
        np.testing.assert_allclose(d_state.copy_to_host(), state, rtol=tol, atol=tol)
        compared.append(rule)

    monkeypatch.setattr(_arrays._Host, "run", staticmethod(run_both))
    for k in range(4):
        opt.zero_grad()
        w.grad = (np.sin(np.arange(n) + k) + 0.3 * w.data).astype(dtype)
        opt.step()
    assert len(compared) == 4
