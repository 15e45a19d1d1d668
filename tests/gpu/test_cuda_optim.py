"""numopt.optim on GPU-resident parameters: the same rules as CUDA kernels over device
flat buffers, following the CPU trajectories. Runs on numba's simulator in CI."""
import numpy as np
import pytest

from numopt import Parameter, optim
from tests.optim.test_common import OPTIMIZERS, IDS, grad_of

pytestmark = pytest.mark.cuda


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    from numopt import config

    monkeypatch.setattr(config, "CUDA_THREADS_PER_BLOCK", 8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_device_parameters_follow_the_cpu_trajectory(cls, kwargs, dtype):
    from numba import cuda

    rng = np.random.default_rng(0)
    shapes = [(5,), (2, 3)]
    x0 = [rng.standard_normal(s).astype(dtype) for s in shapes]
    host = [Parameter(x.copy()) for x in x0]
    dev = [Parameter(cuda.to_device(x.copy())) for x in x0]
    assert all(p.device == "cuda" for p in dev)
    opt_h = cls([{"params": host[:1]}, {"params": host[1:], "lr": 0.003}], **kwargs)
    opt_d = cls([{"params": dev[:1]}, {"params": dev[1:], "lr": 0.003}], **kwargs)
    for k in range(4):
        opt_h.zero_grad()
        opt_d.zero_grad()
        for h, d in zip(host, dev):
            g = grad_of(h, k)
            h.grad = g
            d.grad = cuda.to_device(g)  # a device gradient, copied on the device
        opt_h.step()
        opt_d.step()
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for h, d in zip(host, dev):
        np.testing.assert_allclose(d.data.copy_to_host(), h.data, rtol=tol, atol=tol)
    sd_h, sd_d = opt_h.state_dict(), opt_d.state_dict()
    for pid, entry in sd_h["state"].items():
        for key, value in entry.items():
            got = sd_d["state"][pid][key]
            assert isinstance(got, (np.ndarray, int, float)), key  # host values in state_dict
            np.testing.assert_allclose(got, value, rtol=tol, atol=tol, err_msg=key)


def test_device_state_dict_resume_and_host_gradients():
    from numba import cuda

    x0 = np.linspace(-1, 1, 6)
    p = Parameter(cuda.to_device(x0.copy()))
    opt = optim.Adam([p], lr=0.1)
    for k in range(3):
        p.grad = 2 * np.asarray(p)      # a host gradient is copied to the device
        opt.step()
    saved_x, sd = np.asarray(p).copy(), opt.state_dict()
    for k in range(3):
        p.grad = 2 * np.asarray(p)
        opt.step()
    q = Parameter(cuda.to_device(saved_x))
    opt2 = optim.Adam([q], lr=0.1)
    opt2.load_state_dict(sd)
    for k in range(3):
        q.grad = 2 * np.asarray(q)
        opt2.step()
    np.testing.assert_array_equal(np.asarray(q), np.asarray(p))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.copy_to_host(), np.zeros(6))


def test_device_parameter_dtype_is_checked():
    from numba import cuda

    with pytest.raises(TypeError, match="float32 or float64"):
        Parameter(cuda.to_device(np.arange(3)))


def test_lbfgs_refuses_gpu_parameters_clearly():
    from numba import cuda

    with pytest.raises(NotImplementedError, match="GPU parameters"):
        optim.LBFGS([Parameter(cuda.to_device(np.ones(3)))])
