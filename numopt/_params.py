"""``Parameter``: an array that an optimizer updates in place, in host memory or on a GPU."""
import numpy as np

from ._arrays import as_device_array, backend_of, is_cuda_array

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _check_float_array(value, what):
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{what} must be a float32 or float64 numpy.ndarray, got {type(value).__name__}"
        )
    if value.dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"{what} must be float32 or float64, got dtype {value.dtype} "
            "(numopt never casts other dtypes into a trajectory silently)"
        )


class Parameter:
    """An optimisable array: the NumPy counterpart of ``torch.nn.Parameter``.

    Parameters
    ----------
    data : numpy.ndarray or CUDA array
        A float32 or float64 array, of any shape (0-d included). It is used as is,
        not copied, until an optimizer adopts the parameter. An array with
        ``__cuda_array_interface__`` (a numba device array, CuPy, a torch CUDA tensor)
        makes a GPU parameter: ``data`` is then a numba device array sharing its memory,
        and the optimizer's buffers and steps stay on the device.

    Attributes
    ----------
    data : numpy.ndarray
        The live value. When an optimizer adopts the parameter it copies the value into
        its flat buffer and re-points ``data`` at a view of that buffer, so always read
        ``p.data`` (or ``np.asarray(p)``) rather than the array you passed in. Assigning
        ``p.data = a`` copies ``a`` into the current storage.
    grad : numpy.ndarray or None
        The gradient the next ``step()`` uses. Assignment copies the values (any float
        dtype, same shape) into the optimizer's gradient buffer; ``None`` means "no
        gradient": the parameter is skipped by ``step()`` and gets no state, as in torch.

    Raises
    ------
    TypeError
        If ``data`` is not a float32/float64 ``numpy.ndarray``.

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter
    >>> w = Parameter(np.zeros((2, 3)))
    >>> w.shape, w.dtype, w.grad is None
    ((2, 3), dtype('float64'), True)
    >>> w.grad = np.ones((2, 3))
    >>> float(w.grad.sum())
    6.0
    """

    __slots__ = ("_data", "_grad", "_has_grad", "_bucket", "__weakref__")

    def __init__(self, data):
        if isinstance(data, Parameter):
            data = data.data
        if is_cuda_array(data):
            from ._drivers.cuda import require_cuda

            require_cuda()
            data = as_device_array(data)
            if np.dtype(data.dtype) not in _FLOAT_DTYPES:
                raise TypeError(f"Parameter data must be float32 or float64, got dtype {data.dtype} "
                                "(numopt never casts other dtypes into a trajectory silently)")
        else:
            _check_float_array(data, "Parameter data")
        self._data = data
        self._grad = None  # own gradient array until adopted; then a view into the bucket
        self._has_grad = False
        self._bucket = None

    # -- value ---------------------------------------------------------------------
    @property
    def data(self):
        return self._data

    @data.setter
    def data(self, value):
        value = value if is_cuda_array(value) else np.asarray(value)
        if value.shape != self._data.shape:
            raise ValueError(
                f"cannot assign data of shape {value.shape} to a Parameter of shape "
                f"{self._data.shape}"
            )
        if not np.issubdtype(value.dtype, np.floating):
            raise TypeError(f"Parameter data must be floating point, got dtype {value.dtype}")
        backend_of(self._data).copy(self._data, value)

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return np.dtype(self._data.dtype)

    @property
    def device(self):
        """``"cpu"`` or ``"cuda"``: where the value lives."""
        return backend_of(self._data).name

    @property
    def size(self):
        return self._data.size

    @property
    def ndim(self):
        return self._data.ndim

    def __array__(self, dtype=None, copy=None):
        if is_cuda_array(self._data):  # a host copy of a GPU parameter
            host = self._data.copy_to_host()
            return host if dtype is None else host.astype(dtype)
        if copy:
            return np.array(self._data, dtype=dtype, copy=True)
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        where = ", device='cuda'" if is_cuda_array(self._data) else ""
        return f"Parameter({np.array2string(np.asarray(self), threshold=20)}, dtype={self.dtype}{where})"

    # -- gradient ------------------------------------------------------------------
    @property
    def grad(self):
        return self._grad if self._has_grad else None

    @grad.setter
    def grad(self, value):
        if value is None:
            self._has_grad = False
            if self._bucket is None:
                self._grad = None
            return
        value = value if is_cuda_array(value) else np.asarray(value)
        if tuple(value.shape) != tuple(self._data.shape):
            raise ValueError(
                f"gradient has shape {tuple(value.shape)}, but the Parameter has shape "
                f"{tuple(self._data.shape)}"
            )
        if not np.issubdtype(np.dtype(value.dtype), np.floating):
            raise TypeError(f"gradient must be floating point, got dtype {value.dtype}")
        backend = backend_of(self._data)
        if self._grad is None:
            self._grad = backend.empty(self._data.shape, self.dtype)
        backend.copy(self._grad, value)
        self._has_grad = True
