"""Vector helpers shared by the methods, over slices of a workspace array."""
import numpy as np
from ._standalone import jitable

__all__ = ["vecnorm"]


@jitable
def vecnorm(ws, lo, n, ord):
    """scipy's ``vecnorm``: ``np.amax(np.abs(v))`` for inf, ``np.amin`` for -inf (both NaN if
    any element is), else ``sum(|v|^ord)^(1/ord)`` (summed in order; numpy sums pairwise)."""
    if ord == np.inf or ord == -np.inf:
        m = abs(ws[lo])
        for i in range(1, n):
            v = abs(ws[lo + i])
            if v != v or (v > m if ord > 0 else v < m):
                m = v
            if m != m:
                break
        return m
    s = 0.0
    for i in range(n):
        s += abs(ws[lo + i]) ** ord
    return s ** (1.0 / ord)
