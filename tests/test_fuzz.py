"""A fuzz test of numopt's front doors: ``minimize``, ``minimize_batch`` and ``numopt.optim``.

Every case throws an odd or bad input at one of them, and its outcome must be one of

- a **clear exception**: ``TypeError``, ``ValueError`` or ``NotImplementedError`` whose message
  names the argument at fault, or the objective's (callback's, closure's) own exception
  propagated with its type and message;
- an **honest failure**: ``success=False``, with ``fun`` the value the objective really returns
  at ``x`` (recomputed here), a non-zero status and a message;
- a **correct success**: ``success=True``, with a finite ``x`` and a finite ``fun`` equal to the
  objective at ``x``, close to the problem's known minimum.

Anything else fails the case: an exception of the objective swallowed, numba's errors leaking
out (a ``TypingError``, a ``<source missing`` message, "Exception ignored" on stderr), raw
``IndexError``/``KeyError``/``OverflowError``... from numopt's internals, ``success=True`` with a
non-finite or wrong value, or ``x0``, ``args`` or ``bounds`` modified by the call. Where scipy
accepts an input (a one-element array as the objective's value, NaN bounds in L-BFGS-B, a
non-integer or infinite ``maxiter``), an exception is wrong too.

The problem is always a scaled quadratic with a known minimum, ``_trap`` below, whose faults
(raise, NaN, +-inf in a region the solver must cross) are chosen by the value of its scale
``s``: so every compiled objective has the same ``args`` type ``(float64[::1], float64)`` and
the solvers compile once per method, not once per case.

The plan is seeded. The default run has every kind of fault once per method, with a Python
and a compiled objective in turn (a few hundred cases); ``pytest -m fuzz`` runs ``EXTENDED``
more, drawn at random from the same space with another seed. A failing case's message shows
the call (its inputs) and what came back; its test id names the door, fault, method and
objective (``minimize-raise_mid-BFGS-njit-17``).
"""
import copy
import inspect
import math
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from numba import njit
from scipy.optimize import Bounds
from scipy.optimize import OptimizeResult as ScipyOptimizeResult

import numopt
from numopt import Parameter, optim

SEED = 9_5          # issue 9, item 5
EXTENDED = 4000     # cases of the ``fuzz`` marker's run

METHODS = ("BFGS", "L-BFGS-B", "CG", "Nelder-Mead", "LBFGS", "adam")
GRADIENT_METHODS = tuple(m for m in METHODS if m != "Nelder-Mead")
SCIPY_METHODS = ("BFGS", "L-BFGS-B", "CG", "Nelder-Mead")
BOUNDED_METHODS = ("L-BFGS-B", "Nelder-Mead")   # the methods that use bounds (scipy's too)
# adam's default lr (1e-3) needs thousands of steps to cross the problems' scales.
METHOD_OPTIONS = {"adam": {"lr": 0.05}}
TOL_OPTION = {"BFGS": "gtol", "L-BFGS-B": "gtol", "CG": "gtol", "Nelder-Mead": "xatol",
              "LBFGS": "tolerance_grad", "adam": "gtol"}

REFUSED = "fuzz: the objective refuses this x"


# -- objectives ---------------------------------------------------------------------------------
def _trap(x, c, s):
    """``s * |x - c|^2`` for ``s > 0``; for ``s < 0``, ``|s| * |x - c|^2`` outside the trap
    ``x[0] > c[0] / 2`` and, inside it: ``s = -1`` raises ``ValueError(REFUSED)``, -2 returns
    NaN, -3 +inf, -4 -inf. With ``c[0] > 0`` the minimum ``c`` lies in the trap, so every
    solver that converges enters it."""
    if s < 0.0 and x[0] > 0.5 * c[0]:
        if s == -1.0:
            raise ValueError(REFUSED)
        if s == -2.0:
            return np.nan
        if s == -3.0:
            return np.inf
        return -np.inf
    w = abs(s)
    f = 0.0
    for i in range(x.size):
        d = x[i] - c[i]
        f += w * d * d
    return f


def _trap_grad(x, c, s):
    return 2.0 * abs(s) * (x - c)


def _trap_tuple(x, c, s):
    return _trap(x, c, s), _trap_grad(x, c, s)


# The compiled objectives, module-level so that numba compiles each once per process.
trap = njit(_trap)
trap_jac = njit(_trap_grad)


@njit
def trap_tuple(x, c, s):
    return trap(x, c, s), trap_jac(x, c, s)


@numopt.objective(grad=True)
def trap_fg(x, g, c, s):
    f = trap(x, c, s)
    w = 2.0 * abs(s)
    for i in range(x.size):
        g[i] = w * (x[i] - c[i])
    return f


@njit
def returns_str(x, c, s):
    return "1.0"


@njit
def returns_none(x, c, s):
    return None


@njit
def returns_pair(x, c, s):
    out = np.empty(2)
    out[0] = trap(x, c, s)
    out[1] = 0.0
    return out


@njit
def returns_one(x, c, s):
    out = np.empty(1)
    out[0] = trap(x, c, s)
    return out


@njit
def jac_long(x, c, s):
    g = np.zeros(x.size + 1)
    g[:x.size] = trap_jac(x, c, s)
    return g


@njit
def jac_short(x, c, s):
    return trap_jac(x, c, s)[:x.size - 1].copy()


@njit
def tuple_short(x, c, s):
    return trap(x, c, s), trap_jac(x, c, s)[:x.size - 1].copy()


# grad=True, but the function has no ``g`` parameter.
no_g = numopt.objective(grad=True)(_trap)

# The Python twins of the faulty compiled objectives.
PY_RETURNS = {
    "returns_str": lambda x, c, s: "1.0",
    "returns_none": lambda x, c, s: None,
    "returns_pair": lambda x, c, s: np.array([_trap(x, c, s), 0.0]),
    "returns_one": lambda x, c, s: np.array([_trap(x, c, s)]),
}
NJIT_RETURNS = {"returns_str": returns_str, "returns_none": returns_none,
                "returns_pair": returns_pair, "returns_one": returns_one}
for _name, _f in PY_RETURNS.items():
    _f.__name__ = _name


def recorded(func, log, fail_from=None, fail_with=None):
    """``func`` as a Python objective that notes in ``log`` whether it raised or returned a
    non-finite value. With ``fail_from=k``, evaluation k and every later one raises
    ``fail_with`` (an exception) or returns it (a value)."""
    def objective(x, *args):
        log["n"] += 1
        if fail_from is not None and log["n"] >= fail_from:
            if isinstance(fail_with, BaseException):
                log["raised"] = fail_with
                raise fail_with
            out = func(x, *args)
            out = (fail_with, out[1]) if isinstance(out, tuple) else fail_with
        else:
            try:
                out = func(x, *args)
            except Exception as exc:
                log["raised"] = exc
                raise
        value = out[0] if isinstance(out, tuple) else out
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value):
                log["nonfinite"] = True
            key = np.asarray(x, dtype=np.float64).tobytes()
            log["seen"].setdefault(key, []).append(float(value))
        return out
    objective.__name__ = getattr(func, "__name__", "objective")
    objective.__wrapped__ = func
    return objective


def new_log():
    return {"n": 0, "raised": None, "nonfinite": False, "seen": {}}


# -- vectorised objectives for minimize_batch ---------------------------------------------------
def _vtrap(X, C, S):
    """``_trap`` of every row: ``X`` (b, n), ``C`` (b, n) or (n,), ``S`` (b,) or a float."""
    X = np.asarray(X)
    C = np.broadcast_to(C, X.shape)
    S = np.broadcast_to(np.asarray(S, dtype=np.float64), X.shape[:1])
    F = np.abs(S) * np.sum((X - C) ** 2, axis=1)
    inside = (S < 0) & (X[:, 0] > 0.5 * C[:, 0])
    if np.any(inside & (S == -1.0)):
        raise ValueError(REFUSED)
    F = np.where(inside & (S == -2.0), np.nan, F)
    F = np.where(inside & (S == -3.0), np.inf, F)
    return np.where(inside & (S == -4.0), -np.inf, F)


def _vtrap_jac(X, C, S):
    S = np.broadcast_to(np.asarray(S, dtype=np.float64), np.shape(X)[:1])
    return 2.0 * np.abs(S)[:, None] * (X - C)


def _vtrap_tuple(X, C, S):
    return _vtrap(X, C, S), _vtrap_jac(X, C, S)


def vectorised(func, log):
    """A recorded vectorised objective (see :func:`recorded`)."""
    def objective(X, *args):
        log["n"] += 1
        try:
            out = func(X, *args)
        except Exception as exc:
            log["raised"] = exc
            raise
        value = out[0] if isinstance(out, tuple) else out
        if not np.all(np.isfinite(np.asarray(value, dtype=float))):
            log["nonfinite"] = True
        return out
    objective.__name__ = getattr(func, "__name__", "objective").lstrip("_")
    objective.__wrapped__ = func
    return objective


