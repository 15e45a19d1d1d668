"""The method registry (numopt._minimize._registry) against its references and its users.

Each method's :class:`Option` records are held to: their declared types (checked by the
methods' ``pack`` functions and the ``numopt.optim`` classes), the defaults of the
installed scipy's ``_minimize_<method>`` signatures or of the ``numopt.optim`` class
(torch 2.13's), and to what ``minimize`` does with ``tol``, ignored and unknown options.
"""
import ast
import importlib
import inspect
import math
import numbers
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import OptimizeWarning

import numopt
from numopt import Parameter
from numopt._minimize import _registry
from numopt._minimize._registry import NO_EFFECTS, TYPES, Method, Option

METHODS = _registry.all_methods()
IDS = [m.name for m in METHODS]
SCIPY = [m for m in METHODS if m.reference.startswith("scipy.")]
OTHERS = [m for m in METHODS if not m.reference.startswith("scipy.")]


def _reference(method):
    """The function or class named by ``method.reference`` (its first word)."""
    module, name = method.reference.split()[0].rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _signature_defaults(func):
    params = inspect.signature(func).parameters
    return {k: p.default for k, p in params.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


# -- (a) every option is a typed Option record --------------------------------------------

def _is_real(v):
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))


# What a default of each type may be (the methods' packs accept it; see test_packs_refuse).
_DEFAULT_FITS = {
    "real": _is_real,
    "count": lambda v: v is None or (_is_real(v) and (float(v).is_integer() or v == math.inf)),
    "int": lambda v: _is_real(v) and float(v).is_integer() and v > 0,
    "bool": lambda v: v is None or isinstance(v, bool),
    "pair": lambda v: isinstance(v, tuple) and len(v) == 2 and all(map(_is_real, v)),
    "array": lambda v: v is None,
    "step": lambda v: v is None or _is_real(v),
    "any": lambda v: True,
}


def test_registry_lists_every_method_once():
    names = [m.name.lower() for m in METHODS]
    assert len(set(names)) == len(names)
    assert {"bfgs", "l-bfgs-b", "cg", "nelder-mead", "lbfgs", "adam", "sgd"} <= set(names)
    for method in METHODS:
        assert isinstance(method, Method)
        assert _registry.get(method.name.upper()) is method


def test_collecting_refuses_a_module_without_a_record_or_a_name_twice(monkeypatch):
    monkeypatch.setattr(_registry, "_MODULES", ("_bfgs", "_vector"))
    with pytest.raises(RuntimeError, match="_vector must define METHOD or METHODS"):
        _registry._collect()
    monkeypatch.setattr(_registry, "_MODULES", ("_bfgs", "_cg", "_bfgs"))
    with pytest.raises(RuntimeError, match="'BFGS' is registered twice"):
        _registry._collect()


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_options_are_typed_records(method):
    assert method.options, method.name
    for o in method.options:
        assert isinstance(o, Option), (method.name, o)
        assert o.type in TYPES, (method.name, o.name)
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", o.name), (method.name, o.name)
        assert o.meaning and o.meaning[0].isupper() and o.meaning.endswith("."), \
            (method.name, o.name, o.meaning)
        if o.type == "choice":
            assert o.default in o.choices, (method.name, o.name)
        else:
            assert _DEFAULT_FITS[o.type](o.default), (method.name, o.name, o.default)
        assert o.ignored == (o.meaning in NO_EFFECTS), (method.name, o.name)
    assert method.defaults == {o.name: o.default for o in method.options}
    assert method.tol == tuple(o.name for o in method.options if o.tol)
    assert method.ignored == tuple(o.name for o in method.options if o.ignored)
    assert not set(method.tol) & set(method.ignored), method.name


