"""numopt.show_options and the option tables of docs/minimize.md: scipy's semantics,
generated from the method registry."""
import importlib.util
import re
from pathlib import Path

import pytest
import scipy.optimize as so

import numopt
from numopt._minimize import _registry
from numopt._show_options import _format_default, fill_tables, methods_table, option_table, tabled_methods


def _methods():
    _registry.get("bfgs")  # fills the registry
    return list(_registry.METHODS.values())


def _sections(text):
    """``{name: body}`` of a method=None text: each method under its name and a rule."""
    parts = re.split(r"\n\n(\S[^\n]*)\n(=+)\n\n", text)
    assert parts[0] == ""
    sections = {}
    for name, rule, body in zip(parts[1::3], parts[2::3], parts[3::3]):
        assert len(rule) == len(name)
        sections[name] = body
    return sections


def test_every_method_and_option_appears_with_its_default():
    text = numopt.show_options("minimize", disp=False)
    sections = _sections(text)
    methods = _methods()
    assert list(sections) == [spec.name for spec in methods]
    for spec in methods:
        body = sections[spec.name]
        assert body == numopt.show_options("minimize", spec.name, disp=False)
        for name in spec.defaults:
            assert re.search(rf"^{re.escape(name)} : default ", body, re.MULTILINE), (spec.name, name)
        if spec.tol:
            assert f"`tol` sets: {', '.join(spec.tol)}." in body


def test_every_option_is_described():
    # each option's meaning, from its Option record, under its name (wrapped at 79)
    for spec in _methods():
        body = numopt.show_options("minimize", spec.name, disp=False)
        flat = " ".join(body.split())
        for option in spec.options:
            assert option.meaning.strip(), (spec.name, option.name)
            default = _format_default(option.default)
            assert f"{option.name} : default {default} {' '.join(option.meaning.split())}" \
                in flat, (spec.name, option.name)


def test_defaults_are_the_registry_values():
    body = numopt.show_options("minimize", "L-BFGS-B", disp=False)
    spec = _registry.get("L-BFGS-B")
    assert f"maxcor : default {spec.defaults['maxcor']!r}" in body
    assert f"ftol : default {spec.defaults['ftol']!r}" in body
    body = numopt.show_options("minimize", "BFGS", disp=False)
    assert "norm : default inf" in body
    assert "eps : default 1.4901161193847656e-08" in body  # a NumPy scalar, printed plainly


def test_scipy_options_of_shared_methods_are_listed():
    # Every option scipy's own show_options documents for the methods both have is
    # listed by numopt (scipy's text is the independent reference).
    for method in ("BFGS", "CG", "L-BFGS-B", "Nelder-Mead"):
        ours = numopt.show_options("minimize", method, disp=False)
        theirs = so.show_options("minimize", method, disp=False)
        options = theirs.split("Options\n-------", 1)[1].split("\n\n\n", 1)[0]
        documented = {name for names in re.findall(r"^([\w, ]+) : ", options, re.MULTILINE)
                      for name in names.split(", ")}
        # scipy documents Nelder-Mead's bounds among its options; it is minimize's argument.
        documented.discard("bounds")
        ours_names = set(re.findall(r"^(\w+) : default", ours, re.MULTILINE))
        assert documented, method
        assert documented <= ours_names, (method, sorted(documented - ours_names))


def test_method_is_case_insensitive():
    assert (numopt.show_options("minimize", "nelder-mead", disp=False)
            == numopt.show_options("MINIMIZE", "Nelder-Mead", disp=False))


def test_solver_none_shows_minimize_under_a_heading():
    text = numopt.show_options(disp=False)
    assert text == "\n\n\n========\nminimize\n========\n" + numopt.show_options(
        "minimize", disp=False)


def test_disp_prints_and_returns_none(capsys):
    assert numopt.show_options("minimize", "CG") is None
    printed = capsys.readouterr().out
    assert printed == numopt.show_options("minimize", "CG", disp=False) + "\n"


@pytest.mark.parametrize("solver", ["root", "minimize_scalar", "linprog", "nonsense"])
def test_unknown_or_unimplemented_solver_raises(solver):
    with pytest.raises(ValueError, match=f"Unknown solver '{solver}'"):
        numopt.show_options(solver)


