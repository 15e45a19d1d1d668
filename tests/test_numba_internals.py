"""Each numba internal numopt relies on (see numopt/_numba.py) is there, with the shape
numopt expects.

A failure here names the numba version and the internal: numba changed it, and
numopt/_numba.py (and the numba bound in pyproject.toml) must follow before anything
else is worth debugging.
"""
import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import pytest
from numba import njit, types

from numopt import _numba

ROOT = Path(__file__).resolve().parent.parent


def _fail_unless(condition, internal, detail):
    if not condition:
        pytest.fail(f"numba {numba.__version__}: {internal} {detail}; numopt relies on it "
                    "(see numopt/_numba.py, which must follow numba's change)", pytrace=False)


def _params(func):
    return list(inspect.signature(func).parameters)


@njit(cache=False)
def _add(a, b):
    return a + b


def _compile_result():
    _add(1.0, 2.0)
    sig = (types.float64, types.float64)
    _fail_unless(sig in _add.overloads, "Dispatcher.overloads",
                 "is no longer keyed by the argument types")
    return _add.overloads[sig]


def test_version_is_parsed():
    major, minor = _numba.NUMBA_VERSION
    assert numba.__version__.startswith(f"{major}.{minor}")


def test_cpu_dispatcher_is_the_class_of_njit_functions():
    _fail_unless(isinstance(_add, _numba.CPUDispatcher), "numba.core.registry.CPUDispatcher",
                 "is not the class of @njit functions")
    params = _params(_numba.CPUDispatcher.__init__)
    _fail_unless({"py_func", "locals", "targetoptions"} <= set(params),
                 "CPUDispatcher.__init__", f"no longer takes py_func, locals and "
                 f"targetoptions (it takes {params})")
    _fail_unless(callable(getattr(_numba.CPUDispatcher, "enable_caching", None)),
                 "CPUDispatcher.enable_caching", "is gone")


def test_compile_result_attributes():
    cres = _compile_result()
    for name in ("entry_point", "library", "fndesc", "signature"):
        _fail_unless(hasattr(cres, name), f"CompileResult.{name}", "is gone")
    _fail_unless(cres.entry_point(1.0, 2.0) == 3.0, "CompileResult.entry_point",
                 "no longer calls the compiled function from Python")
    _fail_unless(isinstance(cres.fndesc.llvm_func_name, str), "FunctionDescriptor.llvm_func_name",
                 "is not the native function's symbol name")
    address = _numba.compiled_address(cres)
    _fail_unless(isinstance(address, int) and address != 0,
                 "CodeLibrary.get_pointer_to_function", "gives no address for the symbol")
    _fail_unless(cres.signature.return_type == types.float64, "CompileResult.signature",
                 "no longer holds the return type")


def test_compile_result_wap_makes_a_first_class_function():
    cres = _compile_result()
    _fail_unless(_params(_numba.CompileResultWAP.__init__) == ["self", "cres"],
                 "numba.core.types.function_type.CompileResultWAP",
                 "is no longer built from one CompileResult")
    wap = _numba.CompileResultWAP(cres)
    _fail_unless(wap.signature() == cres.signature and wap.__wrapper_address__() != 0,
                 "CompileResultWAP", "lost signature() or __wrapper_address__()")

    @njit
    def call(f, a, b):
        return f(a, b)

    _fail_unless(call(wap, 2.0, 5.0) == 7.0, "CompileResultWAP",
                 "is no longer callable as a first-class function from compiled code")


