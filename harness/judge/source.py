"""What the learner's file says, read as code: so a message names only what they wrote."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from harness.judge.frames import LearnerFile
from harness.judge.report import Where


def wrote(kata: object, name: str) -> bool:
    """Whether the learner's file calls or names ``name`` (``gather``, ``asyncio.gather``).

    ``kata`` is the test's ``kata`` fixture (or a path). A dotted name matches its last
    part too, so ``wrote(kata, "asyncio.gather")`` holds for ``from asyncio import gather``.
    """
    path = _learner(kata).path
    return name.rsplit(".", 1)[-1] in _names(path, Path(path).stat().st_mtime_ns)


@dataclass(frozen=True)
class Handler:
    """One `except` clause of the learner's file: where it is and what it names."""

    where: Where  # the `except` line, in its function
    names: frozenset[str]  # the classes it names, by their last part; none for a bare `except:`
    written: str  # as written: "aiohttp.ClientResponseError"; "" for a bare `except:`
    reraises: bool = False  # its body raises what it caught again (`raise`, `raise error`)

    def catches(self, error: type[BaseException] | BaseException) -> bool:
        """Whether this clause catches ``error`` (a class, or an exception), by class name."""
        kind = error if isinstance(error, type) else type(error)
        return not self.names or bool(self.names & {k.__name__ for k in kind.__mro__})


def excepts(kata: object) -> tuple[Handler, ...]:
    """The `except` clauses in the learner's functions, in line order.

    So a message can point at the clause that caught too much (``except:`` around a
    timeout swallows the caller's cancellation) or too little (an escaped error got past
    ``except aiohttp.ClientResponseError``): ``[h for h in excepts(kata) if h.catches(e)]``.
    A clause that cleans up and re-raises (``except BaseException: rollback; raise``) did
    not swallow anything: ``h.reraises`` tells it apart.
    """
    learner = _learner(kata)
    found = _handlers(learner.path, Path(learner.path).stat().st_mtime_ns)
    return tuple(
        Handler(learner.at(line, function), names, written, reraises)
        for line, function, names, written, reraises in found
    )


def _learner(kata: object) -> LearnerFile:
    """The learner's file from the ``kata`` fixture, the ``kata_file`` fixture or a path."""
    learner = getattr(kata, "_learner", kata)
    if isinstance(learner, LearnerFile):
        return learner
    path = str(learner)
    return LearnerFile(path, Path(path).name)


@cache
def _handlers(
    path: str, _version: int
) -> tuple[tuple[int, str, frozenset[str], str, bool], ...]:
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ()
    found: dict[int, tuple[int, str, frozenset[str], str, bool]] = {}
    # ast.walk goes outer to inner: a clause in a nested function ends up under its own name.
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ExceptHandler):
                kind = node.type
                listed = kind.elts if isinstance(kind, ast.Tuple) else [kind] if kind else []
                names = frozenset(
                    n.attr if isinstance(n, ast.Attribute) else n.id
                    for n in listed
                    if isinstance(n, ast.Attribute | ast.Name)
                )
                written = ast.unparse(kind) if kind is not None else ""
                found[node.lineno] = (
                    node.lineno, function.name, names, written, _reraises(node)
                )
    return tuple(found[line] for line in sorted(found))


def _reraises(clause: ast.ExceptHandler) -> bool:
    """Whether the clause's own body (not a function defined in it) raises what it caught."""
    pending: list[ast.AST] = list(clause.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Raise) and (
            node.exc is None  # `raise`
            or (isinstance(node.exc, ast.Name) and node.exc.id == clause.name)  # `raise error`
        ):
            return True
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))
    return False


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