def test_scipy_solver_says_numopt_lacks_it():
    with pytest.raises(ValueError, match="numopt implements only 'minimize'"):
        numopt.show_options("root", "hybr")


@pytest.mark.parametrize("method", ["Powell", "trust-ncg", "nonsense"])
def test_unknown_method_raises_naming_the_methods(method):
    with pytest.raises(ValueError, match=f"Unknown method '{method}'.*BFGS.*L-BFGS-B"):
        numopt.show_options("minimize", method)


def test_method_without_solver_raises():
    with pytest.raises(ValueError, match="solver"):
        numopt.show_options(method="BFGS")


def test_exported_lazily():
    assert "show_options" in numopt.__all__
    assert "show_options" in dir(numopt)
    from numopt._show_options import show_options

    assert numopt.show_options is show_options


def test_options_that_work_are_not_called_ignored():
    # BFGS, CG and Nelder-Mead honour disp and return_all (as scipy); L-BFGS-B's disp and
    # every method's workers change nothing.
    for method in ("BFGS", "CG", "Nelder-Mead"):
        body = numopt.show_options("minimize", method, disp=False)
        for name in ("disp", "return_all"):
            meaning = body.split(f"\n{name} : ")[1].split("\n")[1]
            assert "no effect" not in meaning, (method, name)
    body = numopt.show_options("minimize", "L-BFGS-B", disp=False)
    assert "no effect" in body.split("\ndisp : ")[1].split("\n")[1]


# -- the tables of docs/minimize.md, generated from the same registry ----------------------

PAGE = Path(__file__).resolve().parent.parent / "docs" / "minimize.md"


def _tool():
    path = PAGE.parent.parent / "tools" / "gen_option_tables.py"
    spec = importlib.util.spec_from_file_location("gen_option_tables", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_tables_are_the_registrys():
    # tools/gen_option_tables.py rewrites them; this fails when someone forgot to run it.
    text = PAGE.read_text(encoding="utf-8")
    assert fill_tables(text) == text, "run: PYTHONPATH=. python tools/gen_option_tables.py"
    assert "<!-- registry: methods -->" in text


def test_docs_table_every_method_once():
    names = tabled_methods(PAGE.read_text(encoding="utf-8"))
    assert sorted(names) == sorted(spec.name for spec in _methods())
    assert len(set(names)) == len(names)


def test_option_table_row_per_option():
    for spec in _methods():
        rows = option_table(spec.name).splitlines()[2:]
        assert [re.match(r"\| `(\w+)` \|", row).group(1) for row in rows] == \
            [o.name for o in spec.options], spec.name
        for row, option in zip(rows, spec.options):
            cells = re.split(r"(?<!\\)\|", row)[1:-1]  # an escaped | stays in its cell
            assert len(cells) == 4, row
            assert cells[3].strip() == ("yes" if option.tol else ""), row
            assert cells[2].strip().replace("\\|", "|") == option.meaning, row


def test_methods_table_says_what_tol_sets():
    rows = methods_table().splitlines()[2:]
    for row, spec in zip(rows, _methods()):
        assert row.startswith(f'| `"{spec.name}"` |'), row
        assert f"| {', '.join(f'`{n}`' for n in spec.tol)} |" in row, row
    assert len(rows) == len(_methods())


def test_tool_rewrites_a_stale_page_and_check_fails_on_it(tmp_path, capsys):
    stale = PAGE.read_text(encoding="utf-8").replace("| `maxcor` | `10` |", "| `maxcor` | `7` |")
    page = tmp_path / "minimize.md"
    page.write_text(stale, encoding="utf-8")
    tool = _tool()
    assert tool.main(["--check", "--page", str(page)]) == 1
    assert page.read_text(encoding="utf-8") == stale  # --check writes nothing
    assert tool.main(["--page", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == PAGE.read_text(encoding="utf-8")
    assert tool.main(["--check", "--page", str(page)]) == 0
    capsys.readouterr()


def test_fill_tables_refuses_an_unknown_block():
    with pytest.raises(ValueError, match="unknown registry block 'optoins BFGS'"):
        fill_tables("<!-- registry: optoins BFGS -->\n<!-- registry: end -->\n")
    with pytest.raises(ValueError, match="Unknown method 'Powell'"):
        fill_tables("<!-- registry: options Powell -->\n<!-- registry: end -->\n")
