"""One record per ``minimize`` method: names, capabilities, options, state machine.

``minimize``, ``show_options``, the option tables of docs/minimize.md and the tests all
read this table. Adding a method is a module with its state machine and, at its end, one
:class:`Method` record (``METHOD``, or ``METHODS`` for a family) whose
:class:`Option` records name, type, default and describe every option it accepts.
"""
from dataclasses import dataclass, field
from types import MappingProxyType

# What an option accepts (``Option.type``). These describe how the methods' ``pack``
# functions check the values today; tests/minimize/test_registry.py holds each method to
# them.
TYPES = MappingProxyType({
    "real": "a real number (checked by real_option: a string, a list, True or NaN raises)",
    "count": "a limit on iterations or evaluations: a whole number, or np.inf for no "
             "limit (scipy's methods also read a fraction as its ceiling, as their loops "
             "do; torch's and the first-order methods refuse it)",
    "int": "a size: a positive whole number (10.0 is 10)",
    "bool": "true or false (None, where that is the default, means the default)",
    "pair": "a pair of real numbers",
    "array": "an array, of a shape the method checks",
    "step": "a finite-difference step: a scalar, or one per variable",
    "choice": "one of the values in Option.choices",
    "any": "anything: the option is accepted without effect",
})

# The meanings of the options accepted without effect (``Option.ignored``): scipy's,
# and torch's flags that choose among torch's kernels.
NO_EFFECT = "Accepted for compatibility with scipy; no effect."
NO_EFFECT_TORCH = ("Accepted for compatibility with torch; no effect (numopt runs one "
                   "compiled loop per buffer).")
NO_EFFECTS = (NO_EFFECT, NO_EFFECT_TORCH)


@dataclass(frozen=True)
class Option:
    """One option of a ``minimize`` method (a key of ``minimize``'s ``options`` dict).

    Attributes
    ----------
    name : str
        The option's name (scipy's for scipy's methods, torch's for the others).
    type : str
        What it accepts, one of :data:`TYPES`.
    default : object
        Its default. ``None`` where the method resolves it from the problem (BFGS's
        ``maxiter=None`` is ``200 * n``; ``meaning`` says how).
    meaning : str
        One sentence (``show_options`` and docs/minimize.md print it).
    tol : bool
        Whether ``minimize(tol=...)`` sets it (unless ``options`` gives it).
    ignored : bool
        Whether it is accepted without effect, for compatibility (scipy's ``workers``,
        torch's ``foreach``); then ``type`` is ``"any"`` and ``meaning`` one of
        :data:`NO_EFFECTS`.
    choices : tuple
        With ``type="choice"``: the values it accepts.
    """

    name: str
    type: str
    default: object
    meaning: str
    tol: bool = False
    ignored: bool = False
    choices: tuple = ()

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"option {self.name!r}: unknown type {self.type!r}")
        if self.ignored != (self.meaning in NO_EFFECTS) or (self.ignored
                                                           and self.type != "any"):
            raise ValueError(f"option {self.name!r}: an ignored option has type 'any' and "
                             "a meaning of NO_EFFECTS, and only an ignored one has")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError(f"option {self.name!r}: choices go with type 'choice'")


def ignored(name, default=None, meaning=NO_EFFECT):
    """An option accepted without effect, for compatibility with scipy (or, with
    ``meaning=NO_EFFECT_TORCH``, torch)."""
    return Option(name, "any", default, meaning, ignored=True)


# Options that several of scipy's methods share, with the same meaning.
DISP = Option("disp", "bool", False, "Print scipy's summary at the end (and warn as scipy "
              "does when the run fails).")
RETURN_ALL = Option("return_all", "bool", False,
                    "Also return `allvecs`: x0, then the iterate after each iteration.")
FINITE_DIFF_REL_STEP = Option(
    "finite_diff_rel_step", "step", None, "Relative finite-difference step with "
    "`jac=\"2-point\"`, `\"3-point\"` or `\"cs\"` (`None`: the scheme's default).")
WORKERS = ignored("workers")


# The hidden option through which ``minimize`` tells the ``pack`` of a method with
# ``keeps_dtype`` that ``x0`` is float32 (never one of the user's: a leading underscore).
FLOAT32_OPTION = "_float32"