def test_option_record_refuses_what_is_not_typed():
    with pytest.raises(ValueError, match="unknown type"):
        Option("gtol", "float", 1e-5, "A tolerance.")
    with pytest.raises(ValueError, match="ignored"):
        Option("workers", "real", None, "Workers.", ignored=True)
    with pytest.raises(ValueError, match="ignored"):
        Option("workers", "any", None, _registry.NO_EFFECT)  # not marked ignored
    with pytest.raises(ValueError, match="choices"):
        Option("line_search_fn", "choice", None, "A search.")
    spec = _registry.get("BFGS")
    with pytest.raises(ValueError, match="given twice"):
        Method(name="X", options=spec.options * 2, pack=spec.pack, sizes=spec.sizes,
               init=spec.init, step=spec.step)
    with pytest.raises(TypeError, match="Option records"):
        Method(name="X", options=(("gtol", 1e-5),), pack=spec.pack, sizes=spec.sizes,
               init=spec.init, step=spec.step)
    with pytest.raises(ValueError, match="sizes, init and step, or run"):
        Method(name="X", options=spec.options, pack=spec.pack)


def _check(method, name, value):
    """Pack the defaults with ``name=value`` as minimize does, and build the optimizer of
    a first-order method (whose class checks its own hyperparameters, as torch's)."""
    merged = dict(method.defaults, **{name: value})
    fopts, iopts = method.pack(merged, 2, None, None)
    if method.run is not None:
        _reference(method)([Parameter(np.zeros(2))], **fopts)


# The types whose values pack (or the optim class) checks, with a value each refuses.
_REFUSED = {"real": "1e-3", "count": "10", "int": "10", "pair": "(0.9, 0.99)"}


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_packs_refuse_what_the_type_excludes(method):
    checked = [o for o in method.options if o.type in _REFUSED]
    assert checked, method.name
    for o in checked:
        with pytest.raises((TypeError, ValueError), match=o.name):
            _check(method, o.name, _REFUSED[o.type])
    for o in method.options:
        if o.type == "int":
            _check(method, o.name, 10.0)  # a whole number written as a float is fine
            for bad in (0, 2.5):
                with pytest.raises(ValueError, match=o.name):
                    _check(method, o.name, bad)
        elif o.type == "count":
            _check(method, o.name, np.inf)  # no limit
            if method in SCIPY:
                _check(method, o.name, 2.5)  # scipy's loops read a fraction as its ceiling
            else:
                with pytest.raises(ValueError, match=o.name):
                    _check(method, o.name, 2.5)
        elif o.type == "choice":
            for value in o.choices:
                _check(method, o.name, value)
            with pytest.raises(ValueError):
                _check(method, o.name, "no such choice")


# -- (b) defaults against the references -----------------------------------------------------

# Parameters of scipy's _minimize_<method> that are minimize's own arguments, not options.
_NOT_OPTIONS = {"fun", "func", "x0", "args", "jac", "callback", "bounds"}

# scipy options numopt does not support, with the reason: {(method, option): reason}.
# None today: every option of scipy's four methods is accepted.
NOT_SUPPORTED = {}

# numopt options that scipy's method lacks, with the reason: {(method, option): reason}.
EXTRA_OPTIONS = {}

# Defaults that differ from scipy's signature, with the reason.
OTHER_DEFAULT = {
    ("L-BFGS-B", "disp"): "scipy's default is a private sentinel that marks the deprecated "
                          "option as not given; numopt accepts it without effect, None",
    ("L-BFGS-B", "iprint"): "as disp",
}


@pytest.mark.parametrize("method", SCIPY, ids=[m.name for m in SCIPY])
def test_scipy_methods_have_scipys_options_and_defaults(method):
    theirs = {k: v for k, v in _signature_defaults(_reference(method)).items()
              if k not in _NOT_OPTIONS}
    ours = dict(method.defaults)
    for name, default in theirs.items():
        if (method.name, name) in NOT_SUPPORTED:
            assert name not in ours, (method.name, name)
            continue
        assert name in ours, (method.name, name)
        if (method.name, name) in OTHER_DEFAULT:
            assert ours[name] != default, (method.name, name)  # else drop the entry
            continue
        assert type(ours[name]) is type(default) or (_is_real(ours[name]) and _is_real(default)), \
            (method.name, name, ours[name], default)
        assert ours[name] == default, (method.name, name, ours[name], default)
    extra = set(ours) - set(theirs)
    assert extra == {n for (m, n) in EXTRA_OPTIONS if m == method.name}, (method.name, extra)


