"""MINPACK's linear algebra for Levenberg-Marquardt: ``enorm``, ``qrfac``, ``qrsolv``, ``lmpar``.

Written after the algorithms of MINPACK-1 (Moré, Garbow and Hillstrom, Argonne 1980), in
the same order of operations, so that the Levenberg-Marquardt iterations of
:mod:`numopt._fit._lm` follow those of MINPACK's ``lmder`` (which scipy's
``least_squares(method="lm")`` calls).

Every function works in place on flat arrays given with offsets, and allocates nothing:
the same code then runs in a Python loop, a compiled loop, a ``prange`` batch and one CUDA
thread. Conventions:

- matrices are **column-major** with leading dimension ``ld``, as MINPACK's ``fjac``:
  entry (i, j) of the matrix at offset ``a`` is ``ws[a + j * ld + i]``, so a column is a
  contiguous run of ``ws``;
- the column permutation ``ipvt`` is 0-based (MINPACK's is 1-based) and lives in an int64
  array (``iws``) at offset ``p``.
"""
import math

import numpy as np

from .._minimize._standalone import jitable

__all__ = ["enorm", "qrfac", "qrsolv", "lmpar", "EPSMCH", "DWARF"]

EPSMCH = float(np.finfo(np.float64).eps)    # MINPACK's dpmpar(1)
DWARF = float(np.finfo(np.float64).tiny)    # dpmpar(2), the smallest normal number

# enorm's thresholds: squares of components between them neither underflow nor
# overflow. MINPACK's 3.834e-20 and 1.304e19 rounded these powers of two, which scipy's C
# translation uses (and so does this, for scipy's iterates bit for bit).
_RGIANT = 2.0 ** 63.5
_RDWARF = 0.5 / _RGIANT


@jitable
def enorm(v, o, n):
    """Euclidean norm of ``v[o:o + n]``, without destructive underflow or overflow.

    Parameters
    ----------
    v : float64 array
    o : int
        Offset of the first component.
    n : int
        Number of components.

    Returns
    -------
    float

    Notes
    -----
    MINPACK's ``enorm``: the squares of small (at most ``2**-64.5``), intermediate and
    large (at least ``2**63.5 / n``) components are summed separately, the small and
    large ones scaled by the largest of their kind, and combined at the end. The result
    differs from a plain ``sqrt(sum(v**2))`` in the last bits, which is why it is kept:
    the trust-region radius and every termination test are computed from it.
    """
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    x1max = 0.0
    x3max = 0.0
    agiant = _RGIANT / n
    for i in range(n):
        xabs = abs(v[o + i])
        if xabs > _RDWARF and xabs < agiant:
            s2 += xabs * xabs
        elif xabs <= _RDWARF:
            if xabs <= x3max:
                if xabs != 0.0:
                    t = xabs / x3max
                    s3 += t * t
            else:
                t = x3max / xabs
                s3 = 1.0 + s3 * t * t
                x3max = xabs
        elif xabs <= x1max:
            t = xabs / x1max
            s1 += t * t
        else:
            t = x1max / xabs
            s1 = 1.0 + s1 * t * t
            x1max = xabs
    if s1 != 0.0:
        return x1max * math.sqrt(s1 + (s2 / x1max) / x1max)
    if s2 == 0.0:
        return x3max * math.sqrt(s3)
    if s2 >= x3max:
        return math.sqrt(s2 * (1.0 + (x3max / s2) * (x3max * s3)))
    return math.sqrt(x3max * ((s2 / x3max) + (x3max * s3)))