# -- cases --------------------------------------------------------------------------------------
@dataclass
class Case:
    """One call and what its outcome may be.

    ``call`` holds the keyword arguments (minimize, minimize_batch) or, for ``optim``, ``run``
    does the whole thing and returns ``(outcome, problems)``.
    """

    door: str
    fault: str
    what: str                       # the input, in words
    call: dict = field(default_factory=dict)
    must_raise: bool = False        # bad input: any result (even a success) is wrong
    must_run: bool = False          # scipy takes this input: an exception is wrong
    names: tuple = ()               # a clear message contains one of these
    raises: tuple = None            # (type, message) that must propagate, known in advance
    own_error: bool = False         # what fun(x0, *args) raises, propagated, is fine too
    value: object = None            # Python f(x, *args) -> float, to recompute fun at x
    c: np.ndarray = None            # the minimum before bounds (None: no known minimum)
    nonfinite: bool = False         # NaN/inf on the way: success must be False
    nonfinite_x0: bool = False      # ... from x0 on: fun need not be finite
    stop: bool = False              # a callback stops the run: success must be False
    loose: bool = False             # a loose tolerance: success need not be near the minimum
    log: dict = None                # what the Python objective saw
    rows: list = None               # minimize_batch: the problems whose objective raises
    run: object = None              # optim cases


def _show(v):
    """A short readable form of an input, for the failure report."""
    if isinstance(v, np.ndarray):
        body = np.array2string(v, precision=6, threshold=12, separator=", ")
        return f"array({body}, dtype={v.dtype})" if v.dtype != np.float64 else f"array({body})"
    if isinstance(v, Bounds):
        return f"Bounds({_show(v.lb)}, {_show(v.ub)})"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k!r}: {_show(w)}" for k, w in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(_show(w) for w in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner}{',' if len(v) == 1 else ''})"
    if callable(v) and not isinstance(v, type):
        kind = "compiled " if hasattr(v, "py_func") or hasattr(v, "dispatcher") else ""
        return f"<{kind}{getattr(v, '__name__', type(v).__name__)}>"
    return repr(v)


def _call_text(case):
    fn = "numopt.minimize" if case.door == "minimize" else "numopt.minimize_batch"
    return f"{fn}(" + ", ".join(f"{k}={_show(v)}" for k, v in case.call.items()) + ")"


def _freeze(v):
    """A deep copy of the arrays (and containers of them) that a call must not modify."""
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, Bounds):
        return ("Bounds", _freeze(np.asarray(v.lb)), _freeze(np.asarray(v.ub)))
    if isinstance(v, (list, tuple)):
        return type(v)(_freeze(w) for w in v)
    return v


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _mutated(case, before):
    after = {k: _freeze(case.call.get(k)) for k in before}
    out = []
    for k in before:
        if not _same(before[k], after[k]):
            out.append(f"{k} was modified by the call: before {_show(before[k])}, "
                       f"after {_show(after[k])}")
    return out


def _unclear(exc, names):
    """Why ``exc`` is not a clear exception (None if it is)."""
    cls = type(exc)
    text = str(exc)
    if cls.__module__.split(".")[0] == "numba":
        return f"numba's {cls.__name__} leaked out"
    if not isinstance(exc, (TypeError, ValueError, NotImplementedError)):
        return f"{cls.__name__} is not a TypeError, ValueError or NotImplementedError"
    if "<source missing" in text or "During: " in text:
        return "the message is numba's typing report"
    if names and not any(w.lower() in text.lower() for w in names):
        return f"the message names none of {names}"
    return None


def _exc_text(exc):
    text = str(exc)
    if len(text) > 600:
        text = text[:300] + " [...] " + text[-250:]
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {text}"


def _propagated(exc, expected, exact=True):
    """Whether ``exc`` is ``expected`` (an exception instance or a (type, message) pair)."""
    etype, emsg = (type(expected), str(expected)) if isinstance(expected, BaseException) \
        else expected
    if type(exc) is not etype:
        return False
    return str(exc) == emsg if exact else emsg in str(exc)


# -- judging a minimize result ------------------------------------------------------------------
def _bounds_arrays(bounds, n):
    """``(lo, hi)`` for checking a success, NaN read as unbounded (as scipy's L-BFGS-B does);
    None where the bounds cannot be read (the call must have rejected them)."""
    if bounds is None:
        return np.full(n, -np.inf), np.full(n, np.inf)
    try:
        if isinstance(bounds, Bounds):
            lo = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,)).copy()
            hi = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,)).copy()
        else:
            pairs = [tuple(b) for b in bounds]
            if len(pairs) != n or any(len(p) != 2 for p in pairs):
                return None
            lo = np.array([-np.inf if p[0] is None else p[0] for p in pairs], dtype=float)
            hi = np.array([np.inf if p[1] is None else p[1] for p in pairs], dtype=float)
    except (TypeError, ValueError):
        return None
    lo[np.isnan(lo)] = -np.inf
    hi[np.isnan(hi)] = np.inf
    return lo, hi


def _recompute(value, x, args):
    try:
        out = value(np.array(x, dtype=np.float64), *args)
        return float(np.asarray(out, dtype=np.float64).reshape(()))
    except Exception as exc:   # the objective raises at x: it was swallowed
        return exc


