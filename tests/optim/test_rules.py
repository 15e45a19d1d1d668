"""Each rule file's record (``RULE``) agrees with the arithmetic next to it.

The record names the per-step values and flags the compiled function unpacks; the
positional tuples are packed from those names. These tests read the function's own
unpacking statements, so a name out of order in either place fails here instead of
silently swapping two hyperparameters.
"""
import ast
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import numopt._rules as rules_pkg
from numopt._rules._record import Rule

MODULES = sorted(m.name for m in pkgutil.iter_modules(rules_pkg.__path__) if not m.name.startswith("_"))


def _record(name):
    return importlib.import_module(f"numopt._rules.{name}").RULE


def _unpacked(func, argname):
    """Names bound by the first ``... = <argname>`` statement of ``func``."""
    tree = ast.parse(inspect.getsource(func))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)
                and node.value.id == argname):
            target = node.targets[0]
            return tuple(e.id for e in target.elts)
    return None


def test_every_rule_module_has_a_record():
    assert len(MODULES) >= 10
    for name in MODULES:
        assert isinstance(_record(name), Rule), name


@pytest.mark.parametrize("name", MODULES)
def test_record_names_are_the_order_the_arithmetic_unpacks(name):
    rule = _record(name)
    funcs = rule.update if isinstance(rule.update, tuple) else (rule.update,)
    for func in funcs:
        assert {"h", "f"} <= set(inspect.signature(func).parameters), func.__name__
        assert _unpacked(func, "h") == rule.hyper, func.__name__
        assert _unpacked(func, "f") == rule.flags, func.__name__
    assert len(set(rule.hyper)) == len(rule.hyper) and len(set(rule.flags)) == len(rule.flags)


class _OnlyReads(dict):
    """A parameter group that refuses any key the record does not declare."""

    def __init__(self, group, reads):
        super().__init__({k: v for k, v in group.items() if k in reads})
        self.reads = reads

    def __getitem__(self, key):
        if key not in self.reads:
            raise AssertionError(f"the rule read {key!r}, which its record does not declare")
        return super().__getitem__(key)


@pytest.mark.parametrize("name", MODULES)
def test_derive_reads_only_declared_hyperparameters_and_names_every_value(name):
    from numopt import Parameter, optim

    rule = _record(name)
    classes = [c for c in vars(optim).values()
               if isinstance(c, type) and getattr(c, "_rule", None) is rule]
    assert classes, f"no optimizer class uses {name}.RULE"
    for cls in classes:
        # the group of a class built with its defaults (AdamW fixes decoupled_weight_decay)
        defaults = cls([Parameter(np.ones(2))]).defaults
        assert set(rule.reads) <= set(defaults), (cls.__name__, set(rule.reads) - set(defaults))
        group = _OnlyReads(defaults, rule.reads)
        scalars = {k: float(v) for k, v in rule.scalars(group).items()}
        for fresh in (True, False):
            values = rule.derive(group, dict(scalars), fresh)
            assert set(values) == set(rule.hyper) | set(rule.flags), cls.__name__
            hyper, flags = rule.pack(values)
            assert len(hyper) == len(rule.hyper) and len(flags) == len(rule.flags)
            assert all(isinstance(v, (bool, np.bool_)) for v in flags), cls.__name__
        rows = rule.active_rows(group)
        assert set(rows) <= set(rule.rows)
        assert list(rows) == [r for r in rule.rows if r in rows]  # the record's row order
        for row in rows:
            float(rule.row_init(group, row))
