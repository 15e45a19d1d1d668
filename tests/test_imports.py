"""numopt's modules import one another without cycles.

The graph is built from the import statements themselves (module level and inside
functions alike: a function-level import that closes a cycle only hides it until the
function first runs), so a cycle fails here whatever the import order of a session.
"""
import ast
import pathlib
import textwrap

import numopt

ROOT = pathlib.Path(numopt.__file__).resolve().parent


def _modules(root=ROOT):
    """``{dotted name: path}`` of every module of the package at ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_package(name, modules):
    return modules[name].name == "__init__.py"


def _resolve(module, node, modules):
    """The numopt modules an ``import`` or ``from ... import`` statement of ``module``
    names: the imported module itself, and each imported name that is a module."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    if node.level:
        base = module.split(".")
        if not _is_package(module, modules):
            base = base[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    found = set()
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        if sub in modules:
            found.add(sub)
        elif target in modules:
            found.add(target)
    return found


def import_graph(root=ROOT):
    """``{module: set of the package's modules its import statements name}``."""
    modules = _modules(root)
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _resolve(name, node, modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm),
    each sorted, in sorted order."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _package(tmp_path, files):
    """A package ``pkg`` under ``tmp_path`` with ``files`` (``{relative path: source}``)."""
    for rel, source in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return tmp_path / "pkg"


def test_the_graph_sees_function_level_and_relative_imports(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "from .sub import deep\n",
        "a.py": """
            def f():
                from . import b      # function level, a module of the package
                from .c import name  # a name of module c
            """,
        "b.py": "import pkg.c\nimport os\n",
        "c.py": "name = 1\n",
        "sub/__init__.py": "",
        "sub/deep.py": "from .. import a\nfrom ..sub import deep\n",
    })
    graph = import_graph(root)
    assert graph["pkg.a"] == {"pkg.b", "pkg.c"}
    assert graph["pkg.b"] == {"pkg.c"}  # absolute imports; os is not the package's
    assert graph["pkg.sub.deep"] == {"pkg.a"}  # its import of itself is no edge
    assert graph["pkg"] == {"pkg.sub.deep"}
    assert cycles(graph) == []


def test_a_function_level_import_closes_a_cycle(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "",
        "front.py": "from .helper import h\n",
        "helper.py": "def h():\n    from .front import g\n",
    })
    assert cycles(import_graph(root)) == [["pkg.front", "pkg.helper"]]


def test_the_graph_of_numopt_sees_its_modules():
    graph = import_graph()
    assert "numopt._minimize._registry" in graph["numopt._minimize._minimize"]
    assert "numopt._minimize._prepare" in graph["numopt._minimize._batch"]


def test_front_doors_share_their_preparation_not_each_other():
    """minimize and minimize_batch prepare a problem with _prepare, which imports no
    front door; neither front door imports the other (nor the batch executor one)."""
    graph = import_graph()
    front_doors = {"numopt._minimize._minimize", "numopt._minimize._batch"}
    for door in front_doors:
        assert "numopt._minimize._prepare" in graph[door]
        assert not graph[door] & (front_doors - {door}), door
    below = ("numopt._minimize._prepare", "numopt._minimize._executor",
             "numopt._minimize._firstorder_batch", "numopt._result")
    for module in below:
        assert not graph[module] & front_doors, module


def test_no_import_cycles_among_numopt_modules():
    found = cycles(import_graph())
    assert not found, "import cycles among numopt's modules:\n" + "\n".join(
        " <-> ".join(c) for c in found)


def test_cycles_finds_a_cycle_through_three_modules():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