def _same_value(a, b, rtol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * (1.0 + abs(b))


def _judge_result(res, case, args, x0, bounds_used, text, expect_dtype=None):
    """Problems with a returned result, as a list of strings; ``text`` gets its summary."""
    problems = []
    if not isinstance(res, ScipyOptimizeResult):
        return [f"returned {type(res).__name__}, not an OptimizeResult"]
    for key in ("x", "fun", "success", "status", "message"):
        if key not in res:
            problems.append(f"the result has no {key!r}")
    if problems:
        return problems
    x = np.asarray(res.x)
    fun, success, status, message = res.fun, res.success, res.status, res.message
    text.append(f"returned success={success!r} status={status!r} message={message!r}")
    text.append(f"         fun={fun!r} x={_show(x)} nit={res.get('nit')} nfev={res.get('nfev')}")
    n = x0.size
    if x.shape != (n,):
        problems.append(f"x has shape {x.shape}, expected ({n},)")
        return problems
    if expect_dtype is not None and x.dtype != expect_dtype:
        problems.append(f"x has dtype {x.dtype}, expected {np.dtype(expect_dtype)} (as x0)")
    if not isinstance(success, (bool, np.bool_)):
        problems.append(f"success is {type(success).__name__}, not bool")
    if np.ndim(fun) != 0 or not isinstance(fun, (float, int, np.floating, np.integer)):
        problems.append(f"fun is {type(fun).__name__} of shape {np.shape(fun)}, not a float")
        return problems
    fun = float(fun)
    if not np.all(np.isfinite(x)):
        problems.append("x is not finite")
        return problems
    rtol = 1e-5 if x.dtype == np.float32 else 1e-10
    fx = _recompute(case.value, x, args)
    seen = case.log["seen"].get(x.astype(np.float64).tobytes()) if case.log else None
    if seen:   # what the Python objective returned there (its faults are not in case.value)
        fx = next((v for v in seen if _same_value(fun, v, rtol)), seen[-1])
    if isinstance(fx, Exception):
        problems.append(f"the objective raises at the returned x ({_exc_text(fx)}): "
                        "the call swallowed that exception")
        return problems
    text.append(f"         objective at x: {fx!r}")
    if not _same_value(fun, fx, rtol):
        problems.append(f"fun={fun!r} is not the objective's value at x ({fx!r})")
    f0 = _recompute(case.value, x0, args)
    if bool(success):
        if status != 0:
            problems.append(f"success=True with status {status!r}")
        if not math.isfinite(fun):
            problems.append("success=True with a non-finite fun")
        if case.nonfinite:
            problems.append("success=True although the objective returned NaN/inf on the way "
                            "(API.md 5: success=False, the best finite point, saying what "
                            "happened)")
        if case.stop:
            problems.append("success=True although the callback stopped the run")
        if bounds_used is not None:
            lo, hi = bounds_used
            if np.any(x < lo - 1e-12) or np.any(x > hi + 1e-12):
                problems.append(f"x is outside the bounds [{_show(lo)}, {_show(hi)}]")
        if case.c is not None and not case.loose and bounds_used is not None \
                and isinstance(f0, float) and math.isfinite(f0):
            xmin = np.clip(case.c, *bounds_used)
            fmin = _recompute(case.value, xmin, args)
            if fun > fmin + 1e-6 * (1.0 + abs(f0 - fmin) + abs(fmin)):
                problems.append(f"success=True with fun={fun!r}, far from the minimum "
                                f"{fmin!r} at {_show(xmin)}")
    else:
        if not isinstance(status, (int, np.integer)) or status == 0:
            problems.append(f"success=False with status {status!r} (expected a non-zero int)")
        if not isinstance(message, str) or not message.strip():
            problems.append("success=False without a message")
        if case.nonfinite and not case.nonfinite_x0 and isinstance(f0, float):
            if not math.isfinite(fun):
                problems.append(f"fun={fun!r}: the objective was finite at x0, so the result "
                                "should be the best finite point seen (API.md 5)")
            elif fun > f0:
                problems.append(f"fun={fun!r} is worse than at x0 ({f0!r}): not the best "
                                "finite point seen (API.md 5)")
    return problems


def _warned(caught, word):
    return any(word.lower() in str(w.message).lower() for w in caught)


# -- running a case -----------------------------------------------------------------------------
def _outcome(case, capfd, func):
    """Call ``func()`` with warnings and stderr caught; ``(result, exception, warnings, err)``."""
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res, exc = func(), None
        except Exception as e:   # judged below
            res, exc = None, e
    return res, exc, caught, capfd.readouterr().err


def _judge_exception(case, exc, own, log, exact=True):
    """Problems with an exception ``exc`` that the call raised; ``own`` is what the
    objective itself raises with these arguments (see :func:`_own_error`)."""
    raised = log["raised"] if log is not None else None
    expected = raised if raised is not None else case.raises
    if expected is not None and _propagated(exc, expected, exact):
        return []
    if case.own_error and ((own is not None and _propagated(exc, own))
                           or _unclear(exc, case.names) is None):
        return []   # the objective's own error with these args, or a clear one
    if expected is not None:
        shown = _exc_text(expected) if isinstance(expected, BaseException) \
            else f"{expected[0].__name__}: {expected[1]}"
        return [f"the objective raised {shown}, but the call raised {_exc_text(exc)}"]
    problems = []
    why = _unclear(exc, case.names)
    if why:
        problems.append(f"not a clear exception: {why}")
    if case.must_run:
        problems.append("raised, but scipy accepts this input (issue 9: scipy's behaviour)")
    return problems


def _own_error(case, x, args):
    """What calling the objective directly raises (for inputs that are the objective's
    business: wrong args to a Python function)."""
    if not case.own_error:
        return None
    fun = getattr(case.call["fun"], "__wrapped__", case.call["fun"])   # not the recorder
    try:
        fun(np.array(x, dtype=np.float64), *args)
    except Exception as exc:
        return exc
    return None


def run_minimize(case, capfd):
    kw = case.call
    before = {k: _freeze(kw[k]) for k in ("x0", "args", "bounds") if k in kw}
    args = kw.get("args", ())
    args = args if isinstance(args, tuple) else (args,)
    res, exc, caught, err = _outcome(case, capfd, lambda: numopt.minimize(**kw))
    text, problems = [], []
    if exc is not None:
        text.append(f"raised {_exc_text(exc)}")
        problems += _judge_exception(case, exc, _own_error(case, kw["x0"], args), case.log)
    else:
        raised = case.log["raised"] if case.log is not None else None
        if raised is not None:
            problems.append(f"the objective raised {_exc_text(raised)}, but minimize returned")
        elif case.raises is not None:
            problems.append(f"the objective raises {case.raises[0].__name__}({case.raises[1]!r}) "
                            "on the way to its minimum, but minimize returned")
        if case.must_raise:
            problems.append("bad input accepted: minimize returned instead of raising a clear "
                            "exception")
        if case.log is not None and case.log["nonfinite"]:
            case.nonfinite = True
        x0 = np.atleast_1d(np.asarray(kw["x0"]))
        if case.value is not None and x0.dtype.kind in "iufb" and x0.ndim == 1:
            honoured = kw.get("bounds") is not None and not _warned(caught, "cannot handle bounds")
            bounds_used = _bounds_arrays(kw.get("bounds"), x0.size) if honoured else \
                (np.full(x0.size, -np.inf), np.full(x0.size, np.inf))
            dtype = np.float32 if x0.dtype == np.float32 else np.float64
            problems += _judge_result(res, case, args, x0.astype(np.float64), bounds_used, text,
                                      expect_dtype=dtype)
        elif isinstance(res, ScipyOptimizeResult):
            text.append(f"returned success={res.get('success')!r} message={res.get('message')!r} "
                        f"fun={res.get('fun')!r} x={_show(np.asarray(res.get('x')))}")
    if case.fault == "opt_unknown" and exc is None and not _warned(caught, "not_an_option"):
        problems.append("the unknown option 'not_an_option' was ignored without scipy's "
                        "OptimizeWarning naming it")
    problems += _mutated(case, before)
    if "Exception ignored" in err:
        problems.append("numba printed 'Exception ignored' on stderr")
    return text, problems, caught, err


def run_batch(case, capfd):
    kw = case.call
    before = {k: _freeze(kw[k]) for k in ("x0", "args", "bounds") if k in kw}
    args = kw.get("args", ())
    res, exc, caught, err = _outcome(case, capfd, lambda: numopt.minimize_batch(**kw))
    text, problems = [], []
    if exc is not None:
        text.append(f"raised {_exc_text(exc)}")
        own = None
        if case.own_error:
            try:
                fun = getattr(kw["fun"], "__wrapped__", kw["fun"])
                fun(np.asarray(kw["x0"], dtype=np.float64), *args)
            except Exception as e:
                own = e
        problems += _judge_exception(case, exc, own, case.log, exact=False)
        if case.rows is not None and not problems:
            rows = case.rows
            said = str(exc) + " ".join(getattr(exc, "__notes__", ()))
            said = said.replace(case.raises[1], "")
            if not any(re.search(rf"\b{i}\b", said) for i in rows):
                problems.append(f"the exception does not say which problem raised (rows {rows})")
    else:
        raised = case.log["raised"] if case.log is not None else None
        if raised is not None:
            problems.append(f"the objective raised {_exc_text(raised)}, but minimize_batch "
                            "returned")
        elif case.raises is not None:
            problems.append(f"the objective raises {case.raises[0].__name__}({case.raises[1]!r}) "
                            f"for problems {case.rows}, but minimize_batch returned")
        if case.must_raise:
            problems.append("bad input accepted: minimize_batch returned instead of raising a "
                            "clear exception")
        problems += _judge_batch(res, case, caught, text)
    problems += _mutated(case, before)
    if "Exception ignored" in err:
        problems.append("numba printed 'Exception ignored' on stderr")
    return text, problems, caught, err


def _judge_batch(res, case, caught, text):
    kw = case.call
    X0 = np.asarray(kw["x0"])
    if case.value is None or X0.ndim != 2:
        text.append(f"returned {type(res).__name__}")
        return []
    B, n = X0.shape
    C, S = kw["args"]
    problems = []
    for key, shape in (("x", (B, n)), ("fun", (B,)), ("success", (B,)), ("status", (B,))):
        got = np.shape(getattr(res, key, None))
        if got != shape:
            problems.append(f"{key} has shape {got}, expected {shape}")
    if problems:
        return problems
    honoured = kw.get("bounds") is not None and not _warned(caught, "cannot handle bounds")
    bounds_used = _bounds_arrays(kw.get("bounds"), n) if honoured else \
        (np.full(n, -np.inf), np.full(n, np.inf))
    dtype = np.float32 if X0.dtype == np.float32 else np.float64
    for i in range(B):
        row_case = copy.copy(case)
        row_case.c = C[i] if S[i] > 0 else None   # a plain quadratic: minimum at C[i]
        row_case.nonfinite = S[i] < -1.5   # the rows whose objective is NaN/inf in the trap
        row_case.nonfinite_x0 = bool(row_case.nonfinite and X0[i, 0] > 0.5 * C[i, 0])
        row_text = []
        try:
            row = res[i]
        except Exception as exc:
            return [f"res[{i}] raised {_exc_text(exc)}"]
        row_problems = _judge_result(row, row_case, (C[i], float(S[i])), X0[i].astype(float),
                                     bounds_used, row_text, expect_dtype=dtype)
        text.append(f"  problem {i} (s={S[i]}): " + " ".join(t.strip() for t in row_text))
        problems += [f"problem {i}: {p}" for p in row_problems]
    return problems


def _report(case, text, problems, caught, err):
    lines = [f"case: {case.door} / {case.fault}: {case.what}"]
    if case.door != "optim":
        lines.append(f"call: {_call_text(case)}")
    lines += [f"outcome: {t}" for t in text]
    if caught:
        lines.append("warnings: " + "; ".join(f"{w.category.__name__}: {w.message}"
                                               for w in caught[:4]))
    if err.strip():
        lines.append("stderr: " + err.strip()[:500])
    lines.append("problems:")
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)


# -- building minimize cases --------------------------------------------------------------------
PY_FLAVOURS = ("py", "py-jac", "py-tuple")
COMPILED_FLAVOURS = ("njit", "njit-jac", "njit-tuple", "objective")
FLAVOURS = PY_FLAVOURS + COMPILED_FLAVOURS


