"""Fingerprints of numopt's own source, for the keys of numba's on-disk cache.

numba checks only the timestamp of the file that defines a cached function. Compiled
drivers here are closures (in ``_drivers``, ``_minimize._drivers``...) that inline code
from other modules: a method's ``step`` and its line search, a rule's helpers. Closing
over a fingerprint of that code makes their cache keys change whenever it changes, so an
edit never leaves a stale kernel behind.

:func:`code_fingerprint` hashes the source files whose code is compiled into given
functions, found as numba finds it: from each function's global names (and those of the
functions it calls, transitively) and closure. A constant is traced to the module that
defines it: ``from ._linesearch import LS_SIZE`` brings in ``_linesearch.py``, and a
module-level ``RAISED_REASON = _reasons.RAISED`` brings in ``_reasons.py``. So the key of
BFGS's solver covers ``_bfgs.py``, its line searches, ``_workspace.py``... but not
``_batch.py`` or ``_lbfgsb.py``: an edit there recompiles no BFGS solver.
:func:`source_fingerprint` is the coarse form, every file of whole subpackages.
:mod:`numopt._numba` is covered by every fingerprint: how numopt reaches numba's internals
(calls by address or linked helpers) shapes all compiled code.
"""
import ast
import hashlib
import importlib.util
import sys
import types
from pathlib import Path

from ._cache import BoundedCache

__all__ = ["source_fingerprint", "code_fingerprint", "compiled_sources"]

_ROOT = Path(__file__).resolve().parent
_ALWAYS = ("_numba.py",)
_keys = BoundedCache("fingerprint.keys", maxsize=1024)
_module_info = BoundedCache("fingerprint.modules", maxsize=256)


def _read(path):
    """The bytes of a source file (a hook the tests replace to simulate an edit)."""
    return path.read_bytes()


def _digest(relpaths):
    h = hashlib.sha256()
    for rel in (*_ALWAYS, *sorted(set(relpaths) - set(_ALWAYS))):
        h.update(rel.encode())
        h.update(_read(_ROOT / rel))
    return h.hexdigest()


def source_fingerprint(*subpackages):
    """SHA-256 of the ``.py`` files of the given subpackages (relative to ``numopt``) and
    of :mod:`numopt._numba`."""
    key = ("subpackages", subpackages)
    fp = _keys.get(key)
    if fp is None:
        rels = [p.relative_to(_ROOT).as_posix()
                for sub in subpackages for p in (_ROOT / sub).glob("*.py")]
        fp = _keys[key] = _digest(rels)
    return fp


def code_fingerprint(*funcs):
    """SHA-256 of the source files compiled into ``funcs`` (see :func:`compiled_sources`)
    and of :mod:`numopt._numba`.

    Parameters
    ----------
    *funcs : functions, numba dispatchers or register_jitable functions
        What a cached compiled function inlines or calls (a method's ``init`` and
        ``step``, a rule's ``update``).

    Returns
    -------
    str
    """
    key = ("code", funcs)
    fp = _keys.get(key)
    if fp is None:
        fp = _keys[key] = _digest(compiled_sources(*funcs))
    return fp


def compiled_sources(*funcs):
    """The files of numopt (relative to the package, ``"_minimize/_bfgs.py"``) whose code
    compiled code calling ``funcs`` may contain.

    Over-approximates, never under: a whole file counts as soon as one of its functions or
    constants is reached, and every name a function's code mentions that its module (or
    a module it reads attributes of) defines is followed, used or not.

    Returns
    -------
    tuple of str
        Sorted.
    """
    walk = _Walk()
    for func in funcs:
        walk.value(func, None, None, frozenset())
    return tuple(sorted(walk.files))


def _own_module(name):
    """numopt's module called ``name``, or None (numpy's, the user's, generated code's)."""
    if not isinstance(name, str) or name.split(".", 1)[0] != "numopt":
        return None
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if path is None or not Path(path).resolve().is_relative_to(_ROOT):
        return None
    return module


def _functions(value):
    """The Python functions compiled for ``value`` where compiled code calls it: itself,
    a dispatcher's (numba's, numopt's standalone ones) ``py_func``, an ``@intrinsic``'s
    definition."""
    if isinstance(value, types.FunctionType):
        return [value]
    if isinstance(value, (types.ModuleType, type)):
        return []
    found = []
    for attr in ("py_func", "_defn"):
        try:
            func = getattr(value, attr, None)
        except Exception:  # noqa: BLE001 -- an object whose getattr raises holds no code
            func = None
        if isinstance(func, types.FunctionType):
            found.append(func)
    return found


