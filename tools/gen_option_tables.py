"""Write the method and option tables of docs/minimize.md from the method registry.

Each block of the page between ``<!-- registry: WHAT -->`` and ``<!-- registry: end -->``
is replaced by the table WHAT names (see :func:`numopt._show_options.fill_tables`): the
page's prose stays as written, the tables are the registry's. Run it after changing a
method's options::

    PYTHONPATH=. python tools/gen_option_tables.py           # rewrite the tables
    PYTHONPATH=. python tools/gen_option_tables.py --check   # exit 1 if they are stale

tests/test_show_options.py fails when the page and the registry disagree.
"""
import argparse
import sys
from pathlib import Path

from numopt._show_options import fill_tables

PAGE = Path(__file__).resolve().parent.parent / "docs" / "minimize.md"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only check: exit with status 1 if the tables are stale")
    parser.add_argument("--page", type=Path, default=PAGE, help="the page (docs/minimize.md)")
    ns = parser.parse_args(argv)
    text = ns.page.read_text(encoding="utf-8")
    filled = fill_tables(text)
    if filled == text:
        print(f"{ns.page.name}: the tables are the registry's")
        return 0
    if ns.check:
        print(f"{ns.page.name}: the tables differ from the registry; run "
              "tools/gen_option_tables.py", file=sys.stderr)
        return 1
    ns.page.write_text(filled, encoding="utf-8")
    print(f"{ns.page.name}: tables rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
