"""The ``Optimizer`` base class: torch's bookkeeping over flat, compiled buffers.

Every parameter group keeps its parameters in one contiguous buffer per dtype (a
*bucket*), with matching buffers for the gradients and for each state array. A
``Parameter``'s ``data`` and ``grad`` become views into them. One step of a bucket is
then one compiled call over all of its elements (see :mod:`numopt._drivers.cpu`),
whatever the number of parameters.

Per-parameter scalars (the step count, NAdam's ``mu_product``, ASGD's ``eta`` and
``mu``) live on the host in float64. Parameters whose scalars agree (the usual case:
all of them) share one call; parameters skipped on some steps (their ``grad`` was
``None``) fall out of step with the others and are updated by calls of their own.
"""
from collections.abc import Mapping
from copy import deepcopy

import numpy as np

from .._arrays import backend_of
from .._params import Parameter

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a hyperparameter that has no default."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class _Bucket:
    """The parameters of one group that share a dtype, packed into flat buffers.

    Parameters
    ----------
    params : list of Parameter
    dtype : numpy.dtype
    """

    def __init__(self, params, dtype):
        self.params = params
        self.dtype = np.dtype(dtype)
        # Host memory or a GPU: every allocation, fill, copy and step goes through it.
        self.xp = backend_of(params[0]._data)
        sizes = np.array([p.size for p in params], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n = int(self.offsets[-1])
        self.param = self.xp.empty(n, self.dtype)
        self.grad = self.xp.empty(n, self.dtype)
        self.xp.fill(self.grad, 0)
        self.rows = ()
        self.state = self.xp.empty((0, n), self.dtype)
        self.has_state = np.zeros(len(params), dtype=bool)
        self.scalars = {}
        # True while all parameters share their scalar state (step counts etc.), so
        # one compiled call can update the whole bucket.
        self.uniform = True
        for j, p in enumerate(params):
            self._adopt(j, p)

    def view(self, buf, j):
        p = self.params[j]
        return buf[self.offsets[j]:self.offsets[j + 1]].reshape(p.shape)

    def _adopt(self, j, p):
        # Copy the current value (and gradient) in, then re-point the Parameter. A
        # parameter taken over from another optimizer leaves that one; its step()
        # notices and raises.
        data, grad = self.view(self.param, j), self.view(self.grad, j)
        self.xp.copy(data, p._data)
        if p._has_grad:
            self.xp.copy(grad, p._grad)
        p._data, p._grad, p._bucket = data, grad, self

    def ensure_rows(self, rows, init_value):
        """Allocate state rows ``rows`` (keeping rows that exist already)."""
        if rows == self.rows:
            return
        n = self.param.size
        state = self.xp.empty((len(rows), n), self.dtype)
        for k, name in enumerate(rows):
            if name in self.rows:
                self.xp.copy(state[k], self.state[self.rows.index(name)])
            else:
                for j in np.flatnonzero(self.has_state):
                    self.xp.fill(state[k, self.offsets[j]:self.offsets[j + 1]], init_value(name))
        self.rows, self.state = rows, state

    def init_param(self, j, rows_init, scalars_init):
        lo, hi = self.offsets[j], self.offsets[j + 1]
        for k, name in enumerate(self.rows):
            self.xp.fill(self.state[k, lo:hi], rows_init(name))
        for name, value in scalars_init.items():
            if name not in self.scalars:
                self.scalars[name] = np.zeros(len(self.params), dtype=np.float64)
            self.scalars[name][j] = value
        self.has_state[j] = True

    def param_scalars(self, j):
        return {name: arr[j] for name, arr in self.scalars.items()}


class _StateView(Mapping):
    """``optimizer.state``: Parameter -> dict of its state, as torch's ``state``.

    Arrays are live views into the optimizer's state buffers; scalars are copies. A
    parameter without state maps to ``{}``, as in torch's ``defaultdict``, but is not
    ``in`` the mapping.
    """

    def __init__(self, optimizer):
        self._opt = optimizer

    def _locate(self, param):
        for buckets in self._opt._buckets:
            for b in buckets:
                for j, p in enumerate(b.params):
                    if p is param:
                        return b, j
        return None, None

    def __getitem__(self, param):
        b, j = self._locate(param)
        if b is None or not b.has_state[j]:
            return {}  # torch's state is a defaultdict(dict)
        return self._opt._param_state(b, j)

    def __iter__(self):
        for buckets in self._opt._buckets:
            for b in buckets:
                for j, p in enumerate(b.params):
                    if b.has_state[j]:
                        yield p

    def __len__(self):
        return sum(int(b.has_state.sum()) for buckets in self._opt._buckets for b in buckets)

    def __contains__(self, param):
        b, j = self._locate(param)
        return b is not None and bool(b.has_state[j])


class Optimizer:
    """Base class of numopt's optimizers, with ``torch.optim.Optimizer``'s interface.

    Subclasses define the update rule and how to compute its per-step scalars:

    - ``_rule``: the element-wise update function (see :mod:`numopt._rules`);
    - ``_state_rows(group)``: names of the state arrays, in the rule's row order;
    - ``_init_scalars(group)``: per-parameter scalar state created with the arrays;
    - ``_row_init(group, name)``: the initial value of a state array (default 0);
    - ``_hyper(group, scalars, fresh)``: advance ``scalars`` by one step (in place)
      and return ``(hyper, flags)``: the per-step scalars the rule reads, and the tuple
      of booleans it is compiled with (see :mod:`numopt._rules`).

    Parameters
    ----------
    params : iterable
        Parameters, ``(name, Parameter)`` pairs, or dicts defining parameter groups.
    defaults : dict
        Default hyperparameters of every group.
    """

    _rule = None

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, (Parameter, np.ndarray)):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of "
                f"Parameters or dicts, but got {type(params).__name__}"
            )
        self.param_groups = []
        self._buckets = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- torch's Optimizer interface ----------------------------------------------
    @property
    def state(self):
        """Mapping from each Parameter that has state to its state dict."""
        return _StateView(self)

    def add_param_group(self, param_group):
        """Add a parameter group, as ``torch.optim.Optimizer.add_param_group``.

        Parameters
        ----------
        param_group : dict
            ``{"params": [...], **hyperparameters}``; missing hyperparameters take the
            optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Parameter):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        tensors, names = [], []
        for item in params:
            if isinstance(item, tuple):
                names.append(item[0])
                tensors.append(item[1])
            else:
                tensors.append(item)
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are missing"
                )
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Parameter):
                raise TypeError(
                    "optimizer can only optimize Parameters, but one of the params is "
                    + type(p).__name__
                )
        param_group["params"] = tensors
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            # torch only warns here, but one flat buffer cannot hold a parameter twice.
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {txt} to the optimizer"
                )
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        by_kind = {}  # one flat buffer per dtype and device
        for p in tensors:
            by_kind.setdefault((p.dtype, p.device), []).append(p)
        self.param_groups.append(param_group)
        self._buckets.append([_Bucket(ps, dt) for (dt, _), ps in by_kind.items()])

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters.

        Parameters
        ----------
        set_to_none : bool, default True
            Set ``grad`` to ``None`` (the parameter is then skipped by ``step()``
            until it gets a gradient again) instead of filling it with zeros.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p._has_grad:
                    backend_of(p._grad).fill(p._grad, 0)

    def step(self, closure=None):
        """Perform one optimization step.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the objective, assigns the parameters' gradients and returns
            the loss. It runs before anything is updated, so if it raises, parameters
            and state are left exactly as they were.

        Returns
        -------
        The closure's return value, or None.
        """
        loss = None
        if closure is not None:
            loss = closure()
        for group, buckets in zip(self.param_groups, self._buckets):
            for bucket in buckets:
                self._step_bucket(group, bucket)
        return loss

    def state_dict(self):
        """Return the optimizer state as plain Python values and NumPy arrays.

        The layout is torch's: ``{"state": {index: {...}}, "param_groups": [...]}``,
        parameters numbered in group order. Arrays are copies. It round-trips through
        ``pickle`` (and :func:`numopt.optim.save_state`), and ``load_state_dict`` of it
        resumes the same trajectory bit for bit.
        """
        index, groups = {}, []
        for group in self.param_groups:
            packed = {k: deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for buckets in self._buckets:
            for b in buckets:
                for j, p in enumerate(b.params):
                    if b.has_state[j]:
                        entry = self._param_state(b, j)
                        state[index[id(p)]] = {
                            k: (b.xp.to_host(v) if hasattr(v, "shape") else v)
                            for k, v in entry.items()
                        }
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state produced by :meth:`state_dict` (of an optimizer of this class).

        Parameters
        ----------
        state_dict : dict

        Raises
        ------
        ValueError
            If the groups or parameter shapes differ from this optimizer's.
        """
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(self.param_groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match "
                    "the size of optimizer's group"
                )
        saved_state = state_dict["state"]
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            s = dict(s)
            ids = s.pop("params")
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append((s, ids))
        # Validate every array before touching anything, so a bad dict changes nothing.
        for (s, ids), buckets in zip(new_groups, self._buckets):
            for p, pid in zip(s["params"], ids):
                for key, value in saved_state.get(pid, {}).items():
                    if isinstance(value, np.ndarray) and value.shape != p.shape:
                        raise ValueError(
                            f"state '{key}' of parameter {pid} has shape {value.shape}, "
                            f"expected {p.shape}"
                        )
        for i, ((s, ids), buckets) in enumerate(zip(new_groups, self._buckets)):
            self.param_groups[i] = s
            pid_of = {id(p): pid for p, pid in zip(s["params"], ids)}
            for b in buckets:
                b.has_state[:] = False
                loaded = [(j, saved_state[pid_of[id(p)]]) for j, p in enumerate(b.params)
                          if pid_of[id(p)] in saved_state]
                rows = tuple(k for k in self._state_rows(s))
                b.ensure_rows(rows, lambda name: self._row_init(s, name))
                for j, entry in loaded:
                    b.init_param(j, lambda name: 0, self._init_scalars(s))
                    lo, hi = b.offsets[j], b.offsets[j + 1]
                    for key, value in entry.items():
                        if isinstance(value, np.ndarray):
                            if key not in b.rows:
                                raise ValueError(f"unexpected state '{key}' for {type(self).__name__}")
                            b.xp.copy(b.state[b.rows.index(key), lo:hi], value.reshape(-1))
                        else:
                            b.scalars.setdefault(key, np.zeros(len(b.params)))[j] = float(value)
                b.uniform = all((a == a[0]).all() for a in b.scalars.values())

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # -- hooks for subclasses ---------------------------------------------------------
    def _state_rows(self, group):
        raise NotImplementedError

    def _init_scalars(self, group):
        return {"step": 0}

    def _row_init(self, group, name):
        return 0

    def _hyper(self, group, scalars, fresh):
        raise NotImplementedError

    # -- the step ---------------------------------------------------------------------
    def _param_state(self, b, j):
        entry = {}
        for name, arr in b.scalars.items():
            value = arr[j]
            entry[name] = int(value) if name == "step" else float(value)
        for k, name in enumerate(b.rows):
            entry[name] = b.view(b.state[k], j)
        return entry

    def _step_bucket(self, group, b):
        params = b.params
        active = []
        for p in params:
            if p._bucket is not b:
                raise RuntimeError(
                    "a parameter of this optimizer has been taken over by another optimizer "
                    "(a Parameter belongs to the last optimizer built with it)"
                )
            active.append(p._has_grad)
        n_active = sum(active)
        if n_active == 0:
            return
        n = len(params)
        active = np.array(active)
        fresh = None
        rows = tuple(self._state_rows(group))
        if rows or self._init_scalars(group):  # plain SGD has no state at all
            b.ensure_rows(rows, lambda name: self._row_init(group, name))
            if not b.has_state.all():
                fresh = active & ~b.has_state
                for j in np.flatnonzero(fresh):
                    b.init_param(j, lambda name: self._row_init(group, name),
                                 self._init_scalars(group))
        if fresh is None:
            fresh = np.zeros(n, dtype=bool)
        # The usual case: every parameter active and in step with the others.
        if n_active == n and b.uniform and (fresh.all() or not fresh.any()):
            runs = [(0, n)]
        else:
            runs = self._runs(b, active, fresh)
        cast = b.dtype.type
        for lo, hi in runs:
            scalars = b.param_scalars(lo)
            hyper, flags = self._hyper(group, scalars, bool(fresh[lo]))
            for name, value in scalars.items():
                b.scalars[name][lo:hi] = value
            hyper = tuple([v if type(v) in _KEEP_TYPES else cast(v) for v in hyper])
            b.xp.run(self._rule, flags, b.param, b.grad, b.state, hyper,
                     int(b.offsets[lo]), int(b.offsets[hi]))
        if runs != [(0, n)]:
            b.uniform = all((a == a[0]).all() for a in b.scalars.values())

    @staticmethod
    def _runs(b, active, fresh):
        """Split the active parameters into runs of neighbours with equal scalar state."""
        n = len(active)
        keys = [fresh] + list(b.scalars.values())
        runs, j = [], 0
        while j < n:
            if not active[j]:
                j += 1
                continue
            k = j + 1
            while k < n and active[k] and all(key[k] == key[j] for key in keys):
                k += 1
            runs.append((j, k))
            j = k
        return runs


# Booleans (lerp's form) stay bool; every other number becomes the buffer's dtype, so
# float32 buffers are updated in float32 (a Python int would promote the arithmetic to
# float64 in numba).
_KEEP_TYPES = (bool, np.bool_)


def _lerp_weight(weight):
    """Per-step scalars of the rules' ``lerp``: the weight, ``1 - weight``, and whether
    torch's ``|weight| < 0.5`` form applies."""
    return weight, 1 - weight, abs(weight) < 0.5


def _check_lr(lr):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_eps(eps):
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_weight_decay(weight_decay):
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _check_torch_only(**flags):
    """Reject options that only make sense for torch tensors (autograd, CUDA graphs).

    ``foreach`` and ``fused`` are accepted and have no effect: numopt always runs one
    fused compiled call per buffer.
    """
    for name, value in flags.items():
        if value:
            raise ValueError(
                f"{name}=True is not supported: numopt has no autograd or CUDA graphs "
                "(options that exist for torch tensors only)"
            )