def test_function_cache_is_the_disk_cache_of_cached_dispatchers(tmp_path, monkeypatch):
    # A cached dispatcher needs a source file numba can locate: write one.
    module = tmp_path / "cached_mod_for_numopt.py"
    module.write_text("from numba import njit\n\n@njit(cache=True)\ndef f(x):\n    return x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import cached_mod_for_numopt

    _fail_unless(isinstance(getattr(cached_mod_for_numopt.f, "_cache", None), _numba.FunctionCache),
                 "Dispatcher._cache", "of an njit(cache=True) function is not a FunctionCache")
    _fail_unless(not isinstance(getattr(_add, "_cache", None), _numba.FunctionCache),
                 "Dispatcher._cache", "of an uncached function is a FunctionCache")


def test_numba_error_is_the_base_of_typing_errors():
    @njit
    def bad(x):
        return x.no_such_attribute

    with pytest.raises(Exception) as info:
        bad(1.0)
    _fail_unless(isinstance(info.value, _numba.NumbaError), "numba.core.errors.NumbaError",
                 f"is not the base of typing errors (got {type(info.value).__mro__})")


def test_lowering_helpers():
    for name, params in [("get_or_insert_function", ["module", "fnty", "name"]),
                         ("if_unlikely", ["builder", "pred"])]:
        func = getattr(_numba.cgutils, name, None)
        _fail_unless(func is not None and _params(func) == params,
                     f"numba.core.cgutils.{name}", f"no longer takes {params}")
    _fail_unless(_params(_numba.fix_returning_optional)
                 == ["context", "builder", "sig", "status", "retval"],
                 "numba.core.imputils.fix_returning_optional", "changed its arguments")
    _fail_unless(callable(_numba.lower_builtin), "numba.core.imputils.lower_builtin", "is gone")
    _fail_unless(isinstance(_numba.OpaqueModel, type), "numba.core.datamodel.models.OpaqueModel",
                 "is gone")
    _fail_unless(hasattr(_numba.config, "ENABLE_CUDASIM"), "numba.core.config.ENABLE_CUDASIM",
                 "is gone")


def test_call_convention_and_dispatcher_type_methods():
    from numba.core.registry import cpu_target

    call_conv = cpu_target.target_context.call_conv
    for name, params in [("get_function_type", ["restype", "argtypes"]),
                         ("call_function", ["builder", "callee", "resty", "argtys", "args"]),
                         ("return_status_propagate", ["builder", "status"])]:
        method = getattr(call_conv, name, None)
        got = _params(method)[:len(params)] if method is not None else None
        _fail_unless(got == params, f"the CPU call convention's {name}",
                     f"no longer takes {params} (it takes {got})")
    for name, params in [("get_call_type", ["self", "context", "args", "kws"]),
                         ("get_impl_key", ["self", "sig"])]:
        _fail_unless(_params(getattr(types.Dispatcher, name)) == params,
                     f"numba.types.Dispatcher.{name}", f"no longer takes {params}")


def test_reload_hook_of_code_libraries():
    from numba.core.registry import cpu_target

    library = cpu_target.target_context.codegen().create_library("numopt_probe")
    has = isinstance(getattr(library, "_reload_init", None), set)
    _fail_unless(has == _numba.HAS_RELOAD_HOOK, "CodeLibrary._reload_init",
                 f"is {'present' if has else 'absent'}, but numopt/_numba.py expects it "
                 f"{'present' if _numba.HAS_RELOAD_HOOK else 'absent'} for this version")


_RELOAD_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import numopt
    from numopt._minimize import _standalone
    res = numopt.minimize(numopt.objective(lambda x: ((x - 1.0) ** 2).sum()), np.zeros(3),
                          method="L-BFGS-B")
    assert res.success and np.allclose(res.x, 1.0), res
    print(len(_standalone._bound))
""")


@pytest.mark.skipif(not _numba.HAS_RELOAD_HOOK, reason="numba < 0.63 links the helpers instead")
def test_helpers_called_by_address_work_in_a_fresh_process():
    # The reload hook at work: L-BFGS-B's helpers are called by symbol, bound in this new
    # process before its cached callers load (a wrong binding crashes or gives garbage).
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, "-c", _RELOAD_SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert int(proc.stdout.split()[-1]) > 0  # some helpers were bound by symbol


def test_standalone_falls_back_to_linking_without_the_hook():
    from numopt._minimize import _lbfgsb, _standalone

    helpers = [v for v in vars(_lbfgsb).values() if isinstance(v, _standalone.StandaloneDispatcher)]
    if _numba.HAS_RELOAD_HOOK and not _numba.config.ENABLE_CUDASIM:
        assert helpers, "L-BFGS-B's helpers are no longer standalone dispatchers"
    else:
        assert not helpers
