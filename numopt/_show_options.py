"""``numopt.show_options``: the options of each ``minimize`` method, as scipy's.

The text is generated from the method registry (:mod:`numopt._minimize._registry`): the
methods, their capabilities, and each :class:`~numopt._minimize._registry.Option`'s name,
default and meaning, the options ``tol`` sets first.
"""
import math
import re
import textwrap

__all__ = ["show_options"]

# scipy's solvers (scipy.optimize.show_options knows them); numopt has only ``minimize``.
_SCIPY_SOLVERS = ("minimize", "minimize_scalar", "root", "root_scalar", "linprog",
                  "quadratic_assignment")

def _registry():
    """``{lowercase name: Method}`` of every method, in the registry's order."""
    from ._minimize import _registry

    return {spec.name.lower(): spec for spec in _registry.all_methods()}


def _format_default(value):
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():
        value = value.item()  # a NumPy scalar prints as itself, not as np.float64(...)
    return repr(value)


def _method_text(spec):
    first_order = spec.run is not None
    if first_order:
        intro = (f"Options of numopt.minimize(method={spec.name!r}): numopt.optim's "
                 "optimizer of that name, its constructor's arguments with its defaults, "
                 "and minimize's stopping rules. It uses the gradient.")
    else:
        uses = []
        uses.append("uses the gradient" if spec.uses_gradient else "uses no gradient")
        uses.append("takes bounds" if spec.bounds else "takes no bounds")
        intro = f"Options of numopt.minimize(method={spec.name!r}); it {' and '.join(uses)}."
    lines = textwrap.wrap(intro, 79)
    if spec.tol:
        lines.append(f"`tol` sets: {', '.join(spec.tol)}.")
    lines += ["", "Options", "-------"]
    for option in spec.options:
        lines.append(f"{option.name} : default {_format_default(option.default)}")
        lines += textwrap.wrap(option.meaning, 79, initial_indent="    ",
                               subsequent_indent="    ")
    return "\n".join(lines)


# -- the tables of docs/minimize.md --------------------------------------------------------
# tools/gen_option_tables.py fills each block between ``<!-- registry: WHAT -->`` and
# ``<!-- registry: end -->`` with the table WHAT names, and tests/test_show_options.py
# checks that the page holds what the registry generates, so the page cannot drift.
# WHAT is ``methods`` (the summary of every method) or ``options NAME...`` (the options
# of those methods, each table under its name where there are several).
_BLOCK = re.compile(r"(<!-- registry: (?!end -->)(?P<what>[^>]*?) -->\n)(?P<body>.*?)"
                    r"(?=<!-- registry: end -->)", re.DOTALL)


def _cell(text):
    """``text`` for a cell of a Markdown table: ``|`` would end the cell, in code too."""
    return text.replace("|", "\\|")


def _scipy_name(spec):
    """What the method follows, for the summary table: scipy's method of that name,
    else the class it runs."""
    if spec.reference.startswith("scipy."):
        return f'`"{spec.name}"`'
    return f"none (`{spec.reference.split()[0]}`)"


def methods_table():
    """The Markdown table of every method: what it follows, what it uses, what ``tol``
    sets and whether a compiled objective runs the whole solve compiled."""
    lines = ["| method | scipy equivalent | gradient | bounds | `tol` sets | compiled solve |",
             "| --- | --- | --- | --- | --- | --- |"]
    for spec in _registry().values():
        tol = ", ".join(f"`{name}`" for name in spec.tol) or "nothing"
        compiled = "no (Python loop)" if spec.run is not None else "yes"
        lines.append(f'| `"{spec.name}"` | {_scipy_name(spec)} | '
                     f'{"yes" if spec.uses_gradient else "no"} | '
                     f'{"yes" if spec.bounds else "no"} | {tol} | {compiled} |')
    return "\n".join(lines)


