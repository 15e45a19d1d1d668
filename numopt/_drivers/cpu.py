"""CPU drivers: compile an update rule into a serial and a threaded loop.

An element-wise rule is one loop over a whole bucket (:func:`rule_drivers`); a factored
rule (Adafactor) is a few phases over one parameter at a time (:func:`factored_drivers`).

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
  per-process uuid and recompile in every new process.) A fingerprint of the source
  compiled into them (the rule's module and the helpers it calls, see
  :func:`numopt._fingerprint.code_fingerprint`) is closed over too, so editing a rule or
  one of its helpers invalidates its cached drivers, and no other rule's.
"""
import types

import numba
import numpy as np
from numba import njit, prange, uintp
from numba.extending import register_jitable

from .. import config
from .._cache import BoundedCache
from .._fingerprint import code_fingerprint

_OPTIONS = dict(cache=True, error_model="numpy", nogil=True)
# By rule and flags, and by rule function (numopt's own): a few per optimizer.
_compiled = BoundedCache("drivers.cpu", maxsize=256)
_elements = BoundedCache("drivers.elements", maxsize=1024)


def _element(update, inline="always"):
    # register_jitable keeps ``update`` a plain function (pickled by reference, see
    # above). Registered once; after an eviction or clear() again, which numba accepts.
    elem = _elements.get(update)
    if elem is None:
        elem = _elements[update] = register_jitable(inline=inline)(update)
    return elem


def rule_drivers(rule, flags):
    """Return the compiled ``(serial, parallel)`` drivers of an element-wise rule.

    Both have the signature ``(param, grad, state, hyper, lo, hi)`` and apply
    ``rule.update`` with the constant ``flags`` to elements ``lo <= i < hi`` of the flat
    buffers: ``param`` and ``grad`` 1-D, ``state`` 2-D with one row per state array,
    ``hyper`` a tuple of per-step scalars.
    """
    key = (rule, flags)
    drivers = _compiled.get(key)
    if drivers is not None:
        return drivers
    update = rule.update
    elem = _element(update)
    fingerprint = code_fingerprint(update)
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


# -- factored rules (Adafactor) -----------------------------------------------------------
#: Columns per work item of the threaded column sums.
_COLUMN_TILE = 512


def factors(shape):
    """``(R, C, factored)`` of a parameter of ``shape`` for a factored rule: its last two
    dimensions (rows and columns), or for fewer than two dimensions one row per element
    (``C = 1``, not factored)."""
    shape = tuple(shape)  # (the CUDA simulator's shapes refuse negative indices)
    if len(shape) >= 2:
        return int(shape[-2]), int(shape[-1]), True
    n = 1
    for s in shape:
        n *= int(s)
    return n, 1, False


