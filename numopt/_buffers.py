"""Aligned flat buffers."""
import numpy as np

from . import config


def aligned_empty(shape, dtype, align=None):
    """Return an uninitialised C-contiguous array whose data starts on an ``align``-byte boundary.

    Parameters
    ----------
    shape : int or tuple of int
    dtype : numpy dtype
    align : int, optional
        Alignment in bytes (default ``config.ALIGN``).

    Returns
    -------
    numpy.ndarray
    """
    align = config.ALIGN if align is None else align
    dtype = np.dtype(dtype)
    shape = (shape,) if np.isscalar(shape) else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + align, dtype=np.uint8)
    start = (-raw.ctypes.data) % align
    return raw[start:start + nbytes].view(dtype).reshape(shape)