def option_table(method):
    """The Markdown table of ``method``'s options (a name, case-insensitive): name,
    default, meaning and whether ``tol`` sets it, in the registry's order."""
    methods = _registry()
    key = method.lower()
    if key not in methods:
        raise ValueError(f"Unknown method {method!r} of solver 'minimize'")
    lines = ["| option | default | meaning | set by `tol` |", "| --- | --- | --- | --- |"]
    for option in methods[key].options:
        lines.append(f"| `{option.name}` | `{_cell(_format_default(option.default))}` | "
                     f"{_cell(option.meaning)} | {'yes' if option.tol else ''} |")
    return "\n".join(lines)


def _generate(what):
    words = what.split()
    if words == ["methods"]:
        return methods_table()
    if len(words) >= 2 and words[0] == "options":
        names = words[1:]
        if len(names) == 1:
            return option_table(names[0])
        spec = _registry()
        return "\n\n".join(f'`"{spec[name.lower()].name}"`:\n\n{option_table(name)}'
                            for name in names)
    raise ValueError(f"unknown registry block {what!r}: 'methods' or 'options NAME...'")


def fill_tables(text):
    """``text`` (a Markdown page) with every registry block filled from the registry.

    Raises
    ------
    ValueError
        A block names something other than ``methods`` or ``options NAME...``, or an
        unknown method.
    """
    return _BLOCK.sub(lambda m: m.group(1) + "\n" + _generate(m.group("what")) + "\n\n",
                      text)


def tabled_methods(text):
    """The names of the methods whose options ``text``'s registry blocks show, in order."""
    names = []
    for match in _BLOCK.finditer(text):
        words = match.group("what").split()
        if words[:1] == ["options"]:
            names += [_registry()[name.lower()].name for name in words[1:]]
    return names


def show_options(solver=None, method=None, disp=True):
    """Show the options of ``numopt.minimize``'s methods, as :func:`scipy.optimize.show_options`.

    These are the method-specific options given in ``minimize``'s ``options`` dict, with
    their defaults and meanings.

    Parameters
    ----------
    solver : str, optional
        ``"minimize"``, the only solver numopt has (``None``: every solver, so
        ``"minimize"`` under a heading).
    method : str, optional
        A method of ``solver`` (case-insensitive, e.g. ``"BFGS"``). ``None``: every
        method, each under its name.
    disp : bool, optional
        Print the text and return ``None`` (default), or return the text.

    Returns
    -------
    str or None
        The text when ``disp`` is false, else ``None``.

    Raises
    ------
    ValueError
        If ``solver`` is not ``"minimize"`` (scipy's other solvers included: numopt does
        not implement them) or ``method`` is not one of its methods.

    Examples
    --------
    >>> import numopt
    >>> text = numopt.show_options("minimize", "L-BFGS-B", disp=False)
    >>> print(" ".join(text.splitlines()[:2]))  # the first sentence, wrapped at 79
    Options of numopt.minimize(method='L-BFGS-B'); it uses the gradient and takes bounds.
    """
    if solver is None:
        if method is not None:
            raise ValueError("show_options: give the solver (\"minimize\") with a method")
        text = "\n\n\n========\nminimize\n========\n" + show_options("minimize", disp=False)
    else:
        if not isinstance(solver, str):
            raise ValueError(f"show_options: solver must be a string, got {solver!r}")
        key = solver.lower()
        if key != "minimize":
            if key in _SCIPY_SOLVERS:
                raise ValueError(f"Unknown solver {solver!r}: numopt implements only "
                                 "'minimize' (scipy's other solvers are not part of numopt)")
            raise ValueError(f"Unknown solver {solver!r}; numopt has the solver 'minimize'")
        methods = _registry()
        if method is None:
            parts = []
            for spec in methods.values():
                parts += ["\n\n" + spec.name, "\n" + "=" * len(spec.name) + "\n\n",
                          _method_text(spec)]
            text = "".join(parts)
        else:
            if not isinstance(method, str) or method.lower() not in methods:
                names = ", ".join(spec.name for spec in methods.values())
                raise ValueError(f"Unknown method {method!r} of solver 'minimize'; "
                                 f"numopt.minimize supports: {names}")
            text = _method_text(methods[method.lower()])
    if disp:
        print(text)
        return None
    return text