@jitable
def qrfac(ws, a, ld, m, n, iws, p, rdiag, acnorm, wa):
    """QR factorization with column pivoting, by Householder reflections, in place.

    Computes ``A P = Q R`` for the ``m x n`` matrix at ``ws[a]`` (column-major, leading
    dimension ``ld``, ``m >= n``), choosing at each stage the remaining column of largest
    norm, as MINPACK's ``qrfac`` with ``pivot = .true.``.

    Parameters
    ----------
    ws : float64 array
        Holds the matrix and the three work vectors below.
    a, ld, m, n : int
        Offset, leading dimension and shape of the matrix. On return its strict upper
        triangle holds R's (R's diagonal is ``rdiag``) and its lower trapezoid the
        Householder vectors: column j holds ``u_j`` in rows ``j..m-1``, with
        ``Q = H_0 H_1 ... H_{n-1}`` and ``H_j = I - u_j u_j^T / u_j[j]``.
    iws : int64 array
        Receives the permutation at ``iws[p:p + n]``: column j of ``A P`` is column
        ``iws[p + j]`` of A.
    p : int
    rdiag, acnorm, wa : int
        Offsets of length-n vectors: R's diagonal, the column norms of the original A,
        and scratch.
    """
    for j in range(n):
        nrm = enorm(ws, a + j * ld, m)
        ws[acnorm + j] = nrm
        ws[rdiag + j] = nrm
        ws[wa + j] = nrm
        iws[p + j] = j
    for j in range(min(m, n)):
        # Bring the column of largest remaining norm into the pivot position.
        kmax = j
        for k in range(j, n):
            if ws[rdiag + k] > ws[rdiag + kmax]:
                kmax = k
        if kmax != j:
            cj = a + j * ld
            ck = a + kmax * ld
            for i in range(m):
                t = ws[cj + i]
                ws[cj + i] = ws[ck + i]
                ws[ck + i] = t
            ws[rdiag + kmax] = ws[rdiag + j]
            ws[wa + kmax] = ws[wa + j]
            k = iws[p + j]
            iws[p + j] = iws[p + kmax]
            iws[p + kmax] = k
        # The reflection that zeroes column j below the diagonal.
        cj = a + j * ld
        ajnorm = enorm(ws, cj + j, m - j)
        if ajnorm != 0.0:
            if ws[cj + j] < 0.0:
                ajnorm = -ajnorm
            for i in range(j, m):
                ws[cj + i] = ws[cj + i] / ajnorm
            ws[cj + j] = ws[cj + j] + 1.0
            # Apply it to the remaining columns and downdate their norms.
            for k in range(j + 1, n):
                ck = a + k * ld
                s = 0.0
                for i in range(j, m):
                    s += ws[cj + i] * ws[ck + i]
                t = s / ws[cj + j]
                for i in range(j, m):
                    ws[ck + i] = ws[ck + i] - t * ws[cj + i]
                if ws[rdiag + k] != 0.0:
                    t = ws[ck + j] / ws[rdiag + k]
                    ws[rdiag + k] = ws[rdiag + k] * math.sqrt(max(0.0, 1.0 - t * t))
                    q = ws[rdiag + k] / ws[wa + k]
                    if 0.05 * (q * q) <= EPSMCH:
                        # The downdated norm has lost its accuracy: recompute it.
                        nrm = enorm(ws, ck + j + 1, m - j - 1)
                        ws[rdiag + k] = nrm
                        ws[wa + k] = nrm
        ws[rdiag + j] = -ajnorm