@dataclass(frozen=True, kw_only=True)
class Reporting:
    """How ``minimize``'s front door gives scipy's ``return_all`` and ``disp`` for a
    method whose scipy version honours them; the method's state machine knows nothing
    of either (the front door runs it with a callback and prints after it).

    Attributes
    ----------
    warning : type
        The warning that ``disp=True`` gives when the run fails (scipy's gradient
        methods: ``OptimizeWarning``; its Nelder-Mead: ``RuntimeWarning``).
    counts_on_failure : bool
        Whether the counts are printed after that warning too (scipy's gradient
        methods), or only after a success (its Nelder-Mead).
    first_iterate : callable, optional
        ``first_iterate(x0, options) -> array or None``: the first entry of ``allvecs``
        where it is not ``x0`` (clipped into the bounds, where there are bounds), as
        Nelder-Mead's first vertex of a given ``initial_simplex``.
    """

    warning: type
    counts_on_failure: bool = True
    first_iterate: object = None


@dataclass(frozen=True, kw_only=True)
class Method:
    """A ``minimize`` method: its options, what it can use, and its drivers.

    A method is either a state machine (``sizes``, ``init`` and ``step``, see
    :mod:`._workspace`), which the Python loop, the compiled loop, the ``prange``
    batch and the CUDA kernel all drive, or a Python loop of its own (``run``, with
    ``batch`` for ``minimize_batch``).

    Attributes
    ----------
    name : str
        The canonical name (``method=`` is matched case-insensitively).
    options : tuple of Option
        Every option it accepts, in the order ``show_options`` lists them.
    pack : callable
        ``pack(options, n, lower, upper) -> (fopts, iopts)``: checks the merged options
        (every name of ``options``, defaults filled in) and returns what ``init`` (or
        ``run``) reads. ``lower``/``upper`` are the bounds (float64 arrays, -inf/inf
        where a variable is unbounded) or None.
    module : module
        The module that defines the record, for the tests and the docs (its ``LAYOUT``).
        No driver reads it: ``minimize``, ``minimize_batch`` and the CUDA kernel call the
        fields below, so the record alone says what a method provides
        (tests/minimize/test_registry.py checks that nothing probes the module).
    sizes : callable, optional
        ``sizes(n, fopts, iopts) -> (len(ws), len(iws))`` (with ``init`` and ``step``).
    init : callable, optional
        ``init(ws, iws, x0, fopts, iopts)``, jitable.
    step : callable, optional
        ``step(ws, iws, f)``, jitable: one evaluation's worth of work.
    choose_step : callable, optional
        ``choose_step(iopts) -> step``, for a method whose ``step`` has variants chosen
        by the options (L-BFGS-B without bounds, Nelder-Mead in float32); ``iopts`` is
        one problem's or a batch's rows. See :meth:`step_for`.
    extras : callable, optional
        ``extras(ws, iws, n, dtype) -> dict``: scipy's extra result fields
        (``hess_inv``, ``final_simplex``).
    check : callable, optional
        ``check(x0, options, lower, upper)``: Python-side checks before the run (warnings
        scipy gives), called by ``minimize``.
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
    uses_gradient, bounds, constraints, hess : bool
        What the method can use (``minimize`` warns, as scipy, when given the others).
    fd_options : bool
        Whether scipy's ``eps`` (absolute step, with ``jac=None``) and
        ``finite_diff_rel_step`` options choose the finite-difference steps, as in
        scipy's BFGS, CG and L-BFGS-B; otherwise differences take the default
        relative step (see :mod:`._finite_diff`).
    nan_bound_is_none : bool
        With ``bounds``: whether a NaN bound is no bound (scipy's L-BFGS-B, which only
        tests ``isinf``) or an error (scipy's Nelder-Mead clips its points to NaN).
    removes_fixed : bool
        With ``bounds``: whether ``minimize`` treats variables fixed by equal bounds
        (``lower == upper``) as scipy's ``minimize`` does for L-BFGS-B: every variable
        fixed, no run (one evaluation at the bounds); some fixed and a finite-difference
        gradient, the method runs on the others (a difference cannot step within
        ``lower == upper``) and they are put back into the result, ``jac`` NaN there.
    keeps_dtype : bool
        Whether the method keeps the dtype of a float32 (or other non-float64) ``x0``, as
        scipy's Nelder-Mead keeps its vertices: a Python objective gets ``x`` of that
        dtype, and ``pack`` reads the hidden option :data:`FLOAT32_OPTION` (True for a
        float32 ``x0``, set by ``minimize``; ``minimize_batch`` computes in float64).
    reporting : Reporting, optional
        Where scipy's version honours ``return_all`` and ``disp``, how the front door
        gives them (``None``: the method's options handle them, or it has neither).
    reference : str
        What it follows, for the docs: scipy's function (``"scipy.optimize._optimize.
        _minimize_bfgs"``), whose signature's defaults the tests compare with, or torch's
        or numopt's class.
    """

    name: str
    options: tuple
    pack: object
    module: object = None
    sizes: object = None
    init: object = None
    step: object = None
    choose_step: object = None
    extras: object = None
    check: object = None
    run: object = None
    batch: object = None
    uses_gradient: bool = True
    bounds: bool = False
    constraints: bool = False
    hess: bool = False
    fd_options: bool = False
    nan_bound_is_none: bool = True
    removes_fixed: bool = False
    keeps_dtype: bool = False
    reporting: Reporting = None
    reference: str = ""
    # Derived in __post_init__: read on every minimize call, so computed once.
    _defaults: MappingProxyType = field(init=False, repr=False, compare=False)
    _tol: tuple = field(init=False, repr=False, compare=False)
    _ignored: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        options = tuple(self.options)
        if not all(isinstance(o, Option) for o in options):
            raise TypeError(f"method {self.name}: options must be Option records")
        names = [o.name for o in options]
        if len(set(names)) != len(names):
            raise ValueError(f"method {self.name}: an option is given twice in {names}")
        if self.run is None and None in (self.sizes, self.init, self.step):
            raise ValueError(f"method {self.name}: give sizes, init and step, or run")
        set_ = object.__setattr__  # the record is frozen; these are derived once
        set_(self, "options", options)
        set_(self, "_defaults", MappingProxyType({o.name: o.default for o in options}))
        set_(self, "_tol", tuple(o.name for o in options if o.tol))
        set_(self, "_ignored", tuple(o.name for o in options if o.ignored))

    @property
    def defaults(self):
        """``{name: default}`` of every option, in order (a read-only mapping)."""
        return self._defaults

    @property
    def tol(self):
        """The names of the options that ``minimize(tol=...)`` sets."""
        return self._tol

    @property
    def ignored(self):
        """The names of the options accepted without effect."""
        return self._ignored

    def option(self, name):
        """The :class:`Option` called ``name`` (KeyError if the method has none)."""
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(f"method {self.name} has no option {name!r}")

    def step_for(self, iopts):
        """The ``step`` that serves options ``iopts`` (one problem's, or a batch's rows):
        ``choose_step(iopts)`` where the method has variants, else ``step`` (``None``
        for a method with its own ``run``)."""
        if self.choose_step is not None:
            return self.choose_step(iopts)
        return self.step


