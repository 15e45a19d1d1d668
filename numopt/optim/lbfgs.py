"""L-BFGS, as ``torch.optim.LBFGS``, driving the state machine of ``minimize(method="LBFGS")``."""
import numbers
from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from .._minimize import _lbfgs as L
from .._minimize import _workspace as W
from .._minimize._drivers import jitted
from .optimizer import Optimizer, _describe, _state_scalar

__all__ = ["LBFGS"]

_GROUP_ERROR = "LBFGS doesn't support per-parameter options (parameter groups)"
# max_iter or max_eval = inf (no limit, as in torch) as the state machine's integer.
# torch's state of the first parameter once a direction exists, besides the counters.
_DIRECTION_KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
                   "prev_loss")
_STATE_KEYS = ("func_evals", "n_iter") + _DIRECTION_KEYS + ("al",)


class LBFGS(Optimizer):
    r"""Limited-memory BFGS (after minFunc), as ``torch.optim.LBFGS``.

    One ``step(closure)`` runs up to ``max_iter`` L-BFGS iterations and calls the
    closure whenever the algorithm needs the objective: once at the start and once per
    iteration (without a line search), or at every trial point of the line search.

    Parameters
    ----------
    params : iterable
        Parameters or named parameters, all of one dtype (float32 or float64), in a
        single parameter group (torch allows only one).
    lr : float, default 1
        Step length without a line search; the first trial step of the line search.
    max_iter : int, default 20
        Maximal number of iterations per ``step()``.
    max_eval : int, optional
        Maximal number of closure calls per ``step()`` (default ``max_iter * 5 // 4``).
    tolerance_grad : float, default 1e-7
        Stop when :math:`\max_i |g_i|` is at most this.
    tolerance_change : float, default 1e-9
        Stop when the directional derivative, the step :math:`\max_i |t d_i|` or the
        change of the loss falls below this.
    history_size : int, default 100
        Number of correction pairs kept.
    line_search_fn : {None, "strong_wolfe"}
        None takes the fixed step ``lr``; "strong_wolfe" is torch's bracketing and
        zoom search with cubic interpolation (Wolfe constants 1e-4 and 0.9).

    Raises
    ------
    TypeError
        A hyperparameter that is not a number (``line_search_fn`` is checked when
        ``step()`` starts, as in torch).
    ValueError
        A negative ``lr``, more than one parameter group, parameters of different
        dtypes, ``history_size < 1``, a ``max_iter``, ``max_eval`` or ``history_size``
        that is not a whole number (``max_iter`` and ``max_eval`` may be ``inf``), a
        NaN tolerance.

    Notes
    -----
    With :math:`s_k = x_{k+1} - x_k` and :math:`y_k = g_{k+1} - g_k` (a pair is kept only
    when :math:`y_k^T s_k > 10^{-10}`), the direction is :math:`d = -H g` by the
    two-loop recursion with :math:`H_0 = \frac{s^T y}{y^T y} I` from the newest pair.
    The first iteration ever takes :math:`t = \min(1, 1/\|g\|_1)\,\mathrm{lr}`.

    The algorithm is written once, as the reverse-communication state machine of
    ``numopt.minimize(method="LBFGS")`` (``numopt/_minimize/_lbfgs.py``): ``step`` runs
    it in the parameters' precision (float32 arithmetic emulated operation by
    operation for float32 parameters) and calls the closure when it asks for a point.
    It follows torch's order of operations; dot products and sums are accumulated
    in a different order than torch's BLAS calls.

    As in torch, all state is global and stored under the first parameter:
    ``state[params[0]]`` has ``func_evals``, ``n_iter``, ``d``, ``t``, ``old_dirs``,
    ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss`` and ``al``.
    torch's lists of tensors are NumPy arrays here, in the parameters' dtype:
    ``old_dirs`` and ``old_stps`` have shape ``(len(history), numel)`` (oldest first),
    ``ro`` shape ``(len(history),)``, ``al`` shape ``(history_size,)`` with NaN where
    torch has ``None``; ``t``, ``H_diag`` and ``prev_loss`` are floats. ``opt.state``
    returns copies (the live state is the solver's workspace).

    Differences from torch: an unsupported ``line_search_fn`` raises
    ``RuntimeError`` when ``step()`` starts (torch raises it after the first closure
    call); ``history_size`` cannot change after the first step; parameters must share
    one dtype. If the closure raises, parameters and state are restored to what they
    were before ``step()`` (torch leaves the parameters at the failed trial point).

    Examples
    --------
    >>> import numpy as np
    >>> from numopt import Parameter, optim
    >>> x = Parameter(np.array([-1.2, 1.0]))
    >>> opt = optim.LBFGS([x], max_iter=100, line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     a, b = x.data
    ...     x.grad = np.array([-400 * a * (b - a * a) - 2 * (1 - a), 200 * (b - a * a)])
    ...     return 100 * (b - a * a) ** 2 + (1 - a) ** 2
    >>> _ = opt.step(closure)        # stops on tolerance_change=1e-9, near (1, 1)
    >>> np.round(x.data, 4)
    array([1., 1.])
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(_GROUP_ERROR)
        if len(self._buckets[0]) != 1:
            raise ValueError("LBFGS needs all parameters to have the same dtype (float32 or "
                             "float64)")
        if self._buckets[0][0].xp.name != "cpu":
            # Its state machine runs on the host; the elementwise optimizers run on GPUs.
            raise NotImplementedError("optim.LBFGS does not support GPU parameters yet; use it "
                                      "on host arrays, or minimize_batch(device='cuda')")
        self._params = self.param_groups[0]["params"]
        self._ws = None     # the state machine's workspaces, after the first step
        self._iws = None

    def _check_hyper(self, h):
        L.check_options(h)

    # -- the step ---------------------------------------------------------------------
    def _bucket(self):
        if len(self.param_groups) != 1 or len(self._buckets) != 1:
            raise ValueError(_GROUP_ERROR)
        b = self._buckets[0][0]
        for p in b.params:
            if p._bucket is not b:
                raise RuntimeError(
                    "a parameter of this optimizer has been taken over by another optimizer "
                    "(a Parameter belongs to the last optimizer built with it)"
                )
        return b

    def _options(self, b):
        group = self.param_groups[0]
        self._explain_group(0, group)  # values edited into the group since it was checked
        line_search_fn = group["line_search_fn"]
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        m = int(group["history_size"])
        if self._iws is not None and m != self._iws[L._M]:
            raise ValueError(f"history_size cannot change after the first step "
                             f"(was {int(self._iws[L._M])}, now {m})")
        lr = group["lr"]
        lr = float(lr.item() if isinstance(lr, np.ndarray) else lr)
        fopts = np.array([lr, group["tolerance_grad"], group["tolerance_change"]],
                         dtype=np.float64)
        iopts = np.array([L.limit(group["max_iter"]), L.limit(group["max_eval"]), m,
                          0 if line_search_fn is None else 1,
                          1 if b.dtype == np.float32 else 0, 0, 0], dtype=np.int64)
        return fopts, iopts

    def _gather_grad(self, b, out):
        """torch's ``_gather_flat_grad``: the flat gradient, zeros where ``grad`` is None."""
        params = b.params
        if all(p._has_grad for p in params):
            out[:] = b.grad
            return
        for j, p in enumerate(params):
            lo, hi = b.offsets[j], b.offsets[j + 1]
            out[lo:hi] = b.grad[lo:hi] if p._has_grad else 0.0

    def step(self, closure):
        """Run up to ``max_iter`` iterations (one torch ``LBFGS.step``).

        Parameters
        ----------
        closure : callable
            Sets the gradients of the parameters at their current values (read
            ``p.data``) and returns the loss. Called several times.

        Returns
        -------
        The closure's return value at the first call (the loss before the step).
        """
        b = self._bucket()
        fopts, iopts = self._options(b)
        n = b.param.size
        fresh = self._ws is None
        if fresh:
            lw, li = L.sizes(n, fopts, iopts)
            ws, iws = np.zeros(lw), np.zeros(li, dtype=np.int64)
        else:
            ws, iws = self._ws, self._iws
            undo = self._snapshot(ws, iws, n, int(iopts[L.MAX_ITER]))
        x_before = b.param.copy()
        start = jitted(L.init) if fresh else jitted(L.begin)
        advance = jitted(L.step)
        start(ws, iws, x_before.astype(np.float64), fopts, iopts)
        orig_loss = None
        first = True
        try:
            while iws[W.TASK] == W.EVALUATE:
                xo, go = iws[W.X], iws[W.G]
                b.param[:] = ws[xo:xo + n]   # exact: the machine rounds to the dtype
                loss = closure()
                if first:
                    orig_loss, first = loss, False
                f = _loss_value(loss)
                self._gather_grad(b, ws[go:go + n])
                advance(ws, iws, f)
        except BaseException:
            b.param[:] = x_before
            if not fresh:
                self._restore(ws, iws, n, undo)
            raise
        xo = iws[W.XR]
        b.param[:] = ws[xo:xo + n]
        self._ws, self._iws = ws, iws
        return orig_loss

    @staticmethod
    def _snapshot(ws, iws, n, max_iter):
        """What a failed step could overwrite that a later step reads: the scalars and
        ``d``, ``prev_flat_grad`` (all before the scratch vectors), the counters, and the
        history rows that up to ``max_iter`` new pairs would replace."""
        m, k, start = int(iws[L._M]), int(iws[L.K]), int(iws[L.START])
        o = L.offsets(n, m)
        s1, ys, ss = o[7], o[8], o[9]
        held = {(start + i) % m for i in range(k)}
        slots = [sl for sl in ((start + k + j) % m for j in range(min(max(max_iter, 0), m)))
                 if sl in held]
        rows = {sl: (ws[ys + sl * n:ys + (sl + 1) * n].copy(),
                     ws[ss + sl * n:ss + (sl + 1) * n].copy()) for sl in slots}
        return iws.copy(), ws[:s1].copy(), rows

    @staticmethod
    def _restore(ws, iws, n, undo):
        old_iws, head, rows = undo
        iws[:] = old_iws
        ws[:head.size] = head
        o = L.offsets(n, int(iws[L._M]))
        ys, ss = o[8], o[9]
        for sl, (y, s) in rows.items():
            ws[ys + sl * n:ys + (sl + 1) * n] = y
            ws[ss + sl * n:ss + (sl + 1) * n] = s

    # -- torch's state ----------------------------------------------------------------
    def _lbfgs_state(self):
        """torch's state dict of the first parameter, as plain values and arrays (copies)."""
        if self._ws is None:
            return {}
        ws, iws = self._ws, self._iws
        dtype = self._buckets[0][0].dtype
        n, m = int(self._buckets[0][0].param.size), int(iws[L._M])
        ro, al, xk, gk, xt, d, pg, s1, ys, ss, ls = L.offsets(n, m)
        state = {"func_evals": int(iws[L.FUNC_EVALS]), "n_iter": int(iws[L.N_ITER])}
        if iws[L.HAS_D]:
            slots = (int(iws[L.START]) + np.arange(int(iws[L.K]))) % m
            ring_y = ws[ys:ys + m * n].reshape(m, n)
            ring_s = ws[ss:ss + m * n].reshape(m, n)
            state.update(
                d=ws[d:d + n].astype(dtype),
                t=float(ws[L.T]),
                old_dirs=ring_y[slots].astype(dtype),
                old_stps=ring_s[slots].astype(dtype),
                ro=ws[ro + slots].astype(dtype),
                H_diag=float(ws[L.H_DIAG]),
                prev_flat_grad=ws[pg:pg + n].astype(dtype),
                prev_loss=float(ws[L.PREV_LOSS]),
            )
        if iws[L.HAS_AL]:
            state["al"] = ws[al:al + m].astype(dtype)
        return state

    @property
    def state(self):
        """torch's ``state``: ``{params[0]: {...}}`` once a step has run (copies)."""
        state = defaultdict(dict)
        entry = self._lbfgs_state()
        if entry:
            state[self._params[0]] = entry
        return state

    def _state_rows(self, group):
        return ()

    def state_dict(self):
        """torch's layout: ``{"state": {0: {...}}, "param_groups": [...]}`` (see the
        class notes for the state's keys); loading it resumes bit for bit."""
        sd = super().state_dict()
        entry = self._lbfgs_state()
        sd["state"] = {0: {k: (v.copy() if isinstance(v, np.ndarray) else v)
                           for k, v in entry.items()}} if entry else {}
        return sd

    def load_state_dict(self, state_dict):
        """Load a state produced by :meth:`state_dict` (torch's lists of tensors may also
        be given as lists of arrays, and ``al`` with ``None`` entries).

        Everything is checked before anything changes: a dict that does not fit leaves
        the optimizer exactly as it was.

        Raises
        ------
        ValueError
            Parameter groups that differ from this optimizer's or lack one of its
            options (the state dict of another optimizer); a state with entries LBFGS
            does not keep, or lacking some of those that come together; state arrays
            whose sizes do not fit its parameters and history size, or that are not
            floating point.
        """
        groups, ids = self._loaded_groups(state_dict)
        saved_state = state_dict["state"]
        if not isinstance(saved_state, Mapping):
            raise ValueError("loaded state dict's 'state' must be a dict, got "
                             f"{type(saved_state).__name__}")
        first = ids[0][0] if ids[0] else None
        for pid in saved_state:
            if pid != first:
                raise ValueError(f"loaded state dict has state for parameter {pid!r}; LBFGS "
                                 f"keeps all of its state under the first parameter ({first})")
        entry = saved_state.get(first, {})
        if not isinstance(entry, Mapping):
            raise ValueError(f"loaded state of parameter {first} must be a dict, got "
                             f"{type(entry).__name__}")
        ws = iws = None
        if entry:
            ws, iws = self._workspace_from(entry, self._buckets[0][0],
                                           int(groups[0]["history_size"]))
        # Nothing below can fail.
        self.param_groups[0] = groups[0]
        self._ws, self._iws = ws, iws

    @staticmethod
    def _workspace_from(entry, b, m):
        """The state machine's workspaces holding torch's state ``entry`` (checked)."""
        n = b.param.size
        extra = [k for k in entry if k not in _STATE_KEYS]
        if extra:
            raise ValueError(f"loaded state has {', '.join(map(repr, extra))}, which LBFGS does "
                             f"not keep (it keeps {', '.join(map(repr, _STATE_KEYS))}): is it "
                             "the state of another optimizer?")
        present = [k for k in _DIRECTION_KEYS if k in entry]
        if present and len(present) != len(_DIRECTION_KEYS):
            missing = [k for k in _DIRECTION_KEYS if k not in entry]
            raise ValueError(f"loaded state has {', '.join(map(repr, present))} but not "
                             f"{', '.join(map(repr, missing))}")
        iopts = np.zeros(L.N_IOPTS, dtype=np.int64)
        iopts[L.HISTORY_SIZE] = m
        lw, li = L.sizes(n, None, iopts)
        ws, iws = np.zeros(lw), np.zeros(li, dtype=np.int64)
        iws[L._M] = m
        iws[W.N] = n
        ro, al, xk, gk, xt, d, pg, s1, ys, ss, ls = L.offsets(n, m)

        def floats(key, v):
            v = np.asarray(v)
            if v.dtype.kind != "f":
                raise ValueError(f"state '{key}' has dtype {v.dtype}, expected a "
                                 "floating-point array")
            return v.astype(np.float64)

        def vector(key):
            v = floats(key, entry[key]).reshape(-1)
            if v.size != n:
                raise ValueError(f"state '{key}' has {v.size} elements, expected {n}")
            return v

        def rows(key):
            v = entry[key]
            if isinstance(v, (list, tuple)):
                v = [floats(key, r).reshape(-1) for r in v]
                if len({r.size for r in v}) > 1:
                    raise ValueError(f"state '{key}' holds arrays of different sizes")
                v = np.array(v, dtype=np.float64)
            v = floats(key, v)
            if v.size == 0:
                v = np.zeros((0, n))
            if v.ndim != 2 or v.shape[1] != n or v.shape[0] > m:
                raise ValueError(f"state '{key}' has shape {v.shape}, expected (k, {n}) "
                                 f"with k <= history_size = {m}")
            return v

        def number(key):
            return _state_scalar(entry[key], f"state {key!r}")

        for key, slot in (("func_evals", L.FUNC_EVALS), ("n_iter", L.N_ITER)):
            if key in entry:
                iws[slot] = int(_state_scalar(entry[key], f"state {key!r}", integer=True))
        ws[L.H_DIAG] = 1.0
        if present:
            ws[d:d + n] = vector("d")
            ws[pg:pg + n] = vector("prev_flat_grad")
            old_dirs, old_stps = rows("old_dirs"), rows("old_stps")
            ro_values = entry["ro"]
            if isinstance(ro_values, (list, tuple)):
                ro_values = [_number_of(r, "ro") for r in ro_values]
            ro_values = floats("ro", ro_values).reshape(-1)
            k = old_dirs.shape[0]
            if old_stps.shape[0] != k or ro_values.size != k:
                raise ValueError("state 'old_dirs', 'old_stps' and 'ro' have different lengths")
            ws[ys:ys + k * n] = old_dirs.reshape(-1)
            ws[ss:ss + k * n] = old_stps.reshape(-1)
            ws[ro:ro + k] = ro_values
            ws[L.T] = number("t")
            ws[L.H_DIAG] = number("H_diag")
            ws[L.PREV_LOSS] = number("prev_loss")
            iws[L.K] = k
            iws[L.HAS_D] = 1
        if "al" in entry:
            al_values = entry["al"]
            if isinstance(al_values, np.ndarray) and al_values.dtype.kind != "O":
                values = list(floats("al", al_values).reshape(-1))
            elif isinstance(al_values, np.ndarray):
                values = [np.nan if v is None else _number_of(v, "al")
                          for v in al_values.reshape(-1)]
            elif isinstance(al_values, Sequence) and not isinstance(al_values, str):
                values = [np.nan if v is None else _number_of(v, "al") for v in al_values]
            else:
                raise ValueError(f"state 'al' must be an array or a list, got "
                                 f"{_describe(al_values)}")
            if len(values) != m:
                raise ValueError(f"state 'al' has {len(values)} entries, expected "
                                 f"history_size = {m}")
            ws[al:al + m] = values
            iws[L.HAS_AL] = 1
        return ws, iws


def _number_of(value, key):
    """An entry of the list-valued state ``key`` (a number or a 1-element array)."""
    return _state_scalar(value, f"an entry of state {key!r}")


def _loss_value(loss):
    """The closure's loss as a float, as torch's ``float(closure())``, refusing what is
    not a real number (a string that would parse, a complex number, a longer array)."""
    if isinstance(loss, numbers.Real):
        return float(loss)
    if isinstance(loss, np.ndarray):
        if loss.size == 1 and loss.dtype.kind in "fiu":
            return float(loss.reshape(()))
    elif not isinstance(loss, (str, bytes, numbers.Complex)) and hasattr(loss, "__float__"):
        try:  # a torch tensor, say
            return float(loss)
        except (TypeError, ValueError):
            pass
    raise TypeError(f"closure must return the loss as a real number, got {_describe(loss)}")
