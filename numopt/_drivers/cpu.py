"""CPU drivers: compile an element-wise update rule into a serial and a threaded loop.

A rule is a :class:`numopt._rules._record.Rule`; its ``update`` is a plain function
``update(i, param, grad, state, hyper, flags)`` that updates element ``i`` of the flat
buffers in place (see :mod:`numopt._rules`). The same function is compiled here for the
CPU and in :mod:`numopt._drivers.cuda` for the GPU.

Three details matter for speed and start-up:

- Loop indices are unsigned. With a signed index numba inserts a negative-index
  wraparound check that stops LLVM from vectorising the loop (measured: 4x slower for
  Adam on 10M float32 elements).
- ``flags`` (the rule's structural options) is closed over, so numba compiles it as a
  constant and LLVM drops the untaken branches: one small loop per combination, each
  vectorised. Runtime flags with stores behind them kept float32 Adam scalar (7x slower).
- The drivers close over the rule as a plain Python function registered with
  ``register_jitable``. Numba keys its on-disk cache of a closure on the pickled closure
  variables; a plain module-level function pickles by reference, so the key is the
  same in every process and the cache hits. (Closing over a dispatcher would pickle a
  per-process uuid and recompile in every new process.) A fingerprint of the rules'
  source (:mod:`numopt._fingerprint`) is closed over too, so editing a rule or one of
  its helpers invalidates the cached drivers.
"""
import numba
from numba import njit, prange, uintp
from numba.extending import register_jitable

from .. import config
from .._fingerprint import source_fingerprint

_OPTIONS = dict(cache=True, error_model="numpy", nogil=True)
_compiled = {}
_elements = {}


def _element(update):
    # register_jitable keeps ``update`` a plain function (pickled by reference, see above).
    if update not in _elements:
        _elements[update] = register_jitable(inline="always")(update)
    return _elements[update]


def rule_drivers(rule, flags):
    """Return the compiled ``(serial, parallel)`` drivers of an element-wise rule.

    Both have the signature ``(param, grad, state, hyper, lo, hi)`` and apply
    ``rule.update`` with the constant ``flags`` to elements ``lo <= i < hi`` of the flat
    buffers: ``param`` and ``grad`` 1-D, ``state`` 2-D with one row per state array,
    ``hyper`` a tuple of per-step scalars.
    """
    key = (rule, flags)
    if key in _compiled:
        return _compiled[key]
    update = rule.update
    elem = _element(update)
    fingerprint = source_fingerprint("_rules", "_drivers")
    chunk = config.CHUNK

    def serial(param, grad, state, hyper, lo, hi):
        fingerprint  # noqa: B018 -- part of the cache key, see module docstring
        for i in range(uintp(lo), uintp(hi)):
            elem(i, param, grad, state, hyper, flags)

    def parallel(param, grad, state, hyper, lo, hi):
        fingerprint  # noqa: B018
        nchunks = (hi - lo + chunk - 1) // chunk
        for c in prange(nchunks):
            start = lo + c * chunk
            stop = min(hi, start + chunk)
            for i in range(uintp(start), uintp(stop)):
                elem(i, param, grad, state, hyper, flags)

    # One cache index file per rule, flag combination and driver.
    name = f"{update.__module__.rsplit('.', 1)[-1]}_{update.__name__}_{''.join('1' if x else '0' for x in flags)}"
    serial.__qualname__ = f"serial_{name}"
    parallel.__qualname__ = f"parallel_{name}"
    drivers = (njit(**_OPTIONS)(serial), njit(parallel=True, **_OPTIONS)(parallel))
    _compiled[key] = drivers
    return drivers


def run_rule(rule, flags, param, grad, state, hyper, lo, hi):
    """Apply ``rule`` to elements ``[lo, hi)``, threaded when the range is large."""
    serial, parallel = rule_drivers(rule, flags)
    if hi - lo >= config.PARALLEL_THRESHOLD and numba.get_num_threads() > 1:
        parallel(param, grad, state, hyper, lo, hi)
    else:
        serial(param, grad, state, hyper, lo, hi)