def factored_drivers(rule, flags):
    """Return the compiled ``(serial, parallel)`` drivers of a factored rule (a
    :class:`numopt._rules._record.Rule` of ``kind="factored"``).

    Both have the signature ``(param, grad, state, hyper, lo, hi, R, C, factored)`` and
    update one parameter, elements ``lo <= i < hi`` of the flat buffers, seen as
    ``(hi - lo) // (R * C)`` batches of ``R`` rows of ``C`` columns, in the phases of
    :class:`numopt._rules._record.FactoredPhases`. They are one function compiled with
    and without ``parallel``: every sum is taken in fixed chunks (of elements, of rows,
    of columns) whose partial sums are added in order, so both give the same bits.
    """
    key = ("factored", rule, flags)
    drivers = _compiled.get(key)
    if drivers is not None:
        return drivers
    (param_square, grad_square, row_update, col_update, row_mean, scaled_update, step_size,
     apply) = (_element(phase, "never") for phase in rule.update)
    fingerprint = code_fingerprint(*rule.update)
    chunk, tile = config.CHUNK, _COLUMN_TILE

    def factored_step(param, grad, state, hyper, lo, hi, R, C, factored):
        fingerprint  # noqa: B018 -- part of the cache key, see module docstring
        # (each loop has names of its own: the threaded compile makes loop bodies
        # functions of their own, and a name shared with the code around would be a
        # value carried in or out)
        n = hi - lo
        nrows = n // C
        nbatch = nrows // R
        # 1. the sum of squares of the parameter (its RMS scales the step)
        nchunks = (n + chunk - 1) // chunk
        param_partial = np.empty(nchunks)
        for ch in prange(nchunks):
            start1 = lo + ch * chunk
            acc1 = 0.0
            for i1 in range(uintp(start1), uintp(min(hi, start1 + chunk))):
                acc1 += param_square(i1, param, grad, state, hyper, flags)
            param_partial[ch] = acc1
        param_ssq = 0.0
        for ch1 in range(nchunks):
            param_ssq += param_partial[ch1]
        # 2. each row's mean square into its statistic (a vector: each element's)
        per_chunk = max(1, chunk // C)
        nrchunks = (nrows + per_chunk - 1) // per_chunk
        for rc2 in prange(nrchunks):
            for k2 in range(rc2 * per_chunk, min(nrows, rc2 * per_chunk + per_chunk)):
                base2 = lo + k2 * C
                acc2 = 0.0
                for i2 in range(uintp(base2), uintp(base2 + C)):
                    acc2 += grad_square(i2, param, grad, state, hyper, flags)
                row_update(uintp(lo + k2), param, grad, state, hyper, flags, acc2, C)
        means = np.ones(nbatch, param.dtype)
        if factored:
            # 3. each column's mean square, summed over the rows in order, a tile of
            # columns at a time; then each batch's mean row statistic
            tiles = (C + tile - 1) // tile
            for t3 in prange(nbatch * tiles):
                b3 = t3 // tiles
                c0 = (t3 - b3 * tiles) * tile
                c1 = min(C, c0 + tile)
                acc3 = np.zeros(c1 - c0)
                for r3 in range(R):
                    base3 = lo + (b3 * R + r3) * C
                    for c3 in range(c0, c1):
                        acc3[c3 - c0] += grad_square(uintp(base3 + c3), param, grad, state,
                                                     hyper, flags)
                for c3b in range(c0, c1):
                    col_update(uintp(lo + b3 * C + c3b), param, grad, state, hyper, flags,
                               acc3[c3b - c0], R)
            for b4 in range(nbatch):
                acc4 = 0.0
                for k4 in range(b4 * R, b4 * R + R):
                    acc4 += float(state[0, lo + k4])
                means[b4] = row_mean(param, grad, state, hyper, flags, acc4, R)
        # 4. the sum of squares of the update (its RMS clips the step)
        update_partial = np.empty(nrchunks)
        for rc5 in prange(nrchunks):
            acc5 = 0.0
            for k5 in range(rc5 * per_chunk, min(nrows, rc5 * per_chunk + per_chunk)):
                b5 = k5 // R
                ri5, ci5, base5 = uintp(lo + k5), uintp(lo + b5 * C), uintp(lo + k5 * C)
                mean5 = means[b5]
                for c5 in range(uintp(0), uintp(C)):
                    u5 = scaled_update(base5 + c5, param, grad, state, hyper, flags, ri5,
                                       ci5 + c5, mean5, factored)
                    acc5 += float(u5) * float(u5)
            update_partial[rc5] = acc5
        update_ssq = 0.0
        for rc6 in range(nrchunks):
            update_ssq += update_partial[rc6]
        step = step_size(param, hyper, flags, n, param_ssq, update_ssq)
        # 5. the update, its scaled_update computed again (rather than stored)
        for rc7 in prange(nrchunks):
            for k7 in range(rc7 * per_chunk, min(nrows, rc7 * per_chunk + per_chunk)):
                b7 = k7 // R
                ri7, ci7, base7 = uintp(lo + k7), uintp(lo + b7 * C), uintp(lo + k7 * C)
                mean7 = means[b7]
                for c7 in range(uintp(0), uintp(C)):
                    u7 = scaled_update(base7 + c7, param, grad, state, hyper, flags, ri7,
                                       ci7 + c7, mean7, factored)
                    apply(base7 + c7, param, grad, state, hyper, flags, u7, step)

    name = f"{rule.name}_{''.join('1' if x else '0' for x in flags)}"
    serial = _renamed(factored_step, f"serial_{name}")
    parallel = _renamed(factored_step, f"parallel_{name}")
    drivers = (njit(**_OPTIONS)(serial), njit(parallel=True, **_OPTIONS)(parallel))
    _compiled[key] = drivers
    return drivers


def _renamed(func, qualname):
    """A copy of ``func`` (same code and closure) under another qualified name: one cache
    index file per driver."""
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                              func.__defaults__, func.__closure__)
    copy.__qualname__ = qualname
    return copy


def run_factored(rule, flags, param, grad, state, hyper, lo, hi, shape):
    """Apply the factored ``rule`` to one parameter of ``shape``, elements ``[lo, hi)``,
    threaded when it is large."""
    if hi <= lo:
        return  # an empty parameter: nothing to update (torch only counts the step)
    R, C, factored = factors(shape)
    serial, parallel = factored_drivers(rule, flags)
    if hi - lo >= config.PARALLEL_THRESHOLD and numba.get_num_threads() > 1:
        parallel(param, grad, state, hyper, lo, hi, R, C, factored)
    else:
        serial(param, grad, state, hyper, lo, hi, R, C, factored)
