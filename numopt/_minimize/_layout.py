"""Declarative layouts of a method's two workspaces.

Every method keeps its whole state in a float64 array ``ws`` and an int64 array ``iws``
(see :mod:`._workspace`), so that one state machine serves ``minimize``, a ``prange``
batch and a CUDA thread. A :class:`Layout` names the slots of both once, in order:

- scalar slots after the header (``ints`` in ``iws``, ``floats`` in ``ws``), whose indices
  are plain integers known at import time (``L.i.phase``, ``L.f.gtol``: attributes of a
  module-level named tuple, which numba folds into constants);
- array slots after the scalars, each with its length as an expression of the layout's
  parameters (``("hk", "n * n")``), whose offsets a compiled function computes
  (``o = L.offsets(n)``, then ``ws[o.hk + k]``); LLVM folds the additions.

The layout also gives the workspaces' lengths (:meth:`Layout.sizes`) and every slot's
span (:meth:`Layout.spans`), which the tests check for overlaps and gaps for every method
and a range of sizes. Adding a slot is one line, and no other offset has to be edited.

A method module binds the parts compiled code reads to module globals (numba types a
named tuple of ints and a jitable function, not the :class:`Layout` object)::

    LAYOUT = Layout("bfgs", ints=("phase", "maxiter"), floats=("gtol",),
                    arrays=(("xk", "n"), ("hk", "n * n")))
    _I, _F, _offsets = LAYOUT.i, LAYOUT.f, LAYOUT.offsets
"""
from collections import namedtuple

from . import _workspace as W
from ._standalone import jitable

__all__ = ["Layout"]


class Layout:
    """The named slots of one method's ``ws`` and ``iws``.

    Parameters
    ----------
    name : str
        The method, for messages and generated code's file name.
    params : tuple of str, default ("n",)
        The names the array lengths depend on (``"n"``, ``"m"``...), in the order
        :attr:`offsets` and :meth:`sizes` take them.
    ints, floats : tuple of str
        The scalar slots of ``iws`` and ``ws``, after the header of :mod:`._workspace`.
    arrays, int_arrays : tuple of (str, str)
        The array slots of ``ws`` (after ``floats``) and of ``iws`` (after ``ints``):
        a name and the array's length, a Python expression of ``params`` (a number is
        a fixed length).

    Attributes
    ----------
    i, f : named tuples of int
        The indices of the scalar slots in ``iws`` and ``ws``.
    offsets, int_offsets : compiled functions
        ``offsets(*params)`` gives a named tuple of the offsets of ``arrays`` in ``ws``,
        plus ``end``, the length of ``ws``; ``int_offsets`` the same for ``int_arrays``
        in ``iws``. Both are plain Python functions too.
    """

    def __init__(self, name, *, params=("n",), ints=(), floats=(), arrays=(),
                 int_arrays=()):
        self.name = name
        self.params = tuple(params)
        for group in (list(ints) + [a for a, _ in int_arrays],
                      list(floats) + [a for a, _ in arrays]):
            seen = set()
            for slot in group:
                if not slot.isidentifier() or slot.startswith("_") or slot == "end":
                    raise ValueError(f"{name}: {slot!r} is not a valid slot name")
                if slot in seen:
                    raise ValueError(f"{name}: slot {slot!r} is declared twice")
                seen.add(slot)
        for slot, length in (*arrays, *int_arrays):
            try:  # a length may name only the parameters
                compile(str(length), "<length>", "eval")
                bad = set(compile(str(length), "<length>", "eval").co_names) - set(params)
            except SyntaxError:
                bad = {str(length)}
            if bad:
                raise ValueError(f"{name}: the length of {slot!r}, {length!r}, uses "
                                 f"{', '.join(sorted(bad))}, not among {self.params}")
        self.i = namedtuple(f"{name}_ints", ints)(
            *range(W.HEADER_INTS, W.HEADER_INTS + len(ints)))
        self.f = namedtuple(f"{name}_floats", floats)(
            *range(W.HEADER_FLOATS, W.HEADER_FLOATS + len(floats)))
        self.arrays = tuple(arrays)
        self.int_arrays = tuple(int_arrays)
        self.offsets = self._generate("offsets", W.HEADER_FLOATS + len(floats), arrays)
        self.int_offsets = self._generate("int_offsets", W.HEADER_INTS + len(ints),
                                          int_arrays)
        self._memo = {}

    def offsets_of(self, *params):
        """``(offsets, int_offsets)`` for these parameter values, remembered: the front
        doors ask for the same sizes call after call (a few microseconds each to build)."""
        hit = self._memo.get(params)
        if hit is None:
            if len(self._memo) >= 1024:   # bounded: sizes come and go
                self._memo.clear()
            hit = self._memo[params] = (self.offsets(*params), self.int_offsets(*params))
        return hit

    def _generate(self, kind, start, arrays):
        # Generated source rather than a loop over the declaration: the compiled function
        # is then straight-line additions that LLVM folds into its callers.
        fields = [a for a, _ in arrays] + ["end"]
        lines = [f"def {kind}({', '.join(self.params)}):", f"    at = {start}"]
        for slot, length in arrays:
            lines += [f"    {slot} = at", f"    at = at + ({length})"]
        lines.append(f"    return _Offsets({', '.join(fields[:-1] + ['at'])})")
        namespace = {"_Offsets": namedtuple(f"{self.name}_{kind}", fields)}
        exec(compile("\n".join(lines), f"<numopt layout {self.name}.{kind}>", "exec"),
             namespace)
        func = namespace[kind]
        func.__module__ = __name__
        func.__qualname__ = f"{self.name}_{kind}"
        return jitable(func)

    def sizes(self, *params):
        """The lengths ``(len(ws), len(iws))`` for these parameter values."""
        o, io = self.offsets_of(*params)
        return int(o.end), int(io.end)

    def spans(self, *params):
        """Every slot of ``ws`` and of ``iws`` as ``(name, start, stop)``, in order,
        the header included: ``{"ws": [...], "iws": [...]}``."""
        ws = [("header", 0, W.HEADER_FLOATS)]
        ws += [(s, k, k + 1) for s, k in zip(self.f._fields, self.f)]
        iws = [("header", 0, W.HEADER_INTS)]
        iws += [(s, k, k + 1) for s, k in zip(self.i._fields, self.i)]
        for out, arrays, offsets in ((ws, self.arrays, self.offsets(*params)),
                                     (iws, self.int_arrays, self.int_offsets(*params))):
            for (slot, _), start, stop in zip(arrays, offsets, offsets[1:]):
                out.append((slot, int(start), int(stop)))
        return {"ws": ws, "iws": iws}

    def __repr__(self):
        return (f"Layout({self.name!r}: {len(self.i)} int and {len(self.f)} float scalars, "
                f"{len(self.arrays)} + {len(self.int_arrays)} arrays)")
