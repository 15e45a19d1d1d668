"""The LM state machine in a ``prange`` batch and one fit per CUDA thread: each row of a
2-D workspace runs the very ``init``/``step`` of the single fit, and gives its result.

The CUDA test is marked ``cuda`` (numba's simulator in CI, NUMBA_ENABLE_CUDASIM=1)."""
import math

import numpy as np
import pytest
from numba import cuda, njit, prange

from numopt._fingerprint import source_fingerprint
from numopt._fit import _lm
from numopt._fit._drive_lm import lm_options, solve_lm
from numopt._minimize import _workspace as W
from numopt._minimize._standalone import jitable

B, M = 6, 20
_T = np.linspace(0.0, 5.0, M)


def _data():
    rng = np.random.default_rng(7)
    true = np.column_stack([rng.uniform(1, 3, B), rng.uniform(0.3, 1.5, B), rng.uniform(-1, 1, B)])
    Y = true[:, :1] * np.exp(-true[:, 1:2] * _T) + true[:, 2:] + 0.01 * rng.standard_normal((B, M))
    X0 = np.tile([1.0, 1.0, 0.0], (B, 1))
    return X0, Y


# The model written with scalar math, so that every driver does the same arithmetic.
def _res_scalar(x, r, t, y):
    for i in range(t.size):
        r[i] = x[0] * math.exp(-x[1] * t[i]) + x[2] - y[i]


def _jac_scalar(x, J, t):
    m = t.size
    for i in range(m):   # column-major: entry (i, j) at j * m + i
        e = math.exp(-x[1] * t[i])
        J[i] = e
        J[m + i] = -x[0] * t[i] * e
        J[2 * m + i] = 1.0


def _python_fit(x0, y, jac):
    def fun(x):
        r = np.empty(M)
        _res_scalar(x, r, _T, y)
        return r

    def jf(x):
        J = np.empty(3 * M)
        _jac_scalar(x, J, _T)
        return J.reshape(3, M).T

    return solve_lm(fun, x0, jac=jf if jac == "callable" else jac)


_res_j = jitable(_res_scalar)
_jac_j = jitable(_jac_scalar)
_init_j = jitable(_lm.init)
_step_j = jitable(_lm.step)


def _make_prange_batch():
    # Cached on disk, closing over the fingerprint of numopt's sources so that an edit of
    # the state machine is never served a stale compilation (see numopt._fingerprint).
    fp = source_fingerprint("_fit", "_minimize")

    def batch(WS, IWS, X0, Y, t, fopts, iopts):
        fp  # noqa: B018 -- part of the cache key
        n = X0.shape[1]
        m = t.size
        for b in prange(WS.shape[0]):
            ws = WS[b]
            iws = IWS[b]
            _init_j(ws, iws, X0[b], m, fopts, iopts)
            while iws[W.TASK] != W.DONE:
                xo = iws[W.X]
                if iws[W.TASK] == _lm.JACOBIAN:
                    jo = iws[_lm.JAC]
                    _jac_j(ws[xo:xo + n], ws[jo:jo + m * n], t)
                else:
                    go = iws[W.G]
                    _res_j(ws[xo:xo + n], ws[go:go + m], t, Y[b])
                _step_j(ws, iws)

    return njit(parallel=True, cache=True)(batch)


_prange_batch = _make_prange_batch()


def _rows(WS, IWS, n):
    out = []
    for ws, iws in zip(WS, IWS):
        xo = iws[W.XR]
        out.append((ws[xo:xo + n].copy(), int(iws[W.NFEV]), int(iws[_lm.NJEV]),
                    int(iws[_lm.INFO])))
    return out


@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
def test_prange_batch_equals_single_fits(jac):
    X0, Y = _data()
    n = X0.shape[1]
    fopts, iopts = lm_options(n, (lambda x: None) if jac == "callable" else jac)
    sw, si = _lm.sizes(n, M)
    WS, IWS = np.zeros((B, sw)), np.zeros((B, si), dtype=np.int64)
    _prange_batch(WS, IWS, X0, Y, _T, fopts, iopts)
    for b, (x, nfev, njev, info) in enumerate(_rows(WS, IWS, n)):
        single = _python_fit(X0[b], Y[b], jac)
        np.testing.assert_array_equal(x, single["x"])
        assert nfev == single["nfev"] and info == single["info"]
        if jac == "callable":
            assert njev == single["njev"]
        assert single["status"] > 0


@pytest.mark.cuda
@pytest.mark.parametrize("jac", ["2-point", "3-point", "callable"])
def test_one_fit_per_cuda_thread_equals_single_fits(jac):
    # (the kernel reads the module's name cuda: the simulator swaps it for its own)
    init_d = cuda.jit(device=True)(_lm.init)
    step_d = cuda.jit(device=True)(_lm.step)
    res_d = cuda.jit(device=True)(_res_scalar)
    jac_d = cuda.jit(device=True)(_jac_scalar)
    TASK, DONE, X, G = W.TASK, W.DONE, W.X, W.G  # the header's slots, as constants
    JAC, JACOBIAN = _lm.JAC, _lm.JACOBIAN

    @cuda.jit
    def kernel(WS, IWS, X0, Y, t, fopts, iopts):
        b = cuda.grid(1)
        if b >= WS.shape[0]:
            return
        n = X0.shape[1]
        m = t.size
        ws = WS[b]
        iws = IWS[b]
        init_d(ws, iws, X0[b], m, fopts, iopts)
        while iws[TASK] != DONE:
            xo = iws[X]
            if iws[TASK] == JACOBIAN:
                jo = iws[JAC]
                jac_d(ws[xo:xo + n], ws[jo:jo + m * n], t)
            else:
                go = iws[G]
                res_d(ws[xo:xo + n], ws[go:go + m], t, Y[b])
            step_d(ws, iws)

    X0, Y = _data()
    n = X0.shape[1]
    fopts, iopts = lm_options(n, (lambda x: None) if jac == "callable" else jac)
    sw, si = _lm.sizes(n, M)
    WS, IWS = np.zeros((B, sw)), np.zeros((B, si), dtype=np.int64)
    threads = 4   # two blocks, the second partly filled
    kernel[(B + threads - 1) // threads, threads](WS, IWS, X0, Y, _T, fopts, iopts)
    for b, (x, nfev, njev, info) in enumerate(_rows(WS, IWS, n)):
        single = _python_fit(X0[b], Y[b], jac)
        # a GPU's exp may differ from the CPU's in the last bit
        np.testing.assert_allclose(x, single["x"], rtol=1e-9)
        assert nfev == single["nfev"] and info == single["info"]