def _objective(flavour, rng, log, fail_from=None, fail_with=None):
    """``(fun, jac, value)`` of ``_trap`` in the given flavour."""
    if flavour == "py":
        return recorded(_trap, log, fail_from, fail_with), \
            [None, "2-point", "3-point"][rng.integers(3)], _trap
    if flavour == "py-jac":
        return recorded(_trap, log, fail_from, fail_with), _trap_grad, _trap
    if flavour == "py-tuple":
        return recorded(_trap_tuple, log, fail_from, fail_with), True, _trap
    if flavour == "njit":
        return trap, [None, "2-point", "3-point"][rng.integers(3)], _trap
    if flavour == "njit-jac":
        return trap, trap_jac, _trap
    if flavour == "njit-tuple":
        return trap_tuple, True, _trap
    if flavour == "objective":
        return trap_fg, None, _trap
    raise AssertionError(flavour)


def _problem(rng, n=None, where="anywhere"):
    """``(x0, c)``: c[0] > 0, and x0[0] inside the trap (``where="inside"``), just outside it
    (``"outside"``: within 0.5 of its edge, so every method's path crosses it) or anywhere."""
    n = int(rng.integers(1, 5)) if n is None else n
    c = rng.uniform(-3.0, 3.0, n)
    c[0] = rng.uniform(1.0, 3.0)
    x0 = rng.uniform(-2.0, 2.0, n)
    if where == "inside":
        x0[0] = 0.5 * c[0] + rng.uniform(0.01, 0.5)
    elif where == "outside":
        x0[0] = 0.5 * c[0] - rng.uniform(0.01, 0.5)
    return x0, c


def _base(rng, method, flavour, s=None, where="anywhere", fail_from=None, fail_with=None):
    x0, c = _problem(rng, where=where)
    s = float(rng.uniform(0.5, 2.0)) if s is None else s
    log = new_log() if flavour in PY_FLAVOURS else None
    fun, jac, value = _objective(flavour, rng, log, fail_from, fail_with)
    call = dict(fun=fun, x0=x0, args=(c, s), method=method, jac=jac)
    if method in METHOD_OPTIONS:
        call["options"] = dict(METHOD_OPTIONS[method])
    if method == "Nelder-Mead" and flavour in ("py-jac", "njit-jac"):
        call["jac"] = None   # Nelder-Mead warns about a jac; not what these cases test
    return Case("minimize", "", "", call=call, value=value, c=c, log=log)


def _mk(fault, what, case, **attrs):
    case.fault, case.what = fault, what
    for k, v in attrs.items():
        setattr(case, k, v)
    return case


FUN_NAMES = ("objective", "fun", "return")
ARGS_NAMES = ("args", "argument")


def build_minimize(fault, method, flavour, rng):
    """The case of ``fault`` for ``method`` and objective ``flavour``."""
    compiled = flavour in COMPILED_FLAVOURS
    if fault == "ok":
        return _mk(fault, "a plain quadratic", _base(rng, method, flavour))
    if fault in ("raise_x0", "raise_mid"):
        where = "inside" if fault == "raise_x0" else "outside"
        case = _base(rng, method, flavour, s=-1.0, where=where)
        when = "at x0" if where == "inside" else "mid-run"
        # A Python objective's log says whether it raised; a compiled one raises by design.
        return _mk(fault, f"objective raises ValueError {when}", case,
                   raises=(ValueError, REFUSED) if compiled else None, c=None)
    if fault in ("nan_x0", "nan_mid", "inf_x0", "inf_mid", "neginf_mid"):
        s = {"nan": -2.0, "inf": -3.0, "neginf": -4.0}[fault.split("_")[0]]
        at_x0 = fault.endswith("x0")
        case = _base(rng, method, flavour, s=s, where="inside" if at_x0 else "outside")
        kind = {-2.0: "NaN", -3.0: "+inf", -4.0: "-inf"}[s]
        return _mk(fault, f"objective returns {kind} {'at x0' if at_x0 else 'mid-run'}", case,
                   nonfinite=compiled, nonfinite_x0=at_x0, c=None,
                   names=("x0", "nan", "inf", "finite") + FUN_NAMES)
    if fault in ("raise_after", "nan_after"):
        k = int(rng.integers(2, 9))
        if fault == "raise_after":
            fail = ValueError(f"fuzz: evaluation {k} and later ones are refused")
        else:
            fail = float(rng.choice([np.nan, np.inf]))
        case = _base(rng, method, flavour, fail_from=k, fail_with=fail)
        does = "raises ValueError" if fault == "raise_after" else f"returns {fail}"
        what = f"Python objective {does} from evaluation {k} on"
        return _mk(fault, what, case, c=None if fault == "nan_after" else case.c)
    if fault.startswith("returns_"):
        case = _base(rng, method, flavour)
        case.call["fun"] = (NJIT_RETURNS if compiled else PY_RETURNS)[fault]
        case.call["jac"] = None
        if fault == "returns_one":   # scipy takes a one-element array as the value
            return _mk(fault, "objective returns a one-element array", case,
                       must_run=not compiled, names=FUN_NAMES + (fault,))
        return _mk(fault, f"objective returns {fault.split('_')[1]}", case, must_raise=True,
                   value=None, names=FUN_NAMES + (fault,))
    if fault in ("jac_long", "jac_short", "tuple_short"):
        case = _base(rng, method, flavour)
        n = case.call["x0"].size
        if fault == "tuple_short":
            case.call["fun"] = tuple_short if compiled else \
                (lambda x, c, s: (_trap(x, c, s), _trap_grad(x, c, s)[:-1]))
            case.call["jac"] = True
            what = f"jac=True and fun returns a gradient of {n - 1} values for n={n}"
        else:
            extra = 1 if fault == "jac_long" else -1
            if compiled:
                case.call["jac"] = jac_long if extra > 0 else jac_short
            else:
                case.call["jac"] = (lambda x, c, s: np.append(_trap_grad(x, c, s), 0.0)) \
                    if extra > 0 else (lambda x, c, s: _trap_grad(x, c, s)[:-1])
            what = f"jac returns {n + extra} values for n={n}"
        return _mk(fault, what, case, must_raise=True, names=("jac", "gradient", "shape"))
    if fault == "no_g":
        case = _base(rng, method, "objective")
        case.call["fun"] = no_g
        return _mk(fault, "@numopt.objective(grad=True) without its g parameter", case,
                   must_raise=True, names=("_trap", "grad", "signature"))
    if fault == "python_jac":
        case = _base(rng, method, "njit")
        case.call["jac"] = _trap_grad
        return _mk(fault, "a compiled objective with a Python jac", case,
                   names=("jac",))
    if fault in ("args_missing", "args_extra", "args_type"):
        case = _base(rng, method, flavour)
        c, s = case.call["args"]
        choices = {"args_missing": [(), (c,)], "args_extra": [(c, s, 1.0)],
                   "args_type": [("abc", s), (c, "abc"), (c, None)]}[fault]
        case.call["args"] = choices[rng.integers(len(choices))]
        name = getattr(case.call["fun"], "__name__", "")
        return _mk(fault, f"args={_show(case.call['args'])} for f(x, c, s)", case,
                   must_raise=True, own_error=not compiled, names=ARGS_NAMES + (name,))
    if fault.startswith("x0_"):
        return _x0_case(fault, method, flavour, rng)
    if fault.startswith("bounds_"):
        return _bounds_case(fault, method, flavour, rng)
    if fault.startswith(("maxiter_", "opt_", "gtol_")):
        return _options_case(fault, method, flavour, rng)
    if fault.startswith("tol_"):
        case = _base(rng, method, flavour)
        tol = {"tol_neg": -1.0, "tol_zero": 0.0, "tol_nan": np.nan, "tol_inf": np.inf,
               "tol_str": "abc", "tol_list": [1e-3]}[fault]
        case.call["tol"] = tol
        return _mk(fault, f"tol={tol!r}", case, must_raise=fault in ("tol_str", "tol_list"),
                   loose=fault == "tol_inf", names=("tol",))
    if fault.startswith("method_"):
        case = _base(rng, method, flavour)
        m = {"method_unknown": method.lower() + "2", "method_type": 5,
             "method_case": method.swapcase()}[fault]
        case.call["method"] = m
        return _mk(fault, f"method={m!r}", case, must_raise=fault != "method_case",
                   names=("method", "solver"))
    if fault.startswith("callback_"):
        case = _base(rng, method, flavour)
        if fault == "callback_raises":
            def callback(xk):
                raise ValueError("fuzz: the callback refuses")
            case.call["callback"] = callback
            return _mk(fault, "callback(xk) raises ValueError", case,
                       raises=(ValueError, "fuzz: the callback refuses"))
        style = fault.split("_")[-1]
        if style == "legacy":
            def callback(xk):
                raise StopIteration
        elif style == "new":
            def callback(intermediate_result):
                raise StopIteration
        else:
            def callback(*, intermediate_result):
                raise StopIteration
        case.call["callback"] = callback
        return _mk(fault, f"callback ({style} style) raises StopIteration", case, stop=True,
                   must_run=True)
    if fault == "jac_bad_string":
        case = _base(rng, method, flavour)
        case.call["jac"] = "4-point"
        return _mk(fault, "jac='4-point'", case, must_raise=True, names=("jac",))
    raise AssertionError(fault)


