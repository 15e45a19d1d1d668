"""Run every ```python block of README.md and docs/*.md as a script, so the docs cannot rot.

Each block is written to a file of its own and run as ``python block.py`` in a fresh
process, with a fresh temporary directory as its working directory: nothing carries over
from the block before it, and a block that only works under ``exec`` (a process pool
without an ``if __name__ == "__main__":`` guard, a name defined by an earlier block)
fails. A block passes when the script exits with status 0; the blocks check their own
results with ``assert``. Blocks fenced as ```text, ```bash, etc. are not run.

numopt is imported from this checkout (it is put first on ``PYTHONPATH``), so the test
checks the code next to the docs, installed or not.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

# An opening fence of exactly ```python (optionally followed by spaces) at the start
# of a line, up to the next closing fence.
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# A block compiles numba code and may run a process pool: generous, but finite.
_TIMEOUT = 600


def _python_blocks():
    blocks = []
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            name = path.relative_to(ROOT).as_posix()
            blocks.append(pytest.param(path, line, match.group(1), id=f"{name}:{line}"))
    return blocks


BLOCKS = _python_blocks()


def test_docs_have_python_examples():
    # Guards the extraction itself: a broken regex would otherwise "pass" by finding nothing.
    names = {param.values[0].name for param in BLOCKS}
    assert {"README.md", "index.md", "optim.md", "minimize.md", "batch.md"} <= names
    assert len(BLOCKS) >= 15


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.mark.parametrize("path, line, source", BLOCKS)
def test_python_block_runs_as_a_script(path, line, source, tmp_path):
    # Blank lines in front of the block, so that a traceback's line numbers are those of
    # the .md file.
    script = tmp_path / f"{path.stem}_{line}.py"
    script.write_text("\n" * line + source, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_environment(),
                          capture_output=True, text=True, timeout=_TIMEOUT)
    assert proc.returncode == 0, (
        f"the block at {path.relative_to(ROOT)}:{line} failed as a script "
        f"(exit status {proc.returncode}):\n{proc.stderr[-4000:]}")


def test_a_block_runs_in_a_process_of_its_own(tmp_path):
    # The runner itself: a block sees no name from the test process, and runs as __main__.
    script = tmp_path / "probe.py"
    script.write_text("assert __name__ == '__main__'\nassert 'pytest' not in globals()\n"
                      "import sys; assert 'pytest' not in sys.modules\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_environment(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def _slug(heading):
    # GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_relative_links_resolve():
    def without_code(path):
        text = path.read_text(encoding="utf-8")
        return re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)

    anchors = {}
    for path in PAGES:
        headings = re.findall(r"^#+\s+(.*)$", without_code(path), re.MULTILINE)
        anchors[path.resolve()] = {_slug(h) for h in headings}
    broken = []
    for path in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", without_code(path)):
            if re.match(r"[a-z]+://", target):
                continue
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path.resolve()
            if not resolved.exists():
                broken.append(f"{path.name}: {target}")
            elif anchor and anchor not in anchors.get(resolved, set()):
                broken.append(f"{path.name}: {target}")
    assert not broken, broken


def test_index_lists_every_page():
    # docs/index.md's contents name every other page of docs/.
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([\w-]+\.md)(?:#[^)]*)?\)", index))
    pages = {path.name for path in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= linked, sorted(pages - linked)


# Paths that belong to the machine a figure was measured on, not to the project.
_MACHINE_PATH = re.compile(r"(?<![\w.])(/work/|/tmp/|/root/|/home/|/Users/|[A-Z]:\\\\)")


def _project_files():
    """The project's own text files: sources, docs, build and CI files (not virtual
    environments, caches or git's own files)."""
    suffixes = {".py", ".md", ".toml", ".cfg", ".txt", ".sh", ".yml", ".yaml"}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d == ".ci" or not (d.startswith(".") or d.startswith("venv")
                                                          or d in ("__pycache__", "build", "dist")
                                                          or d.endswith(".egg-info"))]
        for name in files:
            path = Path(folder) / name
            if path.suffix in suffixes or path.relative_to(ROOT).as_posix() == ".ci/run":
                yield path


def test_no_machine_paths_in_the_project():
    pages = [p for p in _project_files() if p != Path(__file__).resolve()]
    assert ROOT / "README.md" in pages and ROOT / ".ci" / "run" in pages
    found = []
    for path in pages:
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _MACHINE_PATH.search(text):
                found.append(f"{path.relative_to(ROOT)}:{number}: {text.strip()}")
    assert not found, "\n".join(found)
