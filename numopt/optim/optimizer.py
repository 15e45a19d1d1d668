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
import inspect
import numbers
from collections.abc import Mapping, Sequence
from copy import deepcopy

import numpy as np

from .._arrays import backend_of
from .._checks import (  # noqa: F401 -- the optimizers' modules import them from here
    _check_betas, _check_betas_kind, _check_eps, _check_lr, _check_nonnegative, _check_number,
    _check_torch_only, _check_weight_decay, _describe, _not_nan, _pair, _real)
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

    A subclass names its rule and keeps torch's signature, defaults and validation:

    - ``_rule``: the rule's record (:class:`numopt._rules._record.Rule`), which owns the
      state rows, the per-parameter scalars and how each step's values are derived
      from a parameter group; the hooks below read it;
    - ``_check_hyper(h)``: check a dict of hyperparameters (the defaults, a parameter
      group, a loaded group), with torch's messages, before any of them is used;
    - ``_load_defaults``: the group keys a loaded state dict may lack (torch's
      ``__setstate__`` fills them in for state dicts of older torch versions).

    An optimizer without a compiled rule (LBFGS) overrides ``step`` and the hooks
    ``_state_rows(group)``, ``_init_scalars(group)``, ``_row_init(group, name)`` and
    ``_hyper(group, scalars, fresh)`` instead.

    ``step()`` plans every bucket's update before it applies any, and
    ``load_state_dict()`` checks the whole dict before it loads anything: an error
    leaves the optimizer as it was.

    Parameters
    ----------
    params : iterable
        Parameters, ``(name, Parameter)`` pairs, or dicts defining parameter groups.
    defaults : dict
        Default hyperparameters of every group.
    """

    _rule = None
    # Group keys that torch's ``__setstate__`` fills in when a state dict (of an older
    # torch) lacks them; every other hyperparameter must be in a loaded group.
    _load_defaults = {}

    def __init__(self, params, defaults):
        self._check_hyper(defaults)
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
        self._check_hyper(param_group)
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

        Raises
        ------
        TypeError, ValueError
            A parameter group holds a value edited in since it was checked that the
            update cannot use. Raised before any parameter or state changes.
        RuntimeError
            A parameter has been taken over by another optimizer (also before anything
            changes).

        Returns
        -------
        The closure's return value, or None.
        """
        loss = None
        if closure is not None:
            loss = closure()
        # Everything that can fail (a parameter taken over by another optimizer, a bad
        # value edited into a group) fails while planning, before any bucket changes.
        plans = []
        for i, (group, buckets) in enumerate(zip(self.param_groups, self._buckets)):
            for bucket in buckets:
                try:
                    plan = self._plan_bucket(group, bucket)
                except (TypeError, ValueError, KeyError, IndexError, ArithmeticError):
                    self._explain_group(i, group)
                    raise
                if plan is not None:
                    plans.append(plan)
        factored = self._rule is not None and self._rule.kind == "factored"
        for b, rows, row_values, fresh, init, steps, full in plans:  # (inlined: per step)
            if rows is not None:
                if row_values is not None:
                    b.ensure_rows(rows, row_values.__getitem__)
                if init is not None:
                    for j in np.flatnonzero(fresh):
                        b.init_param(j, row_values.__getitem__, init)
            for lo, hi, after, hyper, flags in steps:
                for k, value in after.items():
                    b.scalars[k][lo:hi] = value
                if factored:  # one call per parameter: its rows and columns
                    for j in range(lo, hi):
                        b.xp.run_factored(self._rule, flags, b.param, b.grad, b.state, hyper,
                                          int(b.offsets[j]), int(b.offsets[j + 1]),
                                          b.params[j].shape)
                    continue
                b.xp.run(self._rule, flags, b.param, b.grad, b.state, hyper,
                         int(b.offsets[lo]), int(b.offsets[hi]))
            if not full:
                b.uniform = all((a == a[0]).all() for a in b.scalars.values())
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
        """Load a state produced by :meth:`state_dict` (of an optimizer of this class:
        numopt's, or torch's with its tensors made NumPy arrays).

        Everything is checked before anything changes: a dict that does not fit leaves
        the optimizer exactly as it was.

        Parameters
        ----------
        state_dict : dict

        Raises
        ------
        ValueError
            If the dict lacks ``"state"`` or ``"param_groups"``; if its groups or their
            sizes differ from this optimizer's (torch's messages); if a group lacks a
            hyperparameter of this optimizer or holds an invalid one (a state dict of
            another optimizer, say); if a parameter's state lacks an entry this
            optimizer keeps or has one it does not keep, or holds an array whose shape
            is not the parameter's or whose dtype is not floating point.
        """
        groups, ids = self._loaded_groups(state_dict)
        contents = self._loaded_buckets(state_dict["state"], groups, ids)
        # Nothing below can fail: the new groups and buffers replace the old ones.
        for i, group in enumerate(groups):
            self.param_groups[i] = group
        for buckets, new in zip(self._buckets, contents):
            for b, (rows, state, has_state, scalars) in zip(buckets, new):
                b.rows, b.state, b.has_state, b.scalars = rows, state, has_state, scalars
                b.uniform = all((a == a[0]).all() for a in scalars.values())

    def _loaded_groups(self, state_dict):
        """The parameter groups of ``state_dict``, checked and holding this optimizer's
        parameters, and each group's saved parameter numbers. Changes nothing."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a dict, got {type(state_dict).__name__}")
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise ValueError(f"loaded state dict has no {key!r} entry (expected the "
                                 f"result of {type(self).__name__}.state_dict())")
        saved_groups = state_dict["param_groups"]
        if (not isinstance(saved_groups, Sequence) or isinstance(saved_groups, str)
                or not all(isinstance(s, Mapping) for s in saved_groups)):
            raise ValueError("loaded state dict's 'param_groups' must be a list of dicts")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for i, s in enumerate(saved_groups):
            if "params" not in s:
                raise ValueError(f"loaded state dict's parameter group {i} has no 'params'")
        for g, s in zip(self.param_groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match "
                    "the size of optimizer's group"
                )
        ids, seen = [], set()
        for i, s in enumerate(saved_groups):
            group_ids = list(s["params"])
            for pid in group_ids:
                if not isinstance(pid, numbers.Integral) or isinstance(pid, bool):
                    raise ValueError(f"loaded state dict's parameter group {i} lists {pid!r} "
                                     "in its 'params', where parameter numbers belong")
                if pid in seen:
                    raise ValueError(f"loaded state dict lists parameter {pid} more than once")
                seen.add(pid)
            ids.append(group_ids)
        groups, known = [], _hyperparameter_names()
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            new = deepcopy({k: v for k, v in s.items() if k != "params"})
            for key, value in self._load_defaults.items():
                new.setdefault(key, value)
            missing = [k for k in self.defaults if k not in new]
            if missing:
                raise ValueError(
                    f"loaded state dict's parameter group {i} has no "
                    f"{', '.join(map(repr, missing))}, which {type(self).__name__} needs: "
                    "is it the state dict of another optimizer?"
                )
            # Keys of its own (a scheduler's initial_lr, a name) are kept, as torch keeps
            # them, but not another optimizer's hyperparameters.
            foreign = [k for k in new if k not in self.defaults and k in known]
            if foreign:
                raise ValueError(
                    f"loaded state dict's parameter group {i} has "
                    f"{', '.join(map(repr, foreign))}, which {type(self).__name__} does not "
                    "have: is it the state dict of another optimizer?"
                )
            try:
                self._check_hyper(new)
            except (TypeError, ValueError) as exc:  # all a misfit of the dict: ValueError
                raise ValueError(f"loaded state dict's parameter group {i}: {exc}") from exc
            new["params"] = g["params"]
            if "param_names" in g and "param_names" not in new:
                new["param_names"] = g["param_names"]
            groups.append(new)
        return groups, ids

    def _loaded_buckets(self, saved_state, groups, ids):
        """New ``(rows, state, has_state, scalars)`` of every bucket, made from the
        checked entries of ``saved_state``. Changes nothing."""
        if not isinstance(saved_state, Mapping):
            raise ValueError("loaded state dict's 'state' must be a dict, got "
                             f"{type(saved_state).__name__}")
        known = {pid for group_ids in ids for pid in group_ids}
        for pid in saved_state:
            if pid not in known:
                raise ValueError(f"loaded state dict has state for parameter {pid!r}, which is "
                                 "in none of its parameter groups")
        name = type(self).__name__
        contents = []
        for group, group_ids, buckets in zip(groups, ids, self._buckets):
            rows = tuple(self._state_rows(group))
            scalar_names = tuple(self._init_scalars(group))
            pid_of = {id(p): pid for p, pid in zip(group["params"], group_ids)}
            new = []
            for b in buckets:
                state = b.xp.empty((len(rows), b.param.size), b.dtype)
                b.xp.fill(state, 0)
                has_state = np.zeros(len(b.params), dtype=bool)
                scalars = {k: np.zeros(len(b.params), dtype=np.float64) for k in scalar_names}
                for j, p in enumerate(b.params):
                    pid = pid_of[id(p)]
                    entry = self._loaded_entry(group, saved_state.get(pid, {}), pid)
                    if not entry:
                        continue  # no state yet
                    layout = self._state_layout(rows, p.shape)
                    keys = scalar_names + tuple(key for key, _, _ in layout)
                    missing = [k for k in keys if k not in entry]
                    extra = [k for k in entry if k not in keys]
                    if missing or extra:
                        what = (f"has no {', '.join(map(repr, missing))}" if missing else
                                f"has {', '.join(map(repr, extra))}, which {name} does "
                                "not keep")
                        raise ValueError(
                            f"loaded state of parameter {pid} {what} ({name} with these "
                            f"options keeps {', '.join(map(repr, keys))}): is it the state "
                            "of another optimizer?"
                        )
                    lo = b.offsets[j]
                    for key, k, shape in layout:
                        value = _state_array(entry[key], p, f"state {key!r} of parameter {pid}",
                                             shape)
                        b.xp.copy(state[k, lo:lo + value.size], value.reshape(-1))
                    for k in scalar_names:
                        scalars[k][j] = _state_scalar(entry[k], f"state {k!r} of parameter "
                                                      f"{pid}", integer=k == "step")
                    has_state[j] = True
                new.append((rows, state, has_state, scalars))
            contents.append(new)
        return contents

    def _loaded_entry(self, group, entry, pid):
        """A parameter's loaded state, as a dict (empty: no state yet)."""
        if not isinstance(entry, Mapping):
            raise ValueError(f"loaded state of parameter {pid} must be a dict, got "
                             f"{type(entry).__name__}")
        return entry

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
    def _check_hyper(self, h):
        """Check the hyperparameters in ``h`` (the constructor's, a parameter group's or
        a loaded group's), normalising them in place; raise TypeError/ValueError."""

    def _state_rows(self, group):
        """Names of the state arrays a group keeps, in the rule's row order."""
        return self._rule.active_rows(group)

    def _init_scalars(self, group):
        """Per-parameter scalar state, created with the arrays."""
        return self._rule.scalars(group)

    def _row_init(self, group, name):
        """The initial value of state array ``name``."""
        return self._rule.row_init(group, name)

    def _hyper(self, group, scalars, fresh):
        """Advance ``scalars`` (in place) by one step and return ``(hyper, flags)``: the
        per-step values the rule reads and the booleans it is compiled with."""
        return self._rule.step(group, scalars, fresh)

    # -- the step ---------------------------------------------------------------------
    def _param_state(self, b, j):
        entry = {}
        for name, arr in b.scalars.items():
            value = arr[j]
            entry[name] = int(value) if name == "step" else float(value)
        for key, k, shape in self._state_layout(b.rows, b.params[j].shape):
            lo = b.offsets[j]
            entry[key] = b.state[k, lo:lo + _size(shape)].reshape(shape)
        return entry

    def _state_layout(self, rows, shape):
        """``(key, row index, shape)`` of each state array a parameter of ``shape`` keeps
        in a bucket with state ``rows``: an element-wise rule keeps each row under its
        own name, in the parameter's shape; a factored rule (Adafactor) keeps arrays of
        other shapes (``Rule.state_shapes``) in the first elements of the parameter's
        slice of a row."""
        rule = self._rule
        if rule is None or rule.state_shapes is None:
            return [(name, k, shape) for k, name in enumerate(rows)]
        return [(key, rows.index(row), tuple(s))
                for key, (row, s) in rule.state_shapes(shape).items() if row in rows]

    def _plan_bucket(self, group, b):
        """What one step of bucket ``b`` will do, computed without changing anything.

        Returns None (no parameter has a gradient) or what :meth:`step` then applies:
        the bucket, its state rows (None: stateless) and their initial values, the
        fresh parameters and their initial scalars, per run of parameters ``(lo, hi,
        scalars after the step, the rule's per-step values, its flags)``, and whether
        the bucket stays uniform.
        """
        betas = group.get("betas")
        if type(group.get("lr")) is np.ndarray or (betas is not None and (
                type(betas[0]) is np.ndarray or type(betas[1]) is np.ndarray)):
            # Array hyperparameters (torch's Tensor lr and betas) enter the arithmetic
            # as the numbers they hold: NumPy's array power is not its scalar power.
            group = dict(group, lr=_item(group["lr"]))
            if betas is not None:
                group["betas"] = (_item(betas[0]), _item(betas[1]))
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
            return None
        n = len(params)
        active = np.array(active)
        fresh = init = row_values = None
        scalars = b.scalars
        rows = tuple(self._state_rows(group))
        stateful = bool(rows or self._init_scalars(group))  # plain SGD has no state at all
        if stateful:
            if not b.has_state.all():
                fresh = active & ~b.has_state
                if fresh.any():
                    init = self._init_scalars(group)
                    # The scalars as they will be once the fresh parameters are initialised.
                    scalars = {k: arr.copy() for k, arr in b.scalars.items()}
                    for k, value in init.items():
                        scalars.setdefault(k, np.zeros(n, dtype=np.float64))[fresh] = value
            if init is not None or rows != b.rows:
                row_values = {k: self._row_init(group, k) for k in rows}
                for value in row_values.values():
                    b.dtype.type(value)  # a value the buffers cannot hold fails now
        if fresh is None:
            fresh = np.zeros(n, dtype=bool)
        # The usual case: every parameter active and in step with the others.
        full = n_active == n and b.uniform and (fresh.all() or not fresh.any())
        runs = [(0, n)] if full else self._runs(active, fresh, scalars)
        cast = b.dtype.type
        steps = []
        for lo, hi in runs:
            after = {k: arr[lo] for k, arr in scalars.items()}
            hyper, flags = self._hyper(group, after, bool(fresh[lo]))
            # Numbers become the buffer's dtype, so float32 buffers are updated in float32
            # (a Python int would promote the arithmetic to float64 in numba); booleans
            # (lerp's form) stay bool; anything else (None, which NumPy would make NaN)
            # fails here, before any bucket changes.
            hyper = tuple([cast(v) if type(v) in _NUMBER_TYPES else _flag(v, cast)
                           for v in hyper])
            steps.append((lo, hi, after, hyper, flags))
        return b, (rows if stateful else None), row_values, fresh, init, steps, full

    def _explain_group(self, i, group):
        """Raise a clear error if parameter group ``i`` (edited since it was checked)
        lacks a hyperparameter or holds an invalid one; return if it looks fine."""
        missing = [k for k in self.defaults if k not in group]
        if missing:
            raise ValueError(f"parameter group {i} has no {', '.join(map(repr, missing))}")
        try:
            self._check_hyper(dict(group))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"parameter group {i}: {exc}") from exc

    @staticmethod
    def _runs(active, fresh, scalars):
        """Split the active parameters into runs of neighbours with equal scalar state."""
        n = len(active)
        keys = [fresh] + list(scalars.values())
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