def _x0_case(fault, method, flavour, rng):
    case = _base(rng, method, flavour)
    x0, (c, s) = case.call["x0"], case.call["args"]
    n = x0.size
    bad = {
        "x0_2d": lambda: x0.reshape(1, n) if rng.integers(2) else np.stack([x0, x0]),
        "x0_nan": lambda: np.where(np.arange(n) == rng.integers(n), np.nan, x0),
        "x0_inf": lambda: np.where(np.arange(n) == rng.integers(n), -np.inf, x0),
        "x0_str": lambda: [str(v) for v in x0],
        "x0_complex": lambda: x0 + 1j,
        "x0_object": lambda: np.array(list(x0[:-1]) + [None], dtype=object),
    }
    good = {
        "x0_int": lambda: np.round(x0).astype(np.int64),
        "x0_float32": lambda: x0.astype(np.float32),
        "x0_list": lambda: [float(v) for v in x0],
    }
    if fault == "x0_scalar":
        case.call["x0"] = float(x0[0])
        case.call["args"] = (c[:1].copy(), s)
        case.c = c[:1].copy()
        return _mk(fault, "x0 is a Python float (a 1-variable problem)", case)
    if fault == "x0_empty":
        case.call["x0"] = np.empty(0)
        case.call["args"] = (np.empty(0), s)
        case.c = np.empty(0)
        return _mk(fault, "x0 is empty", case, names=("x0",))
    if fault in bad:
        case.call["x0"] = bad[fault]()
        return _mk(fault, f"x0={_show(case.call['x0'])}", case, must_raise=True,
                   names=("x0",))
    case.call["x0"] = good[fault]()
    return _mk(fault, f"x0 as {fault[3:]}", case)


def _box(rng, c):
    n = c.size
    lo = c - rng.uniform(-1.5, 1.5, n)
    return lo, lo + rng.uniform(0.5, 3.0, n)


def _bounds_case(fault, method, flavour, rng):
    case = _base(rng, method, flavour)
    c = case.c
    n = c.size
    lo, hi = _box(rng, c)
    pairs = list(zip(lo.tolist(), hi.tolist()))
    j = int(rng.integers(n))
    must_raise, must_run, what = True, False, ""
    if fault == "bounds_len":
        # Never a single pair: scipy broadcasts that to every variable.
        bounds = pairs[:-1] if n >= 3 and rng.integers(2) else pairs + [(0.0, 1.0)]
        what = f"{len(bounds)} bounds for n={n}"
    elif fault == "bounds_pairs1":
        bounds = [(a,) for a, _ in pairs]
        what = "bounds of (lo,) tuples"
    elif fault == "bounds_inverted":
        pairs[j] = (pairs[j][1], pairs[j][0])
        bounds = pairs
        what = f"bounds with lo > hi for variable {j}"
    elif fault == "bounds_nan":
        pairs[j] = (np.nan, pairs[j][1]) if rng.integers(2) else (pairs[j][0], np.nan)
        bounds = pairs
        must_raise, must_run = False, method == "L-BFGS-B"   # scipy's L-BFGS-B takes them
        what = f"a NaN bound for variable {j}"
    elif fault == "bounds_str":
        bounds = [("a", "b")] * n
        what = "bounds of strings"
    elif fault == "bounds_shape":
        bounds = Bounds(np.append(lo, -1.0), np.append(hi, 1.0))
        what = f"Bounds of {n + 1} entries for n={n}"
    elif fault == "bounds_array":
        bounds = np.column_stack([lo, hi])
        must_raise, what = False, "bounds as an (n, 2) array"
    elif fault == "bounds_object":
        bounds = Bounds(lo.copy(), hi.copy())
        must_raise, what = False, "a scipy Bounds"
    elif fault == "bounds_open":
        bounds = [(None, b) if k % 2 else (a, np.inf) for k, (a, b) in enumerate(pairs)]
        must_raise, what = False, "bounds with None and inf"
    else:
        raise AssertionError(fault)
    case.call["bounds"] = bounds
    if method not in BOUNDED_METHODS:   # scipy warns and ignores them there
        must_raise = must_run = False
    return _mk(fault, what, case, must_raise=must_raise, must_run=must_run, names=("bound",))


def _options_case(fault, method, flavour, rng):
    case = _base(rng, method, flavour)
    opts = case.call.get("options") or {}
    must_raise, must_run, names = False, False, ("maxiter",)
    if fault == "opt_unknown":
        opts["not_an_option"] = 1
        names = ("not_an_option",)
    elif fault == "opt_notdict":
        case.call["options"] = [5, "maxiter"][rng.integers(2)]
        return _mk(fault, f"options={case.call['options']!r}", case, must_raise=True,
                   names=("options",))
    elif fault == "gtol_str":
        name = TOL_OPTION[method]
        opts[name] = "abc"
        must_raise, names = True, (name,)
    elif fault == "opt_bad_hyper":   # adam's and LBFGS's own options, validated by optim
        name, value = [("lr", -1.0), ("lr", "abc")][rng.integers(2)]
        if method == "adam" and rng.integers(2):
            name, value = "betas", (1.5, 0.999)
        if method == "LBFGS" and rng.integers(2):
            name, value = "history_size", 0
        opts[name] = value
        must_raise, names = True, (name, "learning rate", "beta")
    else:
        value = {"maxiter_str": "5", "maxiter_neg": -1, "maxiter_zero": 0,
                 "maxiter_inf": np.inf, "maxiter_huge": 10 ** 20, "maxiter_float": 2.5,
                 "maxiter_list": [5]}[fault]
        opts["maxiter"] = value
        must_raise = fault in ("maxiter_str", "maxiter_list")
        # scipy 1.17's methods take these (issue 9: non-integer and infinite maxiter).
        must_run = fault in ("maxiter_inf", "maxiter_huge", "maxiter_float") \
            and method in SCIPY_METHODS
    case.call["options"] = opts
    return _mk(fault, f"options={_show(opts)}", case, must_raise=must_raise, must_run=must_run,
               names=names)


# Which faults each door has, with the methods and objective flavours they apply to.
ALL_F = FLAVOURS
PY_ONLY = PY_FLAVOURS
NO_TUPLE = ("py", "py-jac", "njit", "njit-jac", "objective")
MINIMIZE_FAULTS = {
    "ok": (METHODS, ALL_F),
    "raise_x0": (METHODS, ALL_F),
    "raise_mid": (METHODS, ALL_F),
    "nan_x0": (METHODS, ALL_F),
    "nan_mid": (METHODS, ALL_F),
    "inf_x0": (METHODS, ALL_F),
    "inf_mid": (METHODS, ALL_F),
    "neginf_mid": (METHODS, ALL_F),
    "raise_after": (METHODS, PY_ONLY),
    "nan_after": (METHODS, PY_ONLY),
    "returns_str": (METHODS, ("py", "njit")),
    "returns_none": (METHODS, ("py", "njit")),
    "returns_pair": (METHODS, ("py", "njit")),
    "returns_one": (METHODS, ("py", "njit")),
    "jac_long": (GRADIENT_METHODS, ("py-jac", "njit-jac")),
    "jac_short": (GRADIENT_METHODS, ("py-jac", "njit-jac")),
    "tuple_short": (GRADIENT_METHODS, ("py-tuple", "njit-tuple")),
    "no_g": (METHODS, ("objective",)),
    "python_jac": (GRADIENT_METHODS, ("njit",)),
    "args_missing": (METHODS, ("py", "njit", "objective")),
    "args_extra": (METHODS, ("py", "njit", "objective")),
    "args_type": (METHODS, ("py", "njit", "objective")),
    **{f: (METHODS, ("py", "objective")) for f in (
        "x0_2d", "x0_nan", "x0_inf", "x0_str", "x0_complex", "x0_object", "x0_int",
        "x0_float32", "x0_list", "x0_empty", "x0_scalar")},
    **{f: (BOUNDED_METHODS + ("BFGS",), ("py", "objective")) for f in (
        "bounds_len", "bounds_pairs1", "bounds_inverted", "bounds_nan", "bounds_str",
        "bounds_shape", "bounds_array", "bounds_object", "bounds_open")},
    **{f: (METHODS, NO_TUPLE) for f in (
        "opt_unknown", "opt_notdict", "gtol_str", "maxiter_str", "maxiter_neg", "maxiter_zero",
        "maxiter_inf", "maxiter_huge", "maxiter_float", "maxiter_list")},
    "opt_bad_hyper": (("adam", "LBFGS"), NO_TUPLE),
    **{f: (METHODS, NO_TUPLE) for f in (
        "tol_neg", "tol_zero", "tol_nan", "tol_inf", "tol_str", "tol_list")},
    "method_unknown": (METHODS, ("py",)),
    "method_type": (("BFGS",), ("py", "objective")),
    "method_case": (METHODS, ("py", "objective")),
    "callback_raises": (METHODS, ("py", "objective")),
    "callback_stop_legacy": (METHODS, ("py", "objective")),
    "callback_stop_new": (METHODS, ("py", "objective")),
    "callback_stop_kwonly": (METHODS, ("py", "objective")),
    "jac_bad_string": (GRADIENT_METHODS, ("py", "njit")),
}


