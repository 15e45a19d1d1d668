"""Disk-cache keys of compiled solvers and drivers (:mod:`numopt._fingerprint`): each
covers the source files compiled into it, so an edit elsewhere recompiles nothing.

An edit is simulated through ``_fingerprint._read``, the one place that reads a source
file's bytes, with the fingerprint caches emptied around it.
"""
import numba
import pytest

from numopt import _fingerprint
from numopt._cache import BoundedCache
from numopt._fingerprint import code_fingerprint, compiled_sources
from numopt._minimize import _drivers, _registry
from numopt._rules import adam, adafactor, sgd


def _method(name):
    return _registry.get(name)


def _solver_functions(name):
    spec = _method(name)
    return spec.init, spec.step


@pytest.fixture
def edit(monkeypatch):
    """``edit(relpath)`` makes the file ``numopt/<relpath>`` read as if edited (a comment
    appended) by every fingerprint computed afterwards."""
    edited = set()
    read = _fingerprint._read

    def reading(path):
        data = read(path)
        rel = path.resolve().relative_to(_fingerprint._ROOT).as_posix()
        return data + b"\n# edited\n" if rel in edited else data

    def make(relpath):
        assert (_fingerprint._ROOT / relpath).is_file(), relpath
        edited.add(relpath)
        _fingerprint._keys.clear()
        _fingerprint._module_info.clear()

    monkeypatch.setattr(_fingerprint, "_read", reading)
    _fingerprint._keys.clear()
    _fingerprint._module_info.clear()
    yield make
    _fingerprint._keys.clear()  # fingerprints of unedited files only, from here on
    _fingerprint._module_info.clear()


def test_bfgs_key_covers_its_own_code_and_line_searches_only():
    files = compiled_sources(*_solver_functions("BFGS"))
    for rel in ("_minimize/_bfgs.py", "_minimize/_linesearch.py", "_minimize/_wolfe2.py",
                "_minimize/_workspace.py"):
        assert rel in files
    for rel in ("_minimize/_lbfgsb.py", "_minimize/_cg.py", "_minimize/_batch.py",
                "_minimize/_minimize.py", "_minimize/_objective.py"):
        assert rel not in files


def test_every_method_key_covers_its_module_and_no_other_method():
    modules = {spec.name: spec.step.__module__.rsplit(".", 1)[-1]
               for spec in _registry.all_methods() if spec.step is not None}
    assert {"BFGS", "CG", "L-BFGS-B", "Nelder-Mead", "LBFGS"} <= modules.keys()
    for name, module in modules.items():
        files = compiled_sources(*_solver_functions(name))
        assert f"_minimize/{module}.py" in files
        others = {f"_minimize/{m}.py" for m in modules.values()} - {f"_minimize/{module}.py"}
        assert not others & set(files), (name, others & set(files))
        assert "_minimize/_batch.py" not in files


def test_an_lbfgsb_edit_changes_only_lbfgsb_keys(edit):
    bfgs, lbfgsb = _solver_functions("BFGS"), _solver_functions("L-BFGS-B")
    before = code_fingerprint(*bfgs), code_fingerprint(*lbfgsb)
    edit("_minimize/_lbfgsb.py")
    after = code_fingerprint(*bfgs), code_fingerprint(*lbfgsb)
    assert after[0] == before[0]
    assert after[1] != before[1]


@pytest.mark.parametrize("shared", ["_minimize/_workspace.py", "_minimize/_linesearch.py",
                                    "_numba.py"])
def test_an_edit_of_shared_code_changes_both_keys(edit, shared):
    bfgs, lbfgsb = _solver_functions("BFGS"), _solver_functions("L-BFGS-B")
    before = code_fingerprint(*bfgs), code_fingerprint(*lbfgsb)
    edit(shared)
    after = code_fingerprint(*bfgs), code_fingerprint(*lbfgsb)
    assert after[0] != before[0] and after[1] != before[1]


@pytest.mark.parametrize("elsewhere", ["_minimize/_batch.py", "_minimize/_minimize.py",
                                       "_minimize/_registry.py", "optim/adam.py"])