@jitable
def qrsolv(ws, r, ld, n, iws, p, diag, qtb, x, sdiag, wa):
    """Solve ``A x = b, D x = 0`` in the least-squares sense, given the QR factorization of A.

    With ``A P = Q R`` (from :func:`qrfac`) and ``qtb`` the first n components of
    ``Q^T b``, finds x minimising ``||A x - b||^2 + ||D x||^2`` for the diagonal D, by
    Givens rotations that eliminate ``P^T D P`` from ``[R; P^T D P]`` (MINPACK's
    ``qrsolv``).

    Parameters
    ----------
    ws : float64 array
    r, ld, n : int
        Offset and leading dimension of the ``n x n`` upper triangle R (the first n rows
        of :func:`qrfac`'s result). On return R's full upper triangle is unaltered, its
        strict lower triangle holds the transpose of the strict upper triangle of S, the
        triangular factor with ``P^T (A^T A + D D) P = S^T S``.
    iws, p : int64 array, int
        The permutation at ``iws[p:p + n]``.
    diag, qtb, x, sdiag, wa : int
        Offsets of length-n vectors: D's diagonal, ``Q^T b``, the solution (output), S's
        diagonal (output) and scratch.
    """
    # Copy R and Q^T b, to keep R's upper triangle intact.
    for j in range(n):
        for i in range(j, n):
            ws[r + j * ld + i] = ws[r + i * ld + j]
        ws[x + j] = ws[r + j * ld + j]
        ws[wa + j] = ws[qtb + j]
    # Eliminate D by Givens rotations, one row of P^T D P at a time.
    for j in range(n):
        dj = ws[diag + iws[p + j]]
        if dj != 0.0:
            for k in range(j, n):
                ws[sdiag + k] = 0.0
            ws[sdiag + j] = dj
            # The rotations touch only components j..n-1 of the rotated Q^T b, and of
            # them the extra row's component starts at 0.
            qtbpj = 0.0
            for k in range(j, n):
                sk = ws[sdiag + k]
                if sk != 0.0:
                    rkk = ws[r + k * ld + k]
                    if abs(rkk) >= abs(sk):
                        tan = sk / rkk
                        cos = 0.5 / math.sqrt(0.25 + 0.25 * (tan * tan))
                        sin = cos * tan
                    else:
                        cotan = rkk / sk
                        sin = 0.5 / math.sqrt(0.25 + 0.25 * (cotan * cotan))
                        cos = sin * cotan
                    ws[r + k * ld + k] = cos * rkk + sin * sk
                    t = cos * ws[wa + k] + sin * qtbpj
                    qtbpj = -sin * ws[wa + k] + cos * qtbpj
                    ws[wa + k] = t
                    ck = r + k * ld
                    for i in range(k + 1, n):
                        t = cos * ws[ck + i] + sin * ws[sdiag + i]
                        ws[sdiag + i] = -sin * ws[ck + i] + cos * ws[sdiag + i]
                        ws[ck + i] = t
        ws[sdiag + j] = ws[r + j * ld + j]
        ws[r + j * ld + j] = ws[x + j]
    # Solve S z = Q^T b by back substitution; a singular S gives the least-squares
    # solution with the trailing components zero.
    nsing = n
    for j in range(n):
        if ws[sdiag + j] == 0.0 and nsing == n:
            nsing = j
        if nsing < n:
            ws[wa + j] = 0.0
    for j in range(nsing - 1, -1, -1):
        s = 0.0
        cj = r + j * ld
        for i in range(j + 1, nsing):
            s += ws[cj + i] * ws[wa + i]
        ws[wa + j] = (ws[wa + j] - s) / ws[sdiag + j]
    for j in range(n):
        ws[x + iws[p + j]] = ws[wa + j]