# -- minimize_batch ---------------------------------------------------------------------------
BATCH_PY = ("vectorised", "vectorised-jac", "vectorised-tuple")
BATCH_COMPILED = ("njit", "objective")
BATCH_FAULTS = {
    "ok": (METHODS, BATCH_PY + BATCH_COMPILED),
    "rows_raise": (METHODS, BATCH_PY + BATCH_COMPILED),
    "rows_nonfinite": (METHODS, BATCH_PY + BATCH_COMPILED),
    "x0_1d": (("L-BFGS-B", "adam"), ("vectorised", "objective")),
    "x0_3d": (("L-BFGS-B", "adam"), ("vectorised", "objective")),
    "x0_nan": (("L-BFGS-B", "adam"), ("vectorised", "objective")),
    "x0_float32": (("L-BFGS-B", "Nelder-Mead", "adam"), ("vectorised", "objective")),
    "args_leading": (METHODS, ("vectorised",) + BATCH_COMPILED),
    "vec_none": (METHODS, ("vectorised",)),
    "vec_long": (METHODS, ("vectorised",)),
    "vec_2d": (METHODS, ("vectorised",)),
    "vec_scalar": (METHODS, ("vectorised",)),
    "vec_str": (METHODS, ("vectorised",)),
    "vec_jac_shape": (GRADIENT_METHODS, ("vectorised-jac",)),
    "bounds_rows_shape": (BOUNDED_METHODS, ("vectorised", "objective")),
    "maxiter_str": (METHODS, ("vectorised", "objective")),
}
# The compiled batch solvers take seconds each to compile: the default run uses two methods.
BATCH_DEFAULT_COMPILED_METHODS = ("L-BFGS-B", "BFGS")


def build_batch(fault, method, flavour, rng):
    B = int(rng.integers(2, 6))
    n = int(rng.integers(1, 4))
    C = rng.uniform(-3.0, 3.0, (B, n))
    C[:, 0] = rng.uniform(1.0, 3.0, B)
    X0 = rng.uniform(-2.0, 2.0, (B, n))
    S = rng.uniform(0.5, 2.0, B)
    log = new_log() if flavour in BATCH_PY else None
    fun, jac = {
        "vectorised": (lambda: (vectorised(_vtrap, log), None)),
        "vectorised-jac": (lambda: (vectorised(_vtrap, log), _vtrap_jac)),
        "vectorised-tuple": (lambda: (vectorised(_vtrap_tuple, log), True)),
        "njit": (lambda: (trap, None)),
        "objective": (lambda: (trap_fg, None)),
    }[flavour]()
    call = dict(fun=fun, x0=X0, args=(C, S), method=method, jac=jac)
    if method in METHOD_OPTIONS:
        call["options"] = dict(METHOD_OPTIONS[method])
    if method == "Nelder-Mead" and jac is not True:
        call["jac"] = None
    case = Case("minimize_batch", fault, "", call=call, value=_trap, c=None, log=log)
    compiled = flavour in BATCH_COMPILED
    if fault == "ok":
        case.what = f"{B} plain quadratics"
        return case
    if fault in ("rows_raise", "rows_nonfinite"):
        k = max(1, int(rng.integers(1, B)))
        rows = sorted(rng.choice(B, size=k, replace=False).tolist())
        for i in rows:
            S[i] = -1.0 if fault == "rows_raise" else float(rng.choice([-2.0, -3.0, -4.0]))
            inside = rng.integers(2)
            X0[i, 0] = 0.5 * C[i, 0] + (1 if inside else -1) * rng.uniform(0.01, 0.5)
        if fault == "rows_raise":
            case.what = f"the objective raises ValueError for problems {rows}"
            case.raises = (ValueError, REFUSED) if compiled else None
            case.rows = rows if compiled else None
        else:
            case.what = f"the objective returns NaN/inf for problems {rows} " \
                        f"(s={[float(S[i]) for i in rows]})"
        return case
    if fault == "x0_float32":   # valid: the result keeps float32, as minimize's
        call["x0"] = X0.astype(np.float32)
        case.what = f"x0 of dtype float32, shape {X0.shape}"
        return case
    if fault in ("x0_1d", "x0_3d", "x0_nan"):
        call["x0"] = {"x0_1d": X0[0].copy(), "x0_3d": X0[None], "x0_nan":
                      np.where(np.arange(n) == 0, np.nan, X0)}[fault]
        case.what = f"x0 of shape {call['x0'].shape}" + (" with NaN" if fault == "x0_nan" else "")
        case.must_raise, case.names, case.value = True, ("x0",), None
        return case
    if fault == "args_leading":
        if rng.integers(2):
            call["args"] = (rng.uniform(-3, 3, (B + 1, n)), S)
            case.what = f"args[0] of shape {(B + 1, n)} for B={B} (shared, so 2-D for one problem)"
        else:
            call["args"] = (C, np.append(S, 1.0))
            case.what = f"args[1] of shape {(B + 1,)} for B={B} (shared: an array where a " \
                        "float goes)"
        case.must_raise, case.own_error, case.value = True, not compiled, None
        case.names = ARGS_NAMES + ("shape", getattr(fun, "__name__", ""))
        return case
    if fault.startswith("vec_") and fault != "vec_jac_shape":
        bad = {"vec_none": lambda X, C, S: None,
               "vec_long": lambda X, C, S: np.append(_vtrap(X, C, S), 0.0),
               "vec_2d": lambda X, C, S: np.repeat(_vtrap(X, C, S)[:, None], X.shape[1], 1),
               "vec_scalar": lambda X, C, S: float(np.sum(_vtrap(X, C, S))),
               "vec_str": lambda X, C, S: "1.0"}[fault]
        bad.__name__ = fault
        call["fun"] = bad
        case.what = {"vec_none": "the vectorised objective returns None",
                     "vec_long": "the vectorised objective returns b + 1 values",
                     "vec_2d": "the vectorised objective returns shape (b, n)",
                     "vec_scalar": "the vectorised objective returns one float",
                     "vec_str": "the vectorised objective returns a string"}[fault]
        case.must_raise, case.value, case.log = True, None, None
        case.names = ("fun", "objective", "shape", "return", fault)
        return case
    if fault == "vec_jac_shape":
        call["jac"] = lambda X, C, S: np.append(_vtrap_jac(X, C, S), np.zeros((len(X), 1)), 1)
        case.what = "the vectorised jac returns shape (b, n + 1)"
        case.must_raise, case.value, case.names = True, None, ("jac", "gradient", "shape")
        return case
    if fault == "bounds_rows_shape":
        call["bounds"] = Bounds(np.full((B, n + 1), -5.0), np.full((B, n + 1), 5.0))
        case.what = f"per-problem Bounds of shape {(B, n + 1)} for x0 {(B, n)}"
        case.must_raise, case.value, case.names = True, None, ("bound",)
        return case
    if fault == "maxiter_str":
        call["options"] = dict(call.get("options") or {}, maxiter="5")
        case.what = "options maxiter='5'"
        case.must_raise, case.value, case.names = True, None, ("maxiter",)
        return case
    raise AssertionError(fault)


# -- numopt.optim -----------------------------------------------------------------------------
CLASSES = (optim.SGD, optim.Adam, optim.AdamW, optim.Adamax, optim.NAdam, optim.RAdam,
           optim.Adagrad, optim.Adadelta, optim.RMSprop, optim.Rprop, optim.ASGD, optim.LBFGS)
# LBFGS with a small fixed step, so that it has not converged after a few steps and a
# step still evaluates its closure several times.
WORKING = {optim.SGD: dict(lr=0.1, momentum=0.9), optim.LBFGS: dict(lr=0.1, max_iter=5)}
# The hyperparameters torch 2.13 validates (negative or NaN raises its ValueError).
CHECKED = {
    "SGD": ("lr", "momentum", "weight_decay"),
    "Adam": ("lr", "eps", "weight_decay"), "AdamW": ("lr", "eps", "weight_decay"),
    "Adamax": ("lr", "eps", "weight_decay"), "RAdam": ("lr", "eps", "weight_decay"),
    "NAdam": ("lr", "eps", "weight_decay", "momentum_decay"),
    "Adagrad": ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"),
    "Adadelta": ("lr", "rho", "eps", "weight_decay"),
    "RMSprop": ("lr", "alpha", "eps", "weight_decay", "momentum"),
    "Rprop": ("lr",), "ASGD": ("lr", "weight_decay"), "LBFGS": ("lr", "history_size"),
}
ALIASES = {"lr": ("learning rate",), "eps": ("epsilon",), "betas": ("beta",),
           "etas": ("eta",), "step_sizes": ("step size",)}
SHAPES = ((3,), (2, 2))