def test_an_edit_elsewhere_changes_no_solver_key(edit, elsewhere):
    solvers = [_solver_functions(name) for name in ("BFGS", "CG", "L-BFGS-B")]
    before = [code_fingerprint(*f) for f in solvers]
    edit(elsewhere)
    assert [code_fingerprint(*f) for f in solvers] == before


def test_a_rule_edit_changes_only_that_rules_driver_key(edit):
    before = {m: code_fingerprint(m.RULE.update) for m in (adam, sgd)}
    factored = code_fingerprint(*adafactor.RULE.update)
    edit("_rules/adam.py")
    assert code_fingerprint(adam.RULE.update) != before[adam]
    assert code_fingerprint(sgd.RULE.update) == before[sgd]
    assert code_fingerprint(*adafactor.RULE.update) == factored


def test_the_compiled_loops_key_on_the_code_they_compile(monkeypatch):
    init, step = _solver_functions("BFGS")
    assert _drivers.fingerprint(init, step) == code_fingerprint(init, step)
    seen = []
    fingerprint = _drivers.fingerprint

    def recording(*funcs):
        seen.append(funcs)
        return fingerprint(*funcs)

    monkeypatch.setattr(_drivers, "fingerprint", recording)
    monkeypatch.setattr(_drivers, "_solvers", BoundedCache(f"test.solvers.{id(seen)}"))
    _drivers.compiled_solver("BFGS", init, step, numba.typeof(()))
    (funcs,) = seen
    files = compiled_sources(*funcs)
    # The solver loop itself lives in _drivers.py and stops with a named reason.
    assert {"_minimize/_bfgs.py", "_minimize/_drivers.py", "_minimize/_reasons.py"} <= set(files)
    assert "_minimize/_lbfgsb.py" not in files and "_minimize/_batch.py" not in files


def test_fingerprints_are_memoised_and_stable():
    funcs = _solver_functions("CG")
    first = code_fingerprint(*funcs)
    _fingerprint._keys.clear()
    assert code_fingerprint(*funcs) == first
    assert len(first) == 64 and int(first, 16) >= 0


def test_the_batch_loops_key_on_the_code_they_compile(monkeypatch):
    # minimize_batch's prange loop, its lockstep row loops and the first-order chunk loop
    # key on their own files and the method's, not on every file of _minimize: an edit
    # of L-BFGS-B (or a docstring of _minimize.py) recompiles no BFGS batch loop.
    from numopt._minimize import _batch, _firstorder_batch

    init, step = _solver_functions("BFGS")
    seen = {}
    fingerprint = _drivers.fingerprint

    def recording(*funcs):
        seen[funcs[-1].__name__] = compiled_sources(*funcs)
        return fingerprint(*funcs)

    for module in (_batch, _firstorder_batch):
        monkeypatch.setattr(module, "fingerprint", recording)
    for module, name in ((_batch, "_batch_solvers"), (_batch, "_row_steppers"),
                         (_firstorder_batch, "_drivers")):
        monkeypatch.setattr(module, name, BoundedCache(f"test.{name}.{id(seen)}"))
    _batch._compiled_batch_solver("BFGS", init, step, numba.typeof(()))
    _batch._row_stepper(step)
    _batch._init_rows(init)
    _firstorder_batch._chunk_driver(numba.typeof(()))
    assert set(seen) == {"solve_batch", "step_rows", "init_rows", "eval_rows"}
    for loop in ("solve_batch", "step_rows", "init_rows"):
        assert {"_minimize/_bfgs.py", "_minimize/_batch.py"} <= set(seen[loop]), loop
    assert "_minimize/_firstorder_batch.py" in seen["eval_rows"]
    assert "_minimize/_bfgs.py" not in seen["eval_rows"]
    for files in seen.values():
        assert "_minimize/_lbfgsb.py" not in files and "_minimize/_minimize.py" not in files


def test_a_loop_key_needs_the_functions_it_compiles():
    with pytest.raises(TypeError, match="needs the functions"):
        _drivers.fingerprint()
