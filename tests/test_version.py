"""numopt's version has one source, and the command line reports it."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

import numopt
from numopt.__main__ import build_parser, main

ROOT = Path(__file__).resolve().parent.parent

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

# PEP 440's public version (the subset numopt uses: release, pre, post, dev).
_PEP440 = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def _version_file():
    text = (ROOT / "numopt" / "_version.py").read_text(encoding="utf-8")
    (version,) = re.findall(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    return version


def test_version_is_the_one_in_version_py():
    assert numopt.__version__ == _version_file()
    assert _PEP440.match(numopt.__version__), numopt.__version__


@pytest.mark.skipif(tomllib is None, reason="tomllib is Python 3.11's")
def test_pyproject_reads_the_version_from_version_py():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]  # no second copy to drift
    assert "version" in project["project"]["dynamic"]
    attr = project["tool"]["setuptools"]["dynamic"]["version"]["attr"]
    assert attr == "numopt._version.__version__"


def test_installed_metadata_is_built_from_version_py():
    # A built numopt (CI's `pip install .`) carries the version of the _version.py it ships.
    from importlib import metadata

    try:
        dist = metadata.distribution("numopt")
    except metadata.PackageNotFoundError:
        pytest.skip("numopt is not installed (imported from the checkout)")
    shipped = [f for f in dist.files or () if str(f).endswith("numopt/_version.py")]
    if not shipped:
        pytest.skip("an editable install, or one older than numopt/_version.py")
    text = Path(dist.locate_file(shipped[0])).read_text(encoding="utf-8")
    assert f'__version__ = "{dist.version}"' in text


def test_main_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"numopt {numopt.__version__}\n"


def test_python_dash_m_numopt_version():
    proc = subprocess.run([sys.executable, "-m", "numopt", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"numopt {numopt.__version__}\n"


def test_demo_help_states_the_default_it_runs(capsys):
    default = build_parser().parse_args(["demo"]).name
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    assert f"(default: {default})" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert f"run a demo (default: {default}," in capsys.readouterr().out