def hyperparameters(cls):
    """The numeric and tuple hyperparameters of ``cls``'s constructor."""
    out = []
    for name, p in inspect.signature(cls).parameters.items():
        d = p.default
        if name == "params" or isinstance(d, bool) or d is None or d is inspect.Parameter.empty:
            continue
        if isinstance(d, (int, float, tuple)):
            out.append(name)
    return out


def bad_values(cls, name):
    default = inspect.signature(cls).parameters[name].default
    if isinstance(default, tuple):
        values = ["abc", None, (0.5,)]
        values += {"betas": [(1.5, 0.999), (0.9, -0.1)], "etas": [(1.5, 0.5)],
                   "step_sizes": [("a", "b")]}.get(name, [])
        return values
    values = ["abc", None, [0.1]]
    if name in CHECKED[cls.__name__]:
        values += [-1.0, float("nan")]
    return values


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal(s)) for s in SHAPES]


def _target(p):
    return np.linspace(-1.0, 1.0, p.data.size).reshape(p.data.shape)


def _closure(opt, params, fail_at=None, counter=None):
    """The quadratic's closure; evaluation ``fail_at`` (1-based) raises."""
    def closure():
        if counter is not None:
            counter[0] += 1
            if fail_at is not None and counter[0] >= fail_at:
                raise ValueError("fuzz: the closure refuses")
        opt.zero_grad()
        loss = 0.0
        for p in params:
            d = p.data - _target(p)
            loss += float(np.sum(d * d))
            p.grad = 2.0 * d
        return loss
    return closure


def _steps(opt, params, k=2):
    for _ in range(k):
        opt.step(_closure(opt, params))


def _try_step(opt, params):
    try:
        _steps(opt, params, 1)
    except Exception as exc:
        return f"then step() raised {_exc_text(exc)}"
    finite = all(np.all(np.isfinite(p.data)) for p in params)
    return f"then step() ran (parameters {'finite' if finite else 'NOT finite'})"


def _state_copy(opt):
    return copy.deepcopy(opt.state_dict())


