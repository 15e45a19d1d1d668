"""Compiled helpers that are called by address instead of linked into their callers.

numba compiles a call from one ``@njit`` function to another by linking the callee's
whole LLVM module, with everything it links in turn, into the caller's module, which LLVM
then optimizes and turns into machine code again. A deep call tree (a solver loop, the
method's ``step``, its iteration, the Cauchy point, ...) is thus optimized and
code-generated once per level: most of a cold compile of L-BFGS-B went there.

A :func:`standalone` function is an ordinary cached ``njit`` dispatcher, callable from
Python and from CUDA device code (which compiles its Python source, as for any ``njit``
function), except that a call from CPU code is lowered to a call to an external symbol
named after the function and its argument types. The symbol is bound to the compiled
function's address with ``llvmlite.binding.add_symbol`` before the caller is linked, and
again (through numba's ``reload_init`` hook of the caller) before a caller is loaded from
numba's disk cache, so each helper is compiled, optimized and cached exactly once, whoever
calls it. The price is that LLVM cannot inline across such a call: use it for helpers
doing O(n) work or more, not for one-liners.
"""
import functools
import hashlib
import importlib

import llvmlite.binding as ll
from numba import types
from numba.extending import register_jitable, register_model

from .._cache import BoundedCache
from .._numba import (HAS_RELOAD_HOOK, CPUDispatcher, OpaqueModel, add_reload_hook, cgutils,
                      compiled_address, config, fix_returning_optional, lower_builtin)

__all__ = ["jitable", "standalone"]

# register_jitable for helpers compiled into their (compiled) callers, without the CPython
# and C wrappers numba builds for every compiled function by default: nothing calls the
# compiled helper itself from Python (a call from Python runs the plain function), and the
# wrappers cost about 40 ms of compilation each.
jitable = register_jitable(no_cpython_wrapper=True, no_cfunc_wrapper=True)

# Keyed on numopt's own helpers. Forgetting an entry only binds its symbol again (to the
# same address) or makes a new, equal hook.
_bound = BoundedCache("standalone.bound", maxsize=4096)  # symbol -> address in this process
_binders = BoundedCache("standalone.binders", maxsize=4096)  # (symbol, argtypes) -> reload hook


class _StandaloneType(types.Dispatcher):
    """The numba type of a :func:`standalone` dispatcher: its calls are lowered by the
    dispatcher's own implementation (registered under the dispatcher as key) rather than
    numba's, which would link the callee's library."""

    def get_call_type(self, context, args, kws):
        # One overload per argument types, not one more per literal argument (a literal
        # True/False or 0 would otherwise compile the whole function again).
        args = tuple(types.unliteral(a) for a in args)
        kws = {k: types.unliteral(v) for k, v in kws.items()}
        return super().get_call_type(context, args, kws)

    def get_impl_key(self, sig):
        return self.dispatcher


register_model(_StandaloneType)(OpaqueModel)  # as numba's for types.Dispatcher


class StandaloneDispatcher(CPUDispatcher):
    """A CPU dispatcher whose compiled overloads are called by symbol (see the module)."""

    @property
    def _numba_type_(self):
        return _StandaloneType(self)

    def symbol(self, argtypes):
        """The external symbol of the overload for ``argtypes``, bound to its address
        (compiled, or loaded from the disk cache, on first use)."""
        argtypes = tuple(argtypes)
        digest = hashlib.sha256(str(argtypes).encode()).hexdigest()[:16]
        name = f"numopt.{self.py_func.__module__}.{self.py_func.__qualname__}.{digest}"
        if name not in _bound:
            self.compile(argtypes)
            address = compiled_address(self.overloads[argtypes])
            ll.add_symbol(name, address)
            _bound[name] = address
        return name


def _bind(module, qualname, argtypes):
    """Bind the symbol of a standalone overload; run before a caller is loaded from the
    disk cache (it is pickled by name, so it finds the dispatcher in a new process)."""
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    # Under the CUDA simulator the name holds the plain function; a CPU caller cached by
    # an ordinary process still calls the standalone overload.
    getattr(obj, "standalone_dispatcher", obj).symbol(argtypes)


def _lower_call(dispatcher):
    def lower(context, builder, sig, args):
        argtypes = tuple(sig.args)
        name = dispatcher.symbol(argtypes)
        cres = dispatcher.overloads[argtypes]
        restype = cres.signature.return_type
        fnty = context.call_conv.get_function_type(restype, argtypes)
        fn = cgutils.get_or_insert_function(builder.module, fnty, name)
        status, res = context.call_conv.call_function(builder, fn, restype, argtypes, args)
        with cgutils.if_unlikely(builder, status.is_error):
            context.call_conv.return_status_propagate(builder, status)
        # A caller loaded from the disk cache binds the symbol first.
        key = (name, argtypes)
        hook = _binders.get(key)
        if hook is None:
            hook = _binders[key] = functools.partial(_bind, dispatcher.py_func.__module__,
                                                     dispatcher.py_func.__qualname__,
                                                     argtypes)
        add_reload_hook(context, hook)
        return fix_returning_optional(context, builder, sig, status, res)

    return lower


def standalone(func):
    """Compile ``func`` as ``njit(cache=True, error_model="numpy")``, called by address
    from other compiled functions (see the module docstring).

    Parameters
    ----------
    func : function
        Module-level function (the symbol binding finds it again by module and name).

    Returns
    -------
    StandaloneDispatcher
        Or the plain function registered with ``register_jitable``, linked into its
        callers as numba links any compiled function: under numba's CUDA simulator (which
        runs device code as Python and cannot pass its arrays to a compiled CPU function),
        and with a numba older than 0.63, which cannot bind the symbol before a cached
        caller is loaded (see :data:`numopt._numba.HAS_RELOAD_HOOK`).
    """
    if not HAS_RELOAD_HOOK and not config.ENABLE_CUDASIM:
        return register_jitable(error_model="numpy", no_cpython_wrapper=True,
                                no_cfunc_wrapper=True)(func)
    disp = StandaloneDispatcher(py_func=func, locals={},
                                targetoptions={"nopython": True, "error_model": "numpy",
                                               "boundscheck": None,
                                               "no_cpython_wrapper": True,
                                               "no_cfunc_wrapper": True})
    disp.enable_caching()
    lower_builtin(disp, types.VarArg(types.Any))(_lower_call(disp))
    if config.ENABLE_CUDASIM:
        func.standalone_dispatcher = disp
        return register_jitable(error_model="numpy")(func)
    return disp