def _code_names(code):
    """The global and attribute names a code object (and the code nested in it) uses."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


class _Walk:
    """One traversal: the files reached, and what was visited already."""

    def __init__(self):
        self.files = set()
        self.seen = set()

    def add_module(self, module):
        self.files.add(Path(module.__file__).resolve().relative_to(_ROOT).as_posix())

    def value(self, value, home, name, names):
        """A value compiled code refers to: ``home.name`` (``home`` a numopt module, or
        None for a closure cell); ``names`` are the names the referring code uses."""
        if isinstance(value, types.ModuleType):
            module = _own_module(value.__name__)
            if module is not None and ("module", id(module), names) not in self.seen:
                self.seen.add(("module", id(module), names))
                self.add_module(module)
                for attr in names:  # module.attr in the referring code
                    if attr in module.__dict__:
                        self.value(module.__dict__[attr], module, attr, names)
            return
        funcs = _functions(value)
        if funcs:
            kind = _own_module(type(value).__module__)  # a standalone dispatcher's module
            if kind is not None:
                self.add_module(kind)
            for func in funcs:
                self.function(func)
            return
        if home is None and isinstance(value, (tuple, list)):  # a closure's tuple of rules
            for item in value:
                self.value(item, None, None, names)
            return
        kind = _own_module(type(value).__module__)  # a layout's named tuple, a record
        if kind is not None:
            self.add_module(kind)
        if home is not None:
            self.origin(home, name)

    def function(self, func):
        if ("function", func) in self.seen:
            return
        self.seen.add(("function", func))
        # Generated code (a layout's offsets) names the module that generated it.
        module = _own_module(getattr(func, "__module__", None))
        if module is None:
            return  # not numopt's code (the user's objective has keys of its own)
        self.add_module(module)
        path = Path(func.__code__.co_filename)
        if path.is_file() and path.resolve().is_relative_to(_ROOT):
            self.files.add(path.resolve().relative_to(_ROOT).as_posix())
        names = frozenset(_code_names(func.__code__))
        scope = func.__globals__
        home = _own_module(scope.get("__name__"))
        home = home if home is not None and home.__dict__ is scope else None
        for name in sorted(names):
            if name in scope:
                self.value(scope[name], home, name, names)
        for cell in func.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            self.value(contents, None, None, names)

    def origin(self, module, name):
        """Add the files a module-level constant ``module.name`` was computed from: the
        module it was imported from, the modules and names its assignment reads."""
        if ("origin", id(module), name) in self.seen:
            return
        self.seen.add(("origin", id(module), name))
        imports, assignments = _info(module)
        if name in imports:
            source, attr = imports[name]
            other = _own_module(source)
            if other is not None:
                self.add_module(other)
                if attr is not None:
                    if isinstance(other.__dict__.get(attr), types.ModuleType):
                        self.value(other.__dict__[attr], other, attr, frozenset())
                    else:
                        self.origin(other, attr)
        for expr in assignments.get(name, ()):
            for node in ast.walk(expr):
                if isinstance(node, ast.Name) and node.id != name:
                    used = module.__dict__.get(node.id)
                    if isinstance(used, types.ModuleType):
                        self.value(used, module, node.id, frozenset())
                    elif _functions(used):
                        self.value(used, module, node.id, frozenset())
                    else:
                        self.origin(module, node.id)


def _info(module):
    """``(imports, assignments)`` of a module's top level: name -> ``(module, attribute
    or None)`` it was imported as, and name -> the expressions assigned to it."""
    info = _module_info.get(module.__name__)
    if info is not None:
        return info
    tree = ast.parse(_read(Path(module.__file__)))
    package = module.__package__ or module.__name__.rpartition(".")[0]
    imports, assignments = {}, {}
    for stmt in _top_level(tree.body):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    imports[alias.asname] = (alias.name, None)
        elif isinstance(stmt, ast.ImportFrom):
            source = importlib.util.resolve_name("." * stmt.level + (stmt.module or ""),
                                                 package)
            for alias in stmt.names:
                imports[alias.asname or alias.name] = (source, alias.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if stmt.value is None:
                continue
            for target in targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name):
                        assignments.setdefault(node.id, []).append(stmt.value)
    info = _module_info[module.__name__] = (imports, assignments)
    return info


def _top_level(body):
    """A module's statements outside functions and classes (inside ``if``/``try``)."""
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            yield from _top_level(getattr(stmt, field, ()))
        for handler in getattr(stmt, "handlers", ()):
            yield from _top_level(handler.body)
