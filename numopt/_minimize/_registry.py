"""One record per ``minimize`` method: names, capabilities, options, state machine.

``minimize``, the docs and the tests all read this table; adding a method is adding a
record here and a module with ``sizes``, ``init`` and ``step``.
"""
from dataclasses import dataclass, field

import numpy as np

from . import _bfgs


@dataclass(frozen=True)
class Method:
    """A ``minimize`` method.

    Attributes
    ----------
    name : str
        The canonical name (``method=`` is matched case-insensitively).
    module : module
        Provides ``sizes(n)``, ``init(ws, iws, x0, fopts, iopts)`` and
        ``step(ws, iws, f)`` (see :mod:`._workspace`).
    defaults : dict
        Options and their defaults, with scipy's names. ``None`` defaults are resolved
        by ``pack`` (e.g. ``maxiter=None`` is ``200 * n``).
    pack : callable
        ``pack(options, n) -> (fopts, iopts)``: the option arrays of ``init``.
    tol : tuple of str
        The options that ``minimize(tol=...)`` sets.
    uses_gradient, bounds, constraints, hess : bool
        What the method can use.
    ignored : tuple of str
        scipy options accepted for compatibility that change nothing here (``disp``...).
    unsupported : tuple of str
        scipy options numopt does not implement yet: setting one raises
        ``NotImplementedError`` rather than being ignored.
    """

    name: str
    module: object
    defaults: dict
    pack: object
    tol: tuple
    uses_gradient: bool = True
    bounds: bool = False
    constraints: bool = False
    hess: bool = False
    ignored: tuple = field(default_factory=tuple)
    unsupported: tuple = field(default_factory=tuple)


def _pack_bfgs(o, n):
    maxiter = 200 * n if o["maxiter"] is None else int(o["maxiter"])
    fopts = np.array([o["gtol"], o["norm"], o["xrtol"], o["c1"], o["c2"]], dtype=np.float64)
    return fopts, np.array([maxiter], dtype=np.int64)


METHODS = {
    "bfgs": Method(
        name="BFGS", module=_bfgs,
        defaults=dict(gtol=1e-5, norm=np.inf, maxiter=None, xrtol=0.0, c1=1e-4, c2=0.9,
                      eps=None, disp=False, return_all=False, finite_diff_rel_step=None,
                      hess_inv0=None, workers=None),
        pack=_pack_bfgs, tol=("gtol",),
        ignored=("disp", "return_all", "workers"),
        unsupported=("eps", "finite_diff_rel_step", "hess_inv0"),
    ),
}


def get(method):
    """Look a method up by name, case-insensitively."""
    key = method.lower()
    if key not in METHODS:
        names = ", ".join(sorted(m.name for m in METHODS.values()))
        raise ValueError(f"Unknown solver {method!r}; numopt.minimize supports: {names}")
    return METHODS[key]
