"""Without a GPU or the simulator, asking for CUDA fails loudly."""
import os

import pytest

from numopt._drivers import cuda as cuda_driver


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", reason="the simulator provides CUDA")
def test_require_cuda_raises_clear_error_without_gpu(monkeypatch):
    monkeypatch.setattr(cuda_driver, "cuda_available", lambda: False)
    with pytest.raises(RuntimeError, match="numba-cuda"):
        cuda_driver.require_cuda()


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", reason="the simulator provides CUDA")
def test_minimize_batch_cuda_without_gpu_raises_clear_error(monkeypatch):
    import numpy as np

    import numopt

    monkeypatch.setattr(cuda_driver, "cuda_available", lambda: False)

    @numopt.objective(grad=True)
    def quad(x, g):
        for i in range(x.size):
            g[i] = 2.0 * x[i]
        return float((x * x).sum())

    with pytest.raises(RuntimeError, match="NUMBA_ENABLE_CUDASIM"):
        numopt.minimize_batch(quad, np.ones((3, 2)), method="BFGS", device="cuda")
