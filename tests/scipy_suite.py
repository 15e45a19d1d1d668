"""Running one of scipy's installed test files against numopt's functions.

A test module (``tests/minimize/test_scipy_suite.py``, ``tests/fit/test_scipy_suite.py``)
executes the installed scipy's file as a fresh module (scipy itself is not patched),
replaces the names its tests call (``optimize.minimize``, ``least_squares``,
``curve_fit``...) in that module's globals, and exposes a reviewed selection of its tests:

- ``selected``: test name (``"Class::test"`` or ``"test"``) -> :data:`ALL`, or a dict
  ``{argument name: values kept}`` restricting a parametrised test;
- ``out``: every other test of the file, with the reason it is left out;
- ``deliberate``: selected tests numopt fails on purpose, with the reason: strict xfails.

:func:`check_reviewed` fails when the file gains or loses a test, so that a test cannot
silently drop out (or in).
"""
import inspect
import os
import sys
import types
import warnings

import pytest
import scipy.optimize

__all__ = ["ALL", "path_of", "load", "tests_of", "build", "check_reviewed", "reference"]

ALL = "all"


def reference():
    """Which functions the suites run against: ``NUMOPT_SCIPY_SUITE=scipy`` for scipy's
    own (every selected test passes there), numopt's by default."""
    ref = os.environ.get("NUMOPT_SCIPY_SUITE", "numopt").lower()
    if ref not in ("numopt", "scipy"):
        raise ValueError(f"NUMOPT_SCIPY_SUITE must be 'numopt' or 'scipy', got {ref!r}")
    return ref


def path_of(filename):
    """The path of scipy.optimize's installed test file, or a module-level skip where
    scipy was installed without its tests."""
    path = os.path.join(os.path.dirname(scipy.optimize.__file__), "tests", filename)
    if not os.path.exists(path):
        pytest.skip(f"scipy's test suite is not installed ({path} is missing: scipy was "
                    "installed without its tests)", allow_module_level=True)
    return path


def load(path, name, patch):
    """scipy's test file at ``path`` executed as the module ``name``; ``patch(module)``
    then replaces what its tests call."""
    module = types.ModuleType(name)
    module.__file__ = path
    with open(path, encoding="utf-8") as f:
        code = compile(f.read(), path, "exec")
    sys.modules[name] = module  # classes and functions name it as their module
    with warnings.catch_warnings():  # the marks of scipy's conftest (see _restrict)
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        exec(code, module.__dict__)  # noqa: S102 -- scipy's installed test file
    patch(module)
    return module


def tests_of(suite):
    """Every test of the file: {"Class::test" or "test": object}."""
    found = {}
    for name, obj in vars(suite).items():
        if name.startswith("test") and inspect.isfunction(obj):
            found[name] = obj
        elif name.startswith("Test") and inspect.isclass(obj):
            for attr in dir(obj):
                if attr.startswith("test") and callable(getattr(obj, attr)):
                    found[f"{name}::{attr}"] = getattr(obj, attr)
    return found


def _restrict(marks, keep):
    """``marks`` with each ``parametrize`` over an argument of ``keep`` restricted to
    the values ``keep`` names (compared as written, or by ``repr`` for tuples); marks
    scipy's conftest registers (fail_slow, xfail_on_32bit) are dropped or replaced."""
    out = []
    for mark in marks:
        if mark.name in ("fail_slow", "thread_unsafe", "parallel_threads"):
            continue   # marks of scipy's plugins; nothing to check here
        if mark.name == "xfail_on_32bit":
            out.append(pytest.mark.xfail(sys.maxsize < 2 ** 32, reason=mark.args[0]).mark)
            continue
        if mark.name == "parametrize":
            argnames, values = mark.args[0], list(mark.args[1])
            names = [a.strip() for a in argnames.split(",")] if isinstance(argnames, str) \
                else list(argnames)
            for arg in names:
                if arg in keep:
                    i = names.index(arg)

                    def value(v, i=i):
                        return v[i] if len(names) > 1 else v
                    wanted = keep[arg]
                    values = [v for v in values
                              if value(v) in wanted or repr(value(v)) in wanted]
                    assert values, f"no value of {arg} kept"
            mark = pytest.mark.parametrize(argnames, values, **mark.kwargs).mark
        out.append(mark)
    return out


def _copy(func, rule, reason=None):
    """A copy of scipy's test function with its parametrisation restricted by ``rule``
    (and a strict xfail for a deliberate difference)."""
    new = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                             func.__defaults__, func.__closure__)
    new.__dict__.update(func.__dict__)
    new.__qualname__ = func.__qualname__
    marks = list(getattr(func, "pytestmark", []))
    new.pytestmark = _restrict(marks, rule if isinstance(rule, dict) else {})
    if reason is not None and reference() == "numopt":
        new.pytestmark.append(pytest.mark.xfail(strict=True, reason=reason).mark)
    return new


def build(suite, selected, deliberate=None, class_params=None):
    """The test functions and classes of the selected tests of ``suite``, to put in a
    test module's globals. ``class_params``: class name -> restriction of the class's
    own parametrisation."""
    deliberate = deliberate or {}
    class_params = class_params or {}
    made = {}
    classes = {}
    for key, rule in selected.items():
        reason = deliberate.get(key)
        if "::" not in key:
            made[key] = _copy(getattr(suite, key), rule, reason)
        else:
            cls, name = key.split("::")
            classes.setdefault(cls, {})[name] = _copy(getattr(getattr(suite, cls), name),
                                                      rule, reason)
    for cls_name, tests in classes.items():
        original = getattr(suite, cls_name)
        # A new class over the original's bases (its own marks are restricted, not
        # inherited): the original's attributes, its unselected tests masked.
        attrs = {k: v for k, v in vars(original).items()
                 if k not in ("__dict__", "__weakref__")}
        for attr in dir(original):
            if attr.startswith("test") and attr not in tests:
                attrs[attr] = None  # pytest collects nothing under a None
        attrs.update(tests)
        attrs["pytestmark"] = _restrict(list(vars(original).get("pytestmark", [])),
                                        class_params.get(cls_name, {}))
        made[cls_name] = type(cls_name, original.__bases__, attrs)
    return made


def check_reviewed(suite, selected, out, deliberate=None):
    """Assert that every test of ``suite`` is selected or left out with a reason, and
    nothing else is listed."""
    found = set(tests_of(suite))
    assert not set(selected) & set(out)
    assert sorted(found - set(selected) - set(out)) == [], "tests neither selected nor out"
    assert sorted((set(selected) | set(out)) - found) == [], "listed tests missing from scipy"
    assert set(deliberate or {}) <= set(selected)
