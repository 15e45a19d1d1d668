"""The record by which a rule file declares everything about its optimizer's update.

A rule file holds the compiled arithmetic (a plain function, see :mod:`numopt._rules`)
and, next to it, one :class:`Rule`: the names of the per-step values the function
unpacks from ``h`` and ``f`` (in its order), the state rows it keeps, the per-parameter
scalars, and ``derive``, which computes the per-step values from a parameter group.
The optimizer class keeps only torch's signature, defaults and validation; the base
class (:mod:`numopt.optim.optimizer`) and the drivers (:mod:`numopt._drivers`) read
the record. The positional tuples numba needs are packed from the names here, once
per step, so no other file knows an order.
"""
from collections import namedtuple
from operator import itemgetter

__all__ = ["Rule", "FactoredPhases", "lerp_weight"]

#: The phases of a factored rule (``kind="factored"``), each a plain function whose
#: first two unpacking statements read ``f`` and ``h`` as the record names them. The
#: drivers (:func:`numopt._drivers.cpu.factored_drivers`,
#: :func:`numopt._drivers.cuda.launch_factored`) loop, reduce and launch; the phases
#: hold all the arithmetic, so the CPU and the GPU compute the same thing:
#:
#: - ``param_square(i, p, g, s, h, f)``, ``grad_square(...)``: one element's square,
#:   in float64, summed by the drivers (over the parameter; over a row or a column);
#: - ``row_update(k, p, g, s, h, f, total, count)``: the row statistic stored at
#:   ``s[0, k]`` from the sum ``total`` of its ``count`` squares; ``col_update`` the
#:   column statistic at ``s[1, k]``;
#: - ``row_mean(p, g, s, h, f, total, count)``: the mean of a batch's row statistics
#:   from their sum (the denominator of the factored estimate);
#: - ``scaled_update(i, p, g, s, h, f, ri, ci, mean, factored)``: element ``i``'s
#:   update before its scale, from the statistics at ``s[0, ri]`` and ``s[1, ci]`` (the
#:   drivers do the index arithmetic); its square is summed too;
#: - ``step_size(p, h, f, n, param_ssq, update_ssq)``: the scale, from the two sums;
#: - ``apply(i, p, g, s, h, f, u, step)``: the update itself, given element ``i``'s
#:   ``scaled_update`` (a phase calls no other: the drivers pass values between them).
FactoredPhases = namedtuple("FactoredPhases", (
    "param_square", "grad_square", "row_update", "col_update", "row_mean",
    "scaled_update", "step_size", "apply"))


def _packer(names):
    """A function taking a dict to the tuple of its values at ``names``, in order."""
    if not names:
        return lambda values: ()
    if len(names) == 1:
        (name,) = names
        return lambda values: (values[name],)
    return itemgetter(*names)


def _no_rows(group):
    return None


def _step_only(group):
    return {"step": 0}


def _zero(group, name):
    return 0


class Rule:
    """One optimizer's update rule, declared once.

    Parameters
    ----------
    update : function or FactoredPhases
        The compiled arithmetic: ``update(i, p, g, s, h, f)`` for an element-wise rule
        (see :mod:`numopt._rules`), or the phases of a factored rule (``kind``).
    hyper : tuple of str
        Names of the per-step scalars, in the order ``update`` unpacks ``h``.
    flags : tuple of str
        Names of the structural booleans, in the order ``update`` unpacks ``f``. The
        drivers compile one loop per combination.
    rows : tuple of str
        Every state array the rule may keep, in row order (``s[k]`` is ``rows[k]`` of
        the rows a group keeps, see ``active_rows``).
    reads : tuple of str
        The hyperparameters (parameter-group keys) ``derive``, ``active_rows``,
        ``scalars`` and ``row_init`` read; the tests check each is a constructor
        argument of the class and that nothing else is read.
    derive : function
        ``derive(group, scalars, fresh) -> dict``: advance the per-parameter
        ``scalars`` (a dict of floats, changed in place) by one step and return every
        value named in ``hyper`` and ``flags``. ``fresh``: the state was just created.
        Host arithmetic in float64, as torch's.
    active_rows : function, optional
        ``active_rows(group) -> tuple`` of the rows a group keeps (default: all).
    scalars : function, optional
        ``scalars(group) -> dict``: the per-parameter scalar state created with the
        arrays (default ``{"step": 0}``); an empty dict and no rows: no state at all.
    row_init : function, optional
        ``row_init(group, name)``: the initial value of a state row (default 0).
    kind : {"elementwise", "factored"}
        How the drivers apply ``update``: element by element over a whole bucket, or
        parameter by parameter with a reduction over its rows and columns (see
        :mod:`numopt._drivers.cpu`).
    state_shapes : function, optional
        Factored rules: ``state_shapes(shape) -> {key: (row, shape)}``, for a parameter
        of ``shape``, the state arrays it keeps under torch's keys, each with the state
        row that stores it and its shape as torch stores it; an array occupies the
        first elements of the parameter's slice of its row. Element-wise rules keep
        every active row under its own name, in the parameter's shape.
    name : str, optional
        The rule's name (default: ``update.__name__``; required for a factored rule).
    """

    def __init__(self, update, *, hyper, flags, rows, reads, derive, active_rows=None,
                 scalars=None, row_init=None, kind="elementwise", state_shapes=None,
                 name=None):
        if kind not in ("elementwise", "factored"):
            raise ValueError(f"kind must be 'elementwise' or 'factored', got {kind!r}")
        if kind == "factored" and (not isinstance(update, FactoredPhases)
                                   or state_shapes is None or name is None):
            raise ValueError("a factored rule needs FactoredPhases, state_shapes and a name")
        self.update = update
        self.name = name or update.__name__
        self.hyper, self.flags, self.rows = tuple(hyper), tuple(flags), tuple(rows)
        self.reads = tuple(reads)
        self.derive = derive
        self.active_rows = active_rows or (lambda group: self.rows)
        self.scalars = scalars or _step_only
        self.row_init = row_init or _zero
        self.kind = kind
        self.state_shapes = state_shapes
        self._hyper_of, self._flags_of = _packer(self.hyper), _packer(self.flags)

    def pack(self, values):
        """``(hyper, flags)``: the tuples ``update`` unpacks, from the named ``values``."""
        return self._hyper_of(values), self._flags_of(values)

    def step(self, group, scalars, fresh):
        """One step's ``(hyper, flags)`` for a parameter group (``derive``, packed)."""
        values = self.derive(group, scalars, fresh)
        return self._hyper_of(values), self._flags_of(values)

    def __repr__(self):
        return f"<Rule {self.name} ({self.kind}): rows {self.rows}>"


def lerp_weight(weight):
    """Per-step scalars of the rules' ``lerp``: the weight, ``1 - weight``, and whether
    torch's ``|weight| < 0.5`` form applies."""
    return weight, 1 - weight, abs(weight) < 0.5
