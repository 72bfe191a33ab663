"""The README's kata table, generated from the catalog.

Regenerate with ``python -m harness.readme``; a test fails when the table drifts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness import catalog as catalog_module
from harness.catalog import Catalog

START = "<!-- kata table: generated from katas/katas.toml by `python -m harness.readme` -->"
END = "<!-- end of kata table -->"


def render_table(catalog: Catalog) -> str:
    rows = ["| # | kata | level | you learn | start with |", "|---|---|---|---|---|"]
    for kata in catalog:
        concepts = "; ".join(kata.concepts)
        rows.append(
            f"| {kata.number:02d} | [{kata.title}](katas/{kata.name}/README.md) | "
            f"{kata.level} | {concepts} | `pytest katas/{kata.number:02d}` |"
        )
    return "\n".join(rows)


def with_table(readme: str, catalog: Catalog) -> str:
    """``readme`` with the text between the markers replaced by the current table."""
    if START not in readme or END not in readme:
        raise ValueError(f"README.md needs the markers {START!r} and {END!r}")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{render_table(catalog)}\n{END}{tail}"


def main(root: Path = catalog_module.ROOT) -> int:
    path = root / "README.md"
    text = path.read_text(encoding="utf-8")
    updated = with_table(text, catalog_module.load(root))
    if updated != text:
        path.write_text(updated, encoding="utf-8")
        print(f"updated the kata table in {path}")
    else:
        print("the kata table is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
