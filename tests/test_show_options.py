"""numopt.show_options: scipy's semantics, generated from the method registry."""
import re

import pytest
import scipy.optimize as so

import numopt
from numopt._minimize import _registry


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
    # A new option in the registry without a meaning shows "(not described yet)": the
    # descriptions in numopt/_show_options.py must follow the registry.
    for spec in _methods():
        body = numopt.show_options("minimize", spec.name, disp=False)
        assert "(not described yet)" not in body, spec.name


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