_NUMBER_TYPES = frozenset({float, int, np.float64, np.float32})


def _flag(value, cast):
    """A per-step value of a rule that is not a plain number: a flag, or another kind
    of number, or a value a parameter group should never have held."""
    if type(value) is bool:
        return value
    if type(value) is np.bool_:  # compiled as Python's bool, so that both compile alike
        return bool(value)
    if isinstance(value, numbers.Real):
        return cast(value)
    raise TypeError(f"a step of the optimizer computed {_describe(value)} from its "
                    "parameter group, where a number belongs")


def _item(value):
    return value.item() if isinstance(value, np.ndarray) else value


def _hyperparameter_names():
    """The constructor arguments of numopt's optimizers (of all of them)."""
    names, classes = set(), [Optimizer]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if cls is not Optimizer and cls.__module__.startswith("numopt."):
            names.update(inspect.signature(cls.__init__).parameters)
    return names - {"self", "params"}


# The hyperparameter checks are in numopt/_checks.py (minimize's LBFGS uses them too).

def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _state_array(value, p, what, shape=None):
    """A loaded state array for parameter ``p``: floating point, of ``shape`` (default
    ``p``'s), cast to ``p``'s dtype as torch's ``load_state_dict`` casts it."""
    shape = p.shape if shape is None else shape
    if not isinstance(value, np.ndarray):
        if not hasattr(value, "__array__"):
            raise ValueError(f"{what} must be an array of shape {shape}, got "
                             f"{type(value).__name__}")
        value = np.asarray(value)
    if value.dtype.kind != "f":
        raise ValueError(f"{what} has dtype {value.dtype}, expected a floating-point array "
                         f"(cast to the parameter's {p.dtype})")
    if value.shape != shape:
        raise ValueError(f"{what} has shape {value.shape}, expected {shape}")
    return np.ascontiguousarray(value, dtype=p.dtype)


def _state_scalar(value, what, integer=False):
    """A loaded scalar state (a number, or a 1-element array such as torch's ``step``
    tensor) as a float; ``integer``: a non-negative whole number."""
    if hasattr(value, "__array__") and not isinstance(value, numbers.Real):
        value = np.asarray(value)
        if value.size != 1 or value.dtype.kind not in "fiu":
            raise ValueError(f"{what} must be a number, got an array of shape {value.shape} "
                             f"and dtype {value.dtype}")
        value = value.reshape(()).item()
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {_describe(value)}")
    value = float(value)
    if integer and not (value >= 0 and value.is_integer()):
        raise ValueError(f"{what} must be a non-negative whole number, got {value!r}")
    return value