def test_the_documented_exceptions_are_current():
    # An entry of the tables above that no longer names an option is stale.
    for method, name in [*NOT_SUPPORTED, *EXTRA_OPTIONS, *OTHER_DEFAULT]:
        assert name in _signature_defaults(_reference(_registry.get(method))) or \
            name in _registry.get(method).defaults, (method, name)


# torch 2.13's constructor defaults (torch/optim/*.py), the reference of numopt.optim's
# classes; the registry's options of LBFGS and the first-order methods come from the
# numopt.optim class, which tests/optim holds to torch's trajectories and messages.
TORCH = {
    "SGD": dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                maximize=False, foreach=None, differentiable=False, fused=None),
    "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
                 foreach=None, maximize=False, capturable=False, differentiable=False,
                 fused=None, decoupled_weight_decay=False),
    "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False,
                  maximize=False, foreach=None, capturable=False, differentiable=False,
                  fused=None),
    "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None,
                   maximize=False, differentiable=False, capturable=False),
    "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                  momentum_decay=4e-3, decoupled_weight_decay=False, foreach=None,
                  maximize=False, capturable=False, differentiable=False),
    "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                  decoupled_weight_decay=False, foreach=None, maximize=False,
                  capturable=False, differentiable=False),
    "Adagrad": dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                    eps=1e-10, foreach=None, maximize=False, differentiable=False,
                    fused=None),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None,
                     capturable=False, maximize=False, differentiable=False),
    "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                    centered=False, capturable=False, foreach=None, maximize=False,
                    differentiable=False),
    "Rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), capturable=False,
                  foreach=None, maximize=False, differentiable=False),
    "ASGD": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False),
    "LBFGS": dict(lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                  tolerance_change=1e-9, history_size=100, line_search_fn=None),
}

# LBFGS's options that are not the class's arguments, or whose default is resolved from
# the others: {option: reason}.
LBFGS_OWN = {
    "max_iter": "None: maxiter if given, else the class's 20",
    "maxiter": "scipy's name for max_iter, so that minimize's usual option works",
    "disp": "scipy's option, accepted without effect",
}

# Options every first-order method adds to its class's arguments (minimize's stopping rules).
FIRST_ORDER_OWN = {"maxiter", "gtol", "disp"}


@pytest.mark.parametrize("method", OTHERS, ids=[m.name for m in OTHERS])
def test_torch_methods_have_the_optim_classs_defaults(method):
    cls = _reference(method)
    assert method.reference == f"numopt.optim.{cls.__name__} (torch.optim.{cls.__name__})"
    theirs = {k: v for k, v in _signature_defaults(cls.__init__).items()
              if k not in ("self", "params")}
    ours = dict(method.defaults)
    own = set(LBFGS_OWN) if method.name == "LBFGS" else FIRST_ORDER_OWN
    assert set(ours) == set(theirs) | own, method.name
    for name, default in theirs.items():
        if name in own:
            continue
        assert ours[name] == default and type(ours[name]) is type(default), (method.name, name)
    # torch's defaults, where numopt.optim's class agrees with them (all of them today)
    assert theirs == TORCH[cls.__name__], cls.__name__
    if method.name != "LBFGS":
        assert method.tol == ("gtol",)
        # torch's kernel flags and scipy's disp are accepted without effect
        assert set(method.ignored) == {"disp"} | ({"foreach", "fused"} & set(theirs))


