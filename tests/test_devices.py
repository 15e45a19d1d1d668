"""Without a GPU or the simulator, asking for CUDA fails loudly."""
import os

import pytest

from numopt._drivers import cuda as cuda_driver


@pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", reason="the simulator provides CUDA")
def test_require_cuda_raises_clear_error_without_gpu(monkeypatch):
    monkeypatch.setattr(cuda_driver, "cuda_available", lambda: False)
    with pytest.raises(RuntimeError, match="numba-cuda"):
        cuda_driver.require_cuda()
