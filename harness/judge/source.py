"""What the learner's file says, read as code: so a message names only what they wrote."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path


def wrote(kata: object, name: str) -> bool:
    """Whether the learner's file calls or names ``name`` (``gather``, ``asyncio.gather``).

    ``kata`` is the test's ``kata`` fixture (or a path). A dotted name matches its last
    part too, so ``wrote(kata, "asyncio.gather")`` holds for ``from asyncio import gather``.
    """
    path = getattr(getattr(kata, "_learner", None), "path", None) or str(kata)
    return name.rsplit(".", 1)[-1] in _names(path, Path(path).stat().st_mtime_ns)


@cache
def _names(path: str, _version: int) -> frozenset[str]:
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.add(node.name.rsplit(".", 1)[-1])
    return frozenset(found)
