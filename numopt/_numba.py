"""Every numba internal numopt relies on, in one place.

numba's public API (``njit``, ``numba.types``, ``numba.typeof``, ``numba.extending``)
does not cover what numopt needs in three places: solvers take the objective as a
first-class function, objectives cached on disk get disk-cached adapters, and large
helpers are called by address (:mod:`numopt._minimize._standalone`). What those need is
imported or reached here, and ``tests/test_numba_internals.py`` checks each piece's
shape, so that a numba release that changes one fails that test, naming the piece and
the numba version, instead of failing deep inside a compile. pyproject.toml bounds numba
from above for the same reason.

The pieces:

``CPUDispatcher`` (``numba.core.registry``)
    The class of an ``@njit`` function. :func:`numopt._minimize._objective.is_compiled`
    recognises compiled objectives by it, and ``StandaloneDispatcher`` subclasses it,
    built as numba builds its own: ``CPUDispatcher(py_func=, locals=, targetoptions=)``,
    then ``enable_caching()``; compiled overloads are read from ``.overloads``, a dict
    from argument types to ``CompileResult``.
``CompileResult`` attributes
    ``entry_point`` (the compiled function callable from Python, reached without the
    dispatcher's typing of the arguments: ``_drivers.entry_point``), ``library`` with
    ``get_pointer_to_function(name)``, ``fndesc.llvm_func_name`` (the native function's
    symbol) and ``signature``: see :func:`compiled_address`.
``CompileResultWAP`` (``numba.core.types.function_type``)
    Wraps a ``CompileResult`` as a first-class function value, which compiled solvers take
    as their objective (``_drivers.first_class``) so that a solver compiles once per
    ``args`` type, whatever the objective. numba's public route to first-class functions
    (passing a dispatcher) recompiles the caller for every objective.
``FunctionCache`` (``numba.core.caching``)
    The class of a dispatcher's ``_cache`` when it is cached on disk (``cache=True``):
    ``_objective._disk_stamp`` caches an objective's adapter on disk only then.
``cgutils``, ``lower_builtin``, ``fix_returning_optional``, ``OpaqueModel``
    Lowering of a call to an external symbol (``numba.core.cgutils``,
    ``numba.core.imputils``, ``numba.core.datamodel.models``): the standalone helpers'
    calls, written as numba lowers a call to a compiled function, with the target
    context's ``call_conv`` (``get_function_type``, ``call_function``,
    ``return_status_propagate``).
``types.Dispatcher``'s ``get_call_type`` and ``get_impl_key``
    Overridden by the standalone helpers' numba type, so that their calls are lowered by
    numopt's implementation rather than by linking the callee.
:func:`add_reload_hook` (``CodeLibrary._reload_init``, numba >= 0.63)
    A function run before a caller is loaded from numba's disk cache: it binds the
    standalone helpers' symbols in the new process. Older numba has no such hook on the
    code library (:data:`HAS_RELOAD_HOOK` is false), and the standalone helpers are then
    linked into their callers as ordinary ``register_jitable`` functions: the same
    results, slower cold compiles.
:func:`call_catching` (``BaseContext.call_internal_no_propagate``, ``Dispatcher.get_compile_result``, ``CodeLibrary.add_linking_library``)
    Lowers a call of a compiled function that returns a constant instead of raising
    when the callee raised: how every compiled adapter turns an exception of the user's
    objective into ``RAISED`` (see ``numopt._minimize._workspace``). numba's own
    ``try``/``except`` does the same, but defeats its reference-count pruning, which
    leaves four atomic increments and decrements of the arrays' counts on every call:
    about 30 ns an evaluation, ten times the call itself.
``NumbaError`` (``numba.core.errors``)
    The base class of numba's compilation errors (typing, lowering): a compile of an
    objective's adapter that fails with one is reported with numopt's own message, numba's
    kept as the cause.
``config`` (``numba.core.config``)
    ``ENABLE_CUDASIM``: under the CUDA simulator the standalone helpers are plain Python.
"""
import numba
from numba.core import cgutils, config
from numba.core.caching import FunctionCache
from numba.core.datamodel.models import OpaqueModel
from numba.core.errors import NumbaError
from numba.core.imputils import fix_returning_optional, lower_builtin
from numba.core.registry import CPUDispatcher
from numba.core.types.function_type import CompileResultWAP

__all__ = ["NUMBA_VERSION", "HAS_RELOAD_HOOK", "CPUDispatcher", "CompileResultWAP",
           "FunctionCache", "NumbaError", "OpaqueModel", "cgutils", "config", "fix_returning_optional",
           "lower_builtin", "add_reload_hook", "call_catching", "compiled_address"]


def _version(text):
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


#: numba's (major, minor).
NUMBA_VERSION = _version(numba.__version__)

#: Whether numba's code libraries carry the hooks run before a cached caller is loaded
#: (``CodeLibrary._reload_init``, added in numba 0.63).
HAS_RELOAD_HOOK = NUMBA_VERSION >= (0, 63)


def add_reload_hook(context, hook):
    """Run ``hook()`` before the function being lowered in ``context`` (a numba target
    context) is loaded from numba's disk cache in a later process; numba >= 0.63 only.

    ``hook`` must pickle (numba stores it with the cached function), and the library
    that holds it passes it on to every library it is linked into.
    """
    context.active_code_library._reload_init.add(hook)


def call_catching(context, builder, dispatcher, sig, args, on_error):
    """Lower ``dispatcher(*args)`` (its compiled overload for the numba signature
    ``sig``) in ``builder``; its value, or the constant ``on_error`` (of ``sig``'s
    return type) where the callee raised. The exception itself is dropped: the front
    door raises it again (see ``numopt._minimize._objective.reraise``)."""
    cres = dispatcher.get_compile_result(sig)
    context.active_code_library.add_linking_library(cres.library)
    status, res = context.call_internal_no_propagate(builder, cres.fndesc, sig, args)
    fallback = context.get_constant(sig.return_type, on_error)
    return builder.select(status.is_error, fallback, res)


def compiled_address(cres):
    """The address of the native function of ``cres`` (a numba ``CompileResult``), which
    a call by symbol reaches once the symbol is bound to it."""
    return cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
