"""One record per ``minimize`` method: names, capabilities, options, state machine.

``minimize``, the docs and the tests all read this table; adding a method is adding a
record here and a module with ``sizes``, ``init`` and ``step``.
"""
from dataclasses import dataclass, field



@dataclass(frozen=True)
class Method:
    """A ``minimize`` method.

    Attributes
    ----------
    name : str
        The canonical name (``method=`` is matched case-insensitively).
    module : module
        Provides ``sizes(n, fopts, iopts)``, ``init(ws, iws, x0, fopts, iopts)`` and
        ``step(ws, iws, f)`` (see :mod:`._workspace`).
    defaults : dict
        Options and their defaults, with scipy's names. ``None`` defaults are resolved
        by ``pack`` (e.g. ``maxiter=None`` is ``200 * n``).
    pack : callable
        ``pack(options, n, lower, upper) -> (fopts, iopts)``: the option arrays of
        ``init``. ``lower``/``upper`` are the bounds (float64 arrays, -inf/inf where a
        variable is unbounded) or None.
    tol : tuple of str
        The options that ``minimize(tol=...)`` sets.
    uses_gradient, bounds, constraints, hess : bool
        What the method can use.
    ignored : tuple of str
        scipy options accepted for compatibility that change nothing here (``disp``...).
    fd_options : bool
        Whether scipy's ``eps`` (absolute step, with ``jac=None``) and
        ``finite_diff_rel_step`` options choose the finite-difference steps, as in
        scipy's BFGS, CG and L-BFGS-B; otherwise differences take the default
        relative step (see :mod:`._finite_diff`).
    run : callable, optional
        For a method driven by its own Python loop instead of ``init``/``step`` (the
        first-order methods of :mod:`._firstorder`, which run the ``numopt.optim``
        classes): ``run(fg, x0, fopts, iopts, args, copy_x, on_iteration) -> (ws, iws)``,
        ``fopts, iopts`` from ``pack``, the other arguments as
        :func:`._drivers.run_python`'s; the returned workspaces hold the header of
        :mod:`._workspace` (result iterate, counters, reason).
    batch : callable, optional
        With ``run``: the method's ``minimize_batch`` driver,
        ``batch(fopts, iopts, X0, evaluate, device) -> (XR, GR, FR, NIT, NFEV, REASON)``
        (see :func:`._firstorder_batch.run_batch`).
    nan_bound_is_none : bool
        With ``bounds``: whether a NaN bound is no bound (scipy's L-BFGS-B, which only
        tests ``isinf``) or an error (scipy's Nelder-Mead clips its points to NaN).
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
    fd_options: bool = False
    run: object = None
    batch: object = None
    nan_bound_is_none: bool = True

    def step_for(self, iopts):
        """The ``step`` that serves options ``iopts`` (one problem's, or a batch's rows):
        the module's ``step_for`` where it has variants (L-BFGS-B without bounds), else
        its ``step`` (``None`` for a method with its own ``run``)."""
        chooser = getattr(self.module, "step_for", None)
        if chooser is not None:
            return chooser(iopts)
        return getattr(self.module, "step", None)  # None: a method with its own ``run``


# The method modules, each defining ``METHOD`` (or ``METHODS``, a list of records).
_MODULES = ("_bfgs", "_cg", "_lbfgsb", "_neldermead", "_lbfgs", "_firstorder")


def _collect():
    import importlib

    methods = {}
    for name in _MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:  # a method still being written
            if exc.name != f"{__package__}.{name}":
                raise
            continue
        records = getattr(module, "METHODS", None) or [getattr(module, "METHOD", None)]
        for record in records:
            if record is not None:
                methods[record.name.lower()] = record
    return methods


METHODS = {}


def get(method):
    """Look a method up by name, case-insensitively."""
    if not METHODS:
        METHODS.update(_collect())
    key = method.lower()
    if key not in METHODS:
        names = ", ".join(sorted(m.name for m in METHODS.values()))
        raise ValueError(f"Unknown solver {method!r}; numopt.minimize supports: {names}")
    return METHODS[key]


# "No limit" for an iteration or evaluation count (scipy's ``np.inf``): large enough
# that no run reaches it, small enough that counters never overflow an int64.
UNLIMITED = 2 ** 62


def count_option(value, name, method):
    """An iteration or evaluation limit (``maxiter``, ``maxfun``...) as a Python int, as
    scipy's loops read it: they compare ``k < maxiter``, so a real number acts as its
    ceiling (``100.1`` allows 101 iterations), ``np.inf`` (or anything beyond
    :data:`UNLIMITED`) is no limit, and a negative number allows none.

    Raises
    ------
    TypeError
        ``value`` is not a real number (a string, ``True``, an array...).
    ValueError
        ``value`` is NaN.
    """
    import math
    import numbers

    import numpy as np

    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"option {name!r} of {method} must be a number (an integer, or "
                        f"np.inf for no limit), got {type(value).__name__} {value!r:.40}")
    if value != value:
        raise ValueError(f"option {name!r} of {method} must be a number, got NaN")
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif math.isinf(value):
        v = UNLIMITED if value > 0 else -UNLIMITED
    else:
        v = math.ceil(value)
    return max(-UNLIMITED, min(UNLIMITED, v))


def real_option(value, name, method, nan=False):
    """A real-valued option (a tolerance, a line-search constant...) as a Python float.

    Accepts what scipy's loops compute with (ints, floats, numpy scalars, 0-d arrays);
    refuses, naming the option, what they would fail on later or with numpy's message
    (a string, a list, ``True``, a complex number).

    Parameters
    ----------
    value : object
        The option's value.
    name, method : str
        The option's and the method's names, for the message.
    nan : bool, default False
        Whether NaN is allowed. A NaN tolerance turns every ``<=`` test false: scipy's
        loops then stop at once or never, and report success at ``x0``.

    Raises
    ------
    TypeError
        ``value`` is not a real number.
    ValueError
        ``value`` is NaN (and ``nan`` is False).
    """
    import numbers

    import numpy as np

    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"option {name!r} of {method} must be a real number, got "
                        f"{type(value).__name__} {value!r:.40}")
    value = float(value)
    if value != value and not nan:
        raise ValueError(f"option {name!r} of {method} must be a number, got NaN")
    return value
