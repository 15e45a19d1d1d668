"""Saving optimizer state to ``.npz`` files, without pickle."""
import json

import numpy as np

__all__ = ["save_state", "load_state"]

_META = "__numopt_state__"


def _encode(value):
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        # an array hyperparameter in a group (torch's Tensor lr or betas)
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    return value


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_decode(v) for v in value["__tuple__"])
        if set(value) == {"__ndarray__", "dtype"}:
            return np.array(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def save_state(file, state_dict):
    """Write an optimizer ``state_dict()`` to an ``.npz`` file (no pickle).

    Arrays are stored as ``state/<param>/<name>``; group options and scalar state as a
    JSON header, so the file loads with ``allow_pickle=False``.

    Parameters
    ----------
    file : str, path or file object
    state_dict : dict
        The result of ``Optimizer.state_dict()``.

    Examples
    --------
    >>> import io, numpy as np
    >>> from numopt import Parameter, optim
    >>> w = Parameter(np.zeros(3)); opt = optim.Adam([w])
    >>> w.grad = np.ones(3); _ = opt.step()
    >>> buf = io.BytesIO(); optim.save_state(buf, opt.state_dict()); _ = buf.seek(0)
    >>> optim.load_state(buf)["state"][0]["step"]
    1
    """
    arrays, scalars = {}, {}
    for pid, entry in state_dict["state"].items():
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                arrays[f"state/{pid}/{key}"] = value
            else:
                scalars.setdefault(str(pid), {})[key] = value
    meta = {"param_groups": state_dict["param_groups"], "scalars": scalars,
            "order": {str(pid): list(entry) for pid, entry in state_dict["state"].items()}}
    arrays[_META] = np.array(json.dumps(_encode(meta)))
    np.savez(file, **arrays)


def load_state(file):
    """Read a state dict written by :func:`save_state`.

    Parameters
    ----------
    file : str, path or file object

    Returns
    -------
    dict
        A state dict for ``Optimizer.load_state_dict``.
    """
    with np.load(file, allow_pickle=False) as data:
        meta = _decode(json.loads(str(data[_META])))
        state = {}
        for pid, keys in meta["order"].items():
            entry = {}
            for key in keys:
                name = f"state/{pid}/{key}"
                entry[key] = data[name] if name in data.files else meta["scalars"][pid][key]
            state[int(pid)] = entry
    return {"state": state, "param_groups": meta["param_groups"]}
