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


# -- the ``fuzz`` marker (tests/test_fuzz.py's extended run) ------------------------------------
def pytest_configure(config):
    """Register ``fuzz`` and deselect its tests unless ``-m`` names it: the default run has
    test_fuzz.py's few hundred cases, ``pytest -m fuzz`` the thousands more."""
    config.addinivalue_line(
        "markers", "fuzz: tests/test_fuzz.py's extended run (thousands of seeded cases); "
        "deselected unless -m selects fuzz")
    if not config.pluginmanager.has_plugin("numopt-fuzz-deselect"):
        config.pluginmanager.register(_FuzzDeselect(), "numopt-fuzz-deselect")


class _FuzzDeselect:
    """A plugin object, so that this hook does not replace the module's
    ``pytest_collection_modifyitems`` above."""

    @staticmethod
    def pytest_collection_modifyitems(config, items):
        if "fuzz" in (config.getoption("markexpr") or ""):
            return
        keep, drop = [], []
        for item in items:
            (keep if item.get_closest_marker("fuzz") is None else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