def test_torch_table_is_torchs_where_torch_is_installed():
    # The transcription above, checked against torch itself on a machine that has it.
    try:
        import torch
    except ImportError:
        return
    for name, defaults in TORCH.items():
        params = inspect.signature(getattr(torch.optim, name).__init__).parameters
        assert {k: params[k].default for k in defaults} == defaults, name


# -- (c), (d), (e): what minimize does with tol, ignored and unknown options ---------------

def _quadratic(x):
    return float(np.sum((x - 1.0) ** 2 * np.arange(1.0, x.size + 1.0)))


def _quadratic_grad(x):
    return 2.0 * (x - 1.0) * np.arange(1.0, x.size + 1.0)


# Per method: the problem, options that keep the runs short, and a tol that stops them
# earlier than the defaults do (the test checks that it does).
def _setup(method):
    if method.run is not None:  # first-order: a quadratic, and a tol at which x0 converges
        return (_quadratic, _quadratic_grad, [3.0, -2.0, 0.5]), {"maxiter": 5}, 1e3
    problem = (so.rosen, so.rosen_der if method.uses_gradient else None, [-1.2, 1.0, 0.5])
    if method.name == "LBFGS":
        return problem, {"line_search_fn": "strong_wolfe", "max_iter": 100}, 1e-2
    return problem, {}, 1e-2


def _run(method, options, tol=None):
    (fun, jac, x0), _, _ = _setup(method)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an option minimize ignores without a word fails
        return numopt.minimize(fun, np.array(x0), method=method.name, jac=jac, tol=tol,
                               options=options)


def _same(a, b):
    np.testing.assert_array_equal(a.x, b.x)
    assert (a.fun, a.nit, a.nfev, a.status, a.message) == (b.fun, b.nit, b.nfev, b.status,
                                                          b.message)


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_tol_sets_exactly_the_options_marked_tol(method):
    _, base, tol = _setup(method)
    assert method.tol, method.name
    default = _run(method, base)
    with_tol = _run(method, base, tol=tol)
    assert (with_tol.nit, with_tol.nfev) != (default.nit, default.nfev), method.name
    # tol is the options it sets, given explicitly...
    _same(with_tol, _run(method, dict(base, **{k: tol for k in method.tol})))
    # ...and nothing else: with those options given (they win over tol), tol changes nothing
    explicit = {k: method.defaults[k] for k in method.tol}
    assert None not in explicit.values(), method.name  # tol options have plain defaults
    _same(_run(method, dict(base, **explicit), tol=tol), default)


# A value per type, for an ignored option (any type is accepted).
_IGNORED_VALUE = 3


@pytest.mark.parametrize("method", [m for m in METHODS if m.ignored],
                         ids=[m.name for m in METHODS if m.ignored])
def test_an_ignored_option_is_accepted_without_effect(method, capsys):
    _, base, _ = _setup(method)
    plain = _run(method, base)
    for name in method.ignored:
        for value in (_IGNORED_VALUE, True):
            _same(_run(method, dict(base, **{name: value})), plain)
    assert capsys.readouterr().out == ""  # L-BFGS-B's disp and iprint print nothing


def test_every_method_has_its_ignored_options():
    # scipy's workers on the methods that have it, disp where the method cannot report
    ignored = {m.name: m.ignored for m in METHODS}
    assert ignored["BFGS"] == ignored["CG"] == ("workers",)
    assert ignored["L-BFGS-B"] == ("iprint", "disp", "workers")
    assert ignored["Nelder-Mead"] == ()
    assert ignored["LBFGS"] == ("disp",)


@pytest.mark.parametrize("method", METHODS, ids=IDS)
def test_an_unknown_option_warns_and_is_ignored(method):
    (fun, jac, x0), base, _ = _setup(method)
    plain = _run(method, base)
    # numopt names them sorted (scipy in the order given: the same here)
    with pytest.warns(OptimizeWarning, match="^Unknown solver options: bogus, zzz$"):
        res = numopt.minimize(fun, np.array(x0), method=method.name, jac=jac,
                              options=dict(base, zzz=1, bogus=None))
    _same(res, plain)


