"""MINPACK's linear algebra (numopt._fit._minpack_linalg) against numpy and scipy.

Each routine runs twice, as plain Python and compiled by numba, and the two must agree bit
for bit (the state machine runs either way)."""
import numpy as np
import pytest
import scipy.linalg
from numba import njit

from numopt._fit import _minpack_linalg as L


@njit
def _enorm_jit(v):
    return L.enorm(v, 0, v.size)


@njit
def _qrfac_jit(ws, m, n, iws):
    L.qrfac(ws, 0, m, m, n, iws, 0, m * n, m * n + n, m * n + 2 * n)


@njit
def _lmpar_jit(ws, m, n, iws, delta, par):
    # layout of _pack below
    mn = m * n
    return L.lmpar(ws, 0, m, n, iws, 0, mn, mn + n, delta, par, mn + 2 * n, mn + 3 * n,
                   mn + 4 * n, mn + 5 * n)


def _qrfac_py(ws, m, n, iws):
    L.qrfac(ws, 0, m, m, n, iws, 0, m * n, m * n + n, m * n + 2 * n)


def _lmpar_py(ws, m, n, iws, delta, par):
    mn = m * n
    return L.lmpar(ws, 0, m, n, iws, 0, mn, mn + n, delta, par, mn + 2 * n, mn + 3 * n,
                   mn + 4 * n, mn + 5 * n)


RUNNERS = {"python": (_qrfac_py, _lmpar_py, lambda v: L.enorm(v, 0, v.size)),
           "compiled": (_qrfac_jit, _lmpar_jit, _enorm_jit)}


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("scale", [1.0, 1e-25, 1e25, "mixed"])
def test_enorm_matches_the_euclidean_norm_without_overflow(runner, scale):
    rng = np.random.default_rng(0)
    v = rng.standard_normal(7)
    if scale == "mixed":   # small, intermediate and large components together
        v = v * np.array([1e-30, 1e-21, 1.0, 3.0, 1e18, 1e20, 0.0])
    else:
        v = v * scale
    ref = scale * np.linalg.norm(v / scale) if scale != "mixed" else np.sqrt(
        np.sum((v / 1e20) ** 2)) * 1e20
    got = RUNNERS[runner][2](v)
    assert got == pytest.approx(ref, rel=4e-16 * 8)
    assert RUNNERS[runner][2](np.zeros(3)) == 0.0


def _factor(A, runner):
    m, n = A.shape
    ws = np.zeros(m * n + 3 * n)
    ws[:m * n] = A.T.ravel()          # column-major
    iws = np.zeros(n, dtype=np.int64)
    RUNNERS[runner][0](ws, m, n, iws)
    a = ws[:m * n].reshape(n, m).T    # back to (m, n)
    rdiag, acnorm = ws[m * n:m * n + n], ws[m * n + n:m * n + 2 * n]
    R = np.triu(a[:n, :n], 1) + np.diag(rdiag)
    return a, R, iws.copy(), acnorm.copy()


def _q_times(a, v):
    """Q v for the Householder vectors left by qrfac in the lower trapezoid of ``a``."""
    m, n = a.shape
    out = v.copy()
    for j in range(n - 1, -1, -1):
        u = np.zeros(m)
        u[j:] = a[j:, j]
        if u[j] != 0.0:
            out -= u * (u @ out) / u[j]
    return out


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("shape", [(6, 4), (5, 5), (9, 3)])
def test_qrfac_is_a_pivoted_qr(runner, shape):
    rng = np.random.default_rng(sum(shape))
    A = rng.standard_normal(shape) * np.array([1.0, 10.0, 0.1, 3.0, 1.0][:shape[1]])
    a, R, perm, acnorm = _factor(A, runner)
    m, n = shape
    np.testing.assert_allclose(acnorm, np.linalg.norm(A, axis=0), rtol=1e-15)
    Q = np.column_stack([_q_times(a, e) for e in np.eye(m)])
    np.testing.assert_allclose(Q.T @ Q, np.eye(m), atol=1e-14)
    RR = np.vstack([R, np.zeros((m - n, n))])
    np.testing.assert_allclose(Q @ RR, A[:, perm], atol=1e-13 * np.abs(A).max())
    # LAPACK's geqp3 chooses the same pivots (largest remaining column norm) and the same
    # R up to the signs of its rows.
    R_ref, p_ref = scipy.linalg.qr(A, mode="r", pivoting=True)
    np.testing.assert_array_equal(perm, p_ref)
    np.testing.assert_allclose(np.abs(R), np.abs(R_ref[:n]), rtol=1e-12, atol=1e-13)


def test_qrfac_rank_deficient_keeps_a_zero_pivot():
    A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 0.0, 1.0], [1.0, 2.0, 0.0]])
    for runner in RUNNERS:
        a, R, perm, _ = _factor(A, runner)
        assert abs(R[2, 2]) < 1e-14 * np.abs(A).max()
        assert sorted(perm) == [0, 1, 2]


def _pack(A, b, d, runner):
    """Factor A, form Q^T b, and lay out the lmpar workspace of _lmpar_*."""
    m, n = A.shape
    a, R, perm, _ = _factor(A, runner)
    qtb = _q_times_t(a, b)[:n]
    ws = np.zeros(m * n + 6 * n)
    full = a.copy()
    full[:n, :n] = np.triu(R)          # R with its diagonal, as lmder leaves it in fjac
    ws[:m * n] = full.T.ravel()
    ws[m * n:m * n + n] = d
    ws[m * n + n:m * n + 2 * n] = qtb
    return ws, perm.astype(np.int64)


def _q_times_t(a, v):
    m, n = a.shape
    out = v.copy()
    for j in range(n):
        u = np.zeros(m)
        u[j:] = a[j:, j]
        if u[j] != 0.0:
            out -= u * (u @ out) / u[j]
    return out


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("radius", [1e-3, 0.05, 1.0, 1e3])
def test_lmpar_solves_the_damped_problem_on_the_trust_region(runner, radius):
    rng = np.random.default_rng(3)
    m, n = 8, 4
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    d = np.array([1.0, 2.0, 0.5, 3.0])
    ws, perm = _pack(A, b, d, runner)
    par = RUNNERS[runner][1](ws, m, n, perm, radius, 0.0)
    x = ws[m * n + 2 * n:m * n + 3 * n]
    gn = np.linalg.lstsq(A, b, rcond=None)[0]
    if par == 0.0:
        # Gauss-Newton step inside the region (up to MINPACK's 10% slack).
        assert np.linalg.norm(d * gn) <= 1.1 * radius
        np.testing.assert_allclose(x, gn, rtol=1e-12)
    else:
        ref = np.linalg.lstsq(np.vstack([A, np.sqrt(par) * np.diag(d)]),
                              np.concatenate([b, np.zeros(n)]), rcond=None)[0]
        np.testing.assert_allclose(x, ref, rtol=1e-10, atol=1e-14)
        assert abs(np.linalg.norm(d * x) - radius) <= 0.1 * radius
    assert (radius >= 1.0) == (par == 0.0)   # these radii sit on either side of ||D gn||


def test_lmpar_python_and_compiled_agree_bit_for_bit():
    rng = np.random.default_rng(5)
    m, n = 7, 5
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    d = rng.uniform(0.5, 2.0, n)
    out = []
    for runner in RUNNERS:
        ws, perm = _pack(A, b, d, runner)
        par = RUNNERS[runner][1](ws, m, n, perm, 0.01, 0.0)
        out.append((par, ws.copy()))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[0][1], out[1][1])