def _same_state(a, b):
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(_same_state(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(map(_same_state, a, b))
    return _same(a, b)


def _judged_raise(exc, names):
    """``(outcome, problems)`` of an optim call that raised ``exc``."""
    why = _unclear(exc, names)
    return [f"raised {_exc_text(exc)}"], [f"not a clear exception: {why}"] if why else []


def build_optim(fault, cls, detail, rng):
    kwargs = WORKING.get(cls, {})
    name = cls.__name__
    if fault == "hyper":
        param, value = detail
        names = (param, param.replace("_", " ")) + ALIASES.get(param, ())

        def run():
            params = _params()
            try:
                opt = cls(params, **{**kwargs, param: value})
            except Exception as exc:
                return _judged_raise(exc, names)
            return ["constructed", _try_step(opt, params)], [
                f"{name}({param}={value!r}) accepted: expected a clear exception naming {param}"]
        return Case("optim", fault, f"{name}({param}={value!r})", run=run)
    if fault == "load_cross":
        other = detail

        def run():
            pa, pb = _params(1), _params(2)
            a = other(pa, **WORKING.get(other, {}))
            _steps(a, pa)
            b = cls(pb, **kwargs)
            try:
                b.load_state_dict(a.state_dict())
            except Exception as exc:
                return _judged_raise(exc, ("state", "param", "group", "key", "optimizer",
                                           name, other.__name__))
            try:
                _steps(b, pb, 1)
            except Exception as exc:
                return ["loaded", f"then step() raised {_exc_text(exc)}"], [
                    f"{name}.load_state_dict accepted {other.__name__}'s state_dict, then step() "
                    "failed: reject it at load_state_dict with a clear exception"]
            if not all(np.all(np.isfinite(p.data)) for p in pb):
                return ["loaded, stepped"], ["parameters not finite after the loaded step"]
            return ["loaded, stepped"], []
        return Case("optim", fault, f"{name}.load_state_dict({other.__name__}'s state_dict)",
                    run=run)
    if fault == "load_bad":
        kind = detail

        def run():
            params = _params()
            opt = cls(params, **kwargs)
            _steps(opt, params)
            good = opt.state_dict()
            if kind == "more_params":
                donor_params = _params() + [Parameter(np.ones(2))]
                donor = cls(donor_params, **kwargs)
                _steps(donor, donor_params)
                sd = donor.state_dict()
            elif kind == "other_shapes":
                # Other shapes and another total size (LBFGS's state is flat, as torch's).
                donor_params = [Parameter(np.ones(4)), Parameter(np.ones((2, 1)))]
                donor = cls(donor_params, **kwargs)
                _steps(donor, donor_params)
                sd = donor.state_dict()
            elif kind == "no_state":
                sd = {"param_groups": good["param_groups"]}
            elif kind == "two_groups":
                sd = dict(good, param_groups=good["param_groups"] * 2)
            else:
                sd = {"none": None, "list": [], "string": "abc"}[kind]
            try:
                opt.load_state_dict(sd)
            except Exception as exc:
                return _judged_raise(exc, ("state", "param", "group", "dict", "shape", "size"))
            return ["loaded", _try_step(opt, params)], [
                f"load_state_dict accepted a bad state_dict ({kind}): expected a clear exception"]
        return Case("optim", fault, f"{name}.load_state_dict(<{detail}>)", run=run)
    if fault == "closure_raises":
        fail_at = detail

        def run():
            params = _params()
            opt = cls(params, **kwargs)
            _steps(opt, params)
            before_p = [p.data.copy() for p in params]
            before_s = _state_copy(opt)
            counter = [0]
            try:
                opt.step(_closure(opt, params, fail_at=fail_at, counter=counter))
            except Exception as exc:
                problems = []
                if not _propagated(exc, (ValueError, "fuzz: the closure refuses")):
                    problems.append(f"the closure's ValueError became {_exc_text(exc)}")
                if not all(np.array_equal(p.data, q) for p, q in zip(params, before_p)):
                    problems.append("the parameters changed in the step whose closure raised "
                                    "(API.md 5)")
                if not _same_state(_state_copy(opt), before_s):
                    problems.append("the optimizer's state changed in the step whose closure "
                                    "raised (API.md 5)")
                return [f"raised {_exc_text(exc)}"], problems
            if counter[0] < fail_at:   # the step ended before that evaluation
                return [f"step() returned after {counter[0]} evaluations"], [
                    f"the case is vacuous: the step never reached evaluation {fail_at}"]
            return ["step() returned"], ["the closure raised ValueError but step() returned"]
        what = f"{name}.step(closure) whose closure raises at evaluation {fail_at}"
        return Case("optim", fault, what, run=run)
    if fault == "grad_shape":
        def run():
            params = _params()
            opt = cls(params, **kwargs)
            p = params[int(rng.integers(len(params)))]
            wrong = np.ones(p.data.size + 1)
            try:
                def closure():
                    opt.zero_grad()
                    for q in params:
                        q.grad = np.zeros_like(q.data)
                    p.grad = wrong
                    return 0.0
                opt.step(closure)
            except Exception as exc:
                return _judged_raise(exc, ("grad", "shape"))
            return ["step() ran"], [f"a gradient of shape {wrong.shape} for a parameter of shape "
                                    f"{p.data.shape} was accepted"]
        return Case("optim", fault, f"{name}: a gradient of the wrong shape", run=run)
    if fault == "params_bad":
        kind = detail

        def run():
            try:
                params = {"empty": lambda: [], "none": lambda: None,
                          "int": lambda: [Parameter(np.arange(3))]}[kind]()
                opt = cls(params, **kwargs)
            except Exception as exc:
                return _judged_raise(exc, ("param", "dtype", "float", "iterable", "list"))
            return [f"constructed {opt!r}"], [f"params {kind} accepted"]
        return Case("optim", fault, f"{name}(params=<{detail}>)", run=run)
    raise AssertionError(fault)


def optim_space():
    """Every optim case as ``(fault, class, detail)``."""
    out = []
    for cls in CLASSES:
        for param in hyperparameters(cls):
            for value in bad_values(cls, param):
                out.append(("hyper", cls, (param, value)))
        for other in CLASSES:
            if other is not cls:
                out.append(("load_cross", cls, other))
        for kind in ("none", "list", "string", "no_state", "two_groups", "more_params",
                     "other_shapes"):
            out.append(("load_bad", cls, kind))
        for fail_at in ((1, 2, 3) if cls is optim.LBFGS else (1,)):
            out.append(("closure_raises", cls, fail_at))
        out.append(("grad_shape", cls, None))
        for kind in ("empty", "none", "int"):
            out.append(("params_bad", cls, kind))
    return out


# -- the plans ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Spec:
    door: str
    fault: str
    method: str
    flavour: object
    index: int
    seed: int

    @property
    def id(self):
        flavour = self.flavour
        if isinstance(flavour, tuple):   # optim hyperparameters
            flavour = f"{flavour[0]}={flavour[1]!r}"
        elif isinstance(flavour, type):
            flavour = flavour.__name__
        return f"{self.door}-{self.fault}-{self.method}-{flavour}-{self.index}"


# The faults of minimize's other arguments (not the objective's).
INPUT_FAULTS = ("x0_", "bounds_", "opt_", "gtol_", "maxiter_", "tol_", "method_", "callback_",
                "jac_bad")


def _cycle(options, k):
    return options[k % len(options)]


def default_plan():
    """Every fault once per method, a Python and a compiled objective in turn; every optim
    fault once per class (the hyperparameters: one bad value each)."""
    specs = []

    def add(door, fault, method, flavour):
        specs.append(Spec(door, fault, method, flavour, len(specs), SEED))

    for j, (fault, (methods, flavours)) in enumerate(MINIMIZE_FAULTS.items()):
        py = [f for f in flavours if f in PY_FLAVOURS]
        cc = [f for f in flavours if f in COMPILED_FLAVOURS]
        if fault.startswith(INPUT_FAULTS):
            # Checked by the front door before any method runs: three methods, a Python
            # and a compiled objective in turn.
            for k in range(min(3, len(methods))):
                group = _cycle([g for g in (py, cc) if g], j + k)
                add("minimize", fault, _cycle(methods, j + k), _cycle(group, j + k))
            continue
        for k, method in enumerate(methods):
            for group in (py, cc):
                if group:
                    add("minimize", fault, method, _cycle(group, k + len(specs)))
    for fault, (methods, flavours) in BATCH_FAULTS.items():
        py = [f for f in flavours if f in BATCH_PY]
        cc = [f for f in flavours if f in BATCH_COMPILED]
        for k, method in enumerate(methods):
            if py:
                add("minimize_batch", fault, method, _cycle(py, k))
            if cc and method in BATCH_DEFAULT_COMPILED_METHODS:
                add("minimize_batch", fault, method, _cycle(cc, k))
    rng = np.random.default_rng(SEED)
    seen = set()
    for fault, cls, detail in optim_space():
        if fault == "hyper":
            key = (cls, detail[0])
            if key in seen:
                continue
            seen.add(key)
            values = bad_values(cls, detail[0])
            detail = (detail[0], values[int(rng.integers(len(values)))])
        elif fault == "load_cross":
            if (cls, "cross") in seen:
                continue
            seen.add((cls, "cross"))
            others = [c for c in CLASSES if c is not cls]
            detail = others[int(rng.integers(len(others)))]
        elif fault == "load_bad":
            if (cls, "bad") in seen:
                continue
            seen.add((cls, "bad"))
            kinds = ("none", "list", "string", "no_state", "two_groups", "more_params",
                     "other_shapes")
            detail = kinds[int(rng.integers(len(kinds)))]
        elif fault == "params_bad" and detail != _cycle(("empty", "none", "int"),
                                                        CLASSES.index(cls)):
            continue
        add("optim", fault, cls.__name__, detail)
    return specs


def extended_plan(count=EXTENDED):
    """``count`` cases drawn at random (seeded) from every door's whole space."""
    rng = np.random.default_rng(SEED + 1)
    minimize_space = [(f, m, fl) for f, (ms, fls) in MINIMIZE_FAULTS.items() for m in ms
                      for fl in fls]
    batch_space = [(f, m, fl) for f, (ms, fls) in BATCH_FAULTS.items() for m in ms for fl in fls]
    optim_all = optim_space()
    specs = []
    for index in range(count):
        u = rng.uniform()
        if u < 0.75:
            fault, method, flavour = minimize_space[rng.integers(len(minimize_space))]
            specs.append(Spec("minimize", fault, method, flavour, index, SEED + 1))
        elif u < 0.9:
            fault, method, flavour = batch_space[rng.integers(len(batch_space))]
            specs.append(Spec("minimize_batch", fault, method, flavour, index, SEED + 1))
        else:
            fault, cls, detail = optim_all[rng.integers(len(optim_all))]
            specs.append(Spec("optim", fault, cls.__name__, detail, index, SEED + 1))
    return specs


def build(spec):
    rng = np.random.default_rng([spec.seed, spec.index])
    if spec.door == "minimize":
        return build_minimize(spec.fault, spec.method, spec.flavour, rng)
    if spec.door == "minimize_batch":
        return build_batch(spec.fault, spec.method, spec.flavour, rng)
    cls = getattr(optim, spec.method)
    return build_optim(spec.fault, cls, spec.flavour, rng)


def check(spec, capfd):
    case = build(spec)
    if case.door == "optim":
        capfd.readouterr()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            text, problems = case.run()
        err = capfd.readouterr().err
        if "Exception ignored" in err:
            problems.append("numba printed 'Exception ignored' on stderr")
    elif case.door == "minimize":
        text, problems, caught, err = run_minimize(case, capfd)
    else:
        text, problems, caught, err = run_batch(case, capfd)
    if problems:
        pytest.fail(_report(case, text, problems, caught, err), pytrace=False)


DEFAULT = default_plan()


@pytest.mark.parametrize("spec", DEFAULT, ids=[s.id for s in DEFAULT])
def test_front_door(spec, capfd):
    check(spec, capfd)


EXTRA = extended_plan()


@pytest.mark.fuzz
@pytest.mark.parametrize("spec", EXTRA, ids=[s.id for s in EXTRA])
def test_front_door_extended(spec, capfd):
    check(spec, capfd)


def test_plan_is_deterministic_and_covers_every_fault():
    """Same seed, same cases; every fault and method appears in the default run."""
    again = default_plan()
    assert [s.id for s in again] == [s.id for s in DEFAULT]
    a, b = build(DEFAULT[5]), build(again[5])
    assert _same(a.call["x0"], b.call["x0"]) and _same(a.call["args"], b.call["args"])
    faults = {(s.door, s.fault) for s in DEFAULT}
    assert {("minimize", f) for f in MINIMIZE_FAULTS} <= faults
    assert {("minimize_batch", f) for f in BATCH_FAULTS} <= faults
    assert {s.method for s in DEFAULT if s.door == "minimize"} == set(METHODS)
    assert 200 <= len(DEFAULT) <= 800


# -- the classifier itself --------------------------------------------------------------------
def _fake(behaviour):
    """A stand-in for ``numopt.minimize`` that lies in one way (or, "scipy", does not)."""
    import scipy.optimize as so
    from numba.core.errors import TypingError

    def fake(fun, x0, args=(), method=None, jac=None, **kw):
        x = np.asarray(x0, dtype=np.float64)
        f = getattr(fun, "py_func", fun)
        if behaviour == "scipy":
            return so.minimize(_trap, x, args=args, method="BFGS", options={"gtol": 1e-10})
        if behaviour == "typing":
            raise TypingError("No implementation of function Function(<built-in function mul>)")
        if behaviour == "keyerror":
            raise KeyError("amsgrad")
        if behaviour == "swallow":   # the objective raised somewhere; report a success at c
            return ScipyOptimizeResult(x=args[0].copy(), fun=0.0, success=True, status=0,
                                       message="ok", nit=1, nfev=3)
        if behaviour == "stderr":
            import sys
            print("Exception ignored in: 'fg'", file=sys.stderr)
        if behaviour == "mutate":
            x0[...] = args[0]
        c = args[0]
        value = _trap(c, *args)
        out = dict(x=c.copy(), fun=value, success=True, status=0, message="ok", nit=3, nfev=9)
        if behaviour == "wrong_fun":
            out["fun"] = value + 1.0
        if behaviour == "at_x0":
            out.update(x=x.copy(), fun=_trap(x, *args))
        if behaviour == "nan_result":
            out.update(x=x.copy(), fun=float("nan"), success=False, status=5, message="NaN")
        if behaviour == "string_result":
            out.update(fun="1.0")
        return ScipyOptimizeResult(**out)
    return fake


@pytest.mark.parametrize("fault,flavour,behaviour,caught", [
    ("ok", "py", "scipy", False),                # a correct answer passes
    ("ok", "njit", "typing", True),              # numba's TypingError leaks
    ("ok", "py", "keyerror", True),              # a raw KeyError from the internals
    ("raise_mid", "njit", "swallow", True),      # the objective's exception swallowed
    ("ok", "py", "wrong_fun", True),             # fun is not the objective at x
    ("ok", "py", "at_x0", True),                 # success far from the minimum
    ("ok", "objective", "mutate", True),         # x0 modified
    ("ok", "py", "stderr", True),                # numba's "Exception ignored"
    ("nan_mid", "njit", "nan_result", True),     # not the best finite point
    ("returns_str", "py", "string_result", True),  # bad input accepted, fun a string
])
def test_classifier_catches_lies(fault, flavour, behaviour, caught, monkeypatch, capfd):
    """The judge is not vacuous: each way of lying is reported, a correct answer is not."""
    case = build_minimize(fault, "BFGS", flavour, np.random.default_rng(1))
    monkeypatch.setattr(numopt, "minimize", _fake(behaviour))
    text, problems, _, _ = run_minimize(case, capfd)
    assert bool(problems) is caught, (text, problems)