def test_scipy_warns_the_same_for_an_unknown_option():
    # the reference behaviour of the test above
    with pytest.warns(OptimizeWarning, match="^Unknown solver options: bogus, zzz$"):
        so.minimize(so.rosen, np.array([-1.2, 1.0]), method="BFGS",
                    options={"bogus": None, "zzz": 1})


# -- (e) the record is the one source of a method's hooks ---------------------------------
# The drivers call the record's fields (spec.init, spec.sizes, spec.check, spec.extras...);
# none reads a method's module, with getattr/hasattr or directly: a hook found there and not
# in the record would be one that the registry, show_options and the tests do not know.
_SOURCES = sorted((Path(numopt.__file__).parent / "_minimize").glob("*.py"))
_HOOK_HOLDERS = {"module", "spec", "method", "record", "namespace"}


def _module_probes(source):
    """``(line, what)`` of each probe of a method's module in ``source``: an attribute
    ``<x>.module`` (llvmlite's ``builder.module`` aside), or ``getattr``/``hasattr`` on
    an expression that names a record or a module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and node.attr == "module"
                and not (isinstance(node.value, ast.Name) and node.value.id == "builder")):
            found.append((node.lineno, f"reads {ast.unparse(node)}"))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr") and node.args):
            target = node.args[0]
            names = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
            names |= {n.attr for n in ast.walk(target) if isinstance(n, ast.Attribute)}
            if names & _HOOK_HOLDERS:
                found.append((node.lineno, f"probes {ast.unparse(node)}"))
    return found


@pytest.mark.parametrize("path", _SOURCES, ids=[p.name for p in _SOURCES])
def test_no_driver_probes_a_methods_module(path):
    assert _module_probes(path.read_text()) == []


def test_the_probe_check_finds_probes():
    src = ("check = getattr(spec.module, 'check', None)\n"
           "if hasattr(spec, 'extras'):\n    pass\n"
           "sizes = spec.module.sizes(n, f, i)\n"
           "fn = builder.module.declare_intrinsic('llvm.fma')\n"  # llvmlite's: allowed
           "name = getattr(func, '__name__', 'objective')\n")     # not a record: allowed
    assert sorted(line for line, _ in _module_probes(src)) == [1, 1, 2, 4]


# The front doors may name a method only as scipy's default choice of one.
_DEFAULT_CHOICES = {"_minimize.py": ["BFGS", "L-BFGS-B"], "_batch.py": ["L-BFGS-B"]}


@pytest.mark.parametrize("name", ["_minimize.py", "_prepare.py", "_batch.py",
                                  "_batch_cuda.py", "_drivers.py", "_firstorder_batch.py"])
def test_front_doors_name_no_method(name):
    # What is particular to a method is a field of its record (reporting, removes_fixed,
    # keeps_dtype...), so that a new method is one record, not an edit of the front doors.
    names = {m.name.lower() for m in METHODS}
    tree = ast.parse((Path(numopt.__file__).parent / "_minimize" / name).read_text())
    found = sorted(node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                   and isinstance(node.value, str) and node.value.lower() in names)
    assert found == _DEFAULT_CHOICES.get(name, [])


def test_the_records_say_what_the_front_door_does_for_a_method():
    def having(field):
        return {m.name for m in METHODS if getattr(m, field)}

    assert having("reporting") == {"BFGS", "CG", "Nelder-Mead"}
    assert having("removes_fixed") == {"L-BFGS-B"}
    assert having("keeps_dtype") == {"Nelder-Mead"}
    nm = _registry.get("Nelder-Mead").reporting
    assert nm.warning is RuntimeWarning and not nm.counts_on_failure
    assert _registry.get("BFGS").reporting.warning is OptimizeWarning
