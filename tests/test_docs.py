"""Run every ```python block of docs/*.md, each on its own, so the docs cannot rot.

A block is executed in a fresh namespace (nothing carries over from the block before
it) and passes when it raises nothing; the blocks check their own results with
``assert``. Blocks fenced as ```text, ```bash, etc. are not run.
"""

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"

# An opening fence of exactly ```python (optionally followed by spaces) at the start
# of a line, up to the next closing fence.
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def _python_blocks():
    blocks = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append(pytest.param(path, line, match.group(1), id=f"{path.name}:{line}"))
    return blocks


BLOCKS = _python_blocks()


def test_docs_have_python_examples():
    # Guards the extraction itself: a broken regex would otherwise "pass" by finding nothing.
    names = {param.values[0].name for param in BLOCKS}
    assert {"index.md", "optim.md"} <= names
    assert len(BLOCKS) >= 15


@pytest.mark.parametrize("path, line, source", BLOCKS)
def test_python_block_runs(path, line, source):
    # Offset the line numbers so a traceback points at the line in the .md file.
    code = compile("\n" * line + source, str(path), "exec")
    namespace = {"__name__": f"docs_{path.stem}_{line}"}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, namespace)


def _slug(heading):
    # GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_relative_links_resolve():
    anchors = {}
    for path in DOCS.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
        anchors[path.name] = {_slug(h) for h in re.findall(r"^#+\s+(.*)$", text, re.MULTILINE)}
    broken = []
    for path in DOCS.glob("*.md"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+://", target):
                continue
            file, _, anchor = target.partition("#")
            file = file or path.name
            if file not in anchors or (anchor and anchor not in anchors[file]):
                broken.append(f"{path.name}: {target}")
    assert not broken, broken