@jitable
def lmpar(ws, r, ld, n, iws, p, diag, qtb, delta, par, x, sdiag, wa1, wa2):
    """The Levenberg-Marquardt parameter for a trust region of radius ``delta``.

    Finds ``par >= 0`` such that the solution x of ``A x = b, sqrt(par) D x = 0`` (least
    squares) has ``||D x||`` within 10% of ``delta``, or ``par = 0`` if the Gauss-Newton
    step already has ``||D x|| <= 1.1 delta`` (MINPACK's ``lmpar``: at most 10
    safeguarded Newton iterations on ``||D x(par)|| - delta``).

    Parameters
    ----------
    ws : float64 array
    r, ld, n : int
        R from :func:`qrfac` (its strict lower triangle is overwritten, see
        :func:`qrsolv`).
    iws, p : int64 array, int
        The permutation of :func:`qrfac`.
    diag, qtb : int
        Offsets of D's diagonal (all nonzero) and of ``Q^T b``.
    delta : float
        The trust-region radius, positive.
    par : float
        An initial estimate of the parameter (the previous iteration's).
    x, sdiag, wa1, wa2 : int
        Offsets of length-n vectors: the solution (output), S's diagonal (output, see
        :func:`qrsolv`) and scratch.

    Returns
    -------
    float
        The parameter.
    """
    # The Gauss-Newton direction; if R is singular, a least-squares solution.
    nsing = n
    for j in range(n):
        ws[wa1 + j] = ws[qtb + j]
        if ws[r + j * ld + j] == 0.0 and nsing == n:
            nsing = j
        if nsing < n:
            ws[wa1 + j] = 0.0
    for j in range(nsing - 1, -1, -1):
        cj = r + j * ld
        ws[wa1 + j] = ws[wa1 + j] / ws[cj + j]
        t = ws[wa1 + j]
        for i in range(j):
            ws[wa1 + i] = ws[wa1 + i] - ws[cj + i] * t
    for j in range(n):
        ws[x + iws[p + j]] = ws[wa1 + j]
    for j in range(n):
        ws[wa2 + j] = ws[diag + j] * ws[x + j]
    dxnorm = enorm(ws, wa2, n)
    fp = dxnorm - delta
    if fp <= 0.1 * delta:
        return 0.0   # the Gauss-Newton step is acceptable

    # A lower bound parl on the zero of phi(par) = ||D x(par)|| - delta, from the Newton
    # step at par = 0 (only if R is nonsingular: otherwise parl = 0).
    parl = 0.0
    if nsing >= n:
        for j in range(n):
            l = iws[p + j]
            ws[wa1 + j] = ws[diag + l] * (ws[wa2 + l] / dxnorm)
        for j in range(n):
            cj = r + j * ld
            s = 0.0
            for i in range(j):
                s += ws[cj + i] * ws[wa1 + i]
            ws[wa1 + j] = (ws[wa1 + j] - s) / ws[cj + j]
        t = enorm(ws, wa1, n)
        parl = ((fp / delta) / t) / t
    # An upper bound paru, from the scaled gradient.
    for j in range(n):
        cj = r + j * ld
        s = 0.0
        for i in range(j + 1):
            s += ws[cj + i] * ws[qtb + i]
        ws[wa1 + j] = s / ws[diag + iws[p + j]]
    gnorm = enorm(ws, wa1, n)
    paru = gnorm / delta
    if paru == 0.0:
        paru = DWARF / min(delta, 0.1)
    par = max(par, parl)
    par = min(par, paru)
    if par == 0.0:
        par = gnorm / dxnorm

    it = 0
    while True:
        it += 1
        if par == 0.0:
            par = max(DWARF, 0.001 * paru)
        t = math.sqrt(par)
        for j in range(n):
            ws[wa1 + j] = t * ws[diag + j]
        qrsolv(ws, r, ld, n, iws, p, wa1, qtb, x, sdiag, wa2)
        for j in range(n):
            ws[wa2 + j] = ws[diag + j] * ws[x + j]
        dxnorm = enorm(ws, wa2, n)
        t = fp
        fp = dxnorm - delta
        # Stop when ||D x|| is close enough to delta, when par has reached its lower
        # bound 0 with phi still negative and decreasing, or after 10 iterations.
        if abs(fp) <= 0.1 * delta or (parl == 0.0 and fp <= t and t < 0.0) or it == 10:
            return par
        # Newton's correction of par.
        for j in range(n):
            l = iws[p + j]
            ws[wa1 + j] = ws[diag + l] * (ws[wa2 + l] / dxnorm)
        for j in range(n):
            ws[wa1 + j] = ws[wa1 + j] / ws[sdiag + j]
            t = ws[wa1 + j]
            cj = r + j * ld
            for i in range(j + 1, n):
                ws[wa1 + i] = ws[wa1 + i] - ws[cj + i] * t
        t = enorm(ws, wa1, n)
        parc = ((fp / delta) / t) / t
        if fp > 0.0:
            parl = max(parl, par)
        if fp < 0.0:
            paru = min(paru, par)
        par = max(parl, par + parc)
