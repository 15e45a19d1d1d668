"""Shared pytest configuration.

CUDA tests (marked ``cuda``) need a GPU or numba's simulator, which must be enabled
before numba is first imported; CI runs them in a separate process with
``NUMBA_ENABLE_CUDASIM=1`` (see .ci/run). In an ordinary run they are deselected with
that reason rather than failing for lack of hardware.
"""
import pytest


def _cuda_usable():
    from numopt._drivers.cuda import cuda_available

    return cuda_available()


def pytest_collection_modifyitems(config, items):
    if _cuda_usable():
        return
    skip = pytest.mark.skip(reason="no GPU and NUMBA_ENABLE_CUDASIM is not set; CI runs these under the simulator")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)