# The method modules, each defining ``METHOD`` (or ``METHODS``, a list of records).
_MODULES = ("_bfgs", "_cg", "_lbfgsb", "_neldermead", "_lbfgs", "_firstorder")


def _collect():
    """``{lowercase name: Method}`` from every module of :data:`_MODULES`, each of which
    defines ``METHOD`` or ``METHODS`` (a missing record or a name given twice raises: a
    method that silently dropped out of the registry would drop out of every test)."""
    import importlib

    methods = {}
    for name in _MODULES:
        namespace = vars(importlib.import_module(f"{__package__}.{name}"))
        if ("METHOD" in namespace) == ("METHODS" in namespace):
            raise RuntimeError(f"{name} must define METHOD or METHODS (one of them)")
        for record in namespace.get("METHODS") or [namespace["METHOD"]]:
            if not isinstance(record, Method):
                raise TypeError(f"{name}: {record!r} is not a Method record")
            if record.name.lower() in methods:
                raise RuntimeError(f"method {record.name!r} is registered twice")
            methods[record.name.lower()] = record
    return methods


METHODS = {}


def all_methods():
    """Every method's :class:`Method` record, in the registry's order (scipy's methods,
    then torch's LBFGS, then the first-order methods)."""
    if not METHODS:
        METHODS.update(_collect())
    return tuple(METHODS.values())


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
