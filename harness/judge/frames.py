"""The learner's lines: found in a stack, a traceback or a coroutine, always the same way.

A frame belongs to the learner when its code comes from the file under test (its
``co_filename`` is the path the loader imported it from). Everything else — asyncio,
aiohttp, the tests, the harness — is left out of what a learner is shown.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import itertools
import linecache
from collections.abc import Iterator
from pathlib import Path
from types import CodeType, FrameType, TracebackType

from harness.judge.report import Where


class LearnerFile:
    """The file under test: its real path (to match frames) and how the learner names it."""

    def __init__(self, path: str, shown_as: str) -> None:
        self.path = path
        self.shown_as = shown_as

    @property
    def name(self) -> str:
        return Path(self.path).name

    def __fspath__(self) -> str:  # usable wherever the tests want the file's path
        return self.path

    def __str__(self) -> str:
        return self.path

    def owns(self, code: CodeType) -> bool:
        return code.co_filename == self.path

    def where(self, code: CodeType, line: int | None) -> Where:
        return self.at(line or code.co_firstlineno, _qualname(code))

    def at(self, line: int, function: str | None = None) -> Where:
        """Line ``line``; ``function`` named as the file nests it (``OvenLease.__aexit__``)."""
        source = linecache.getline(self.path, line).strip() or None
        if function and "." not in function:
            function = _qualname_at(self.path, line, function) or function
        return Where(self.shown_as, line, function, source)

    # --- stacks --------------------------------------------------------------------
    def frames_of_stack(self, frame: FrameType | None) -> Iterator[FrameType]:
        """The learner's frames of a live stack, innermost first."""
        while frame is not None:
            if self.owns(frame.f_code):
                yield frame
            frame = frame.f_back

    def stack(self, frame: FrameType | None, limit: int = 3) -> tuple[Where, ...]:
        """The learner's frames of a live stack, outermost first (as a traceback reads)."""
        frames = list(itertools.islice(self.frames_of_stack(frame), limit))
        return tuple(self.where(f.f_code, f.f_lineno) for f in reversed(frames))

    # --- tracebacks -----------------------------------------------------------------
    def traceback(self, tb: TracebackType | None) -> tuple[Where, ...]:
        """The learner's frames of a traceback, outermost first, ending at the raising line.

        An exception object raised again (aiohttp raises one shared ClientConnectionError
        "Connection closed" each time a released response is read) keeps its earlier
        traceback after the new one: the learner's lines would repeat, test after test.
        The walk stops where they start over.
        """
        found: list[Where] = []
        while tb is not None:
            if self.owns(tb.tb_frame.f_code):
                where = self.where(tb.tb_frame.f_code, tb.tb_lineno)
                if where in found:
                    break
                found.append(where)
            tb = tb.tb_next
        return tuple(found)

    def called_after(self, tb: TracebackType | None) -> str | None:
        """The function the learner's innermost frame was calling when the error rose.

        ``gather`` for ``asyncio.gather([...])``: the first frame after the learner's last.
        """
        last = None
        while tb is not None:
            if self.owns(tb.tb_frame.f_code):
                last = tb
            tb = tb.tb_next
        if last is None or last.tb_next is None:
            return None
        return last.tb_next.tb_frame.f_code.co_name

    def awaiting_now(self) -> tuple[Where, ...]:
        """Where a task of the running loop awaits in this file right now (the first such
        task's chain, outermost first); () outside a loop or when none does."""
        try:
            tasks = asyncio.all_tasks()
        except RuntimeError:
            return ()
        current = asyncio.current_task()
        for task in tasks:
            if task is current:
                continue  # it is running this very code: nothing of it is suspended
            chain = tuple(self.awaiting(task.get_coro()))
            if chain:
                return chain
        return ()

    # --- coroutines ---------------------------------------------------------------------
    def awaiting(self, awaitable: object) -> Iterator[Where]:
        """Where a suspended coroutine (and what it awaits, in turn) waits in the learner's file.

        ``Task.get_stack()`` shows only the task's outer coroutine, so the chain is
        followed through ``cr_await``.
        """
        while awaitable is not None:
            if getattr(awaitable, "cr_running", False) or getattr(awaitable, "gi_running", False):
                return  # running, not suspended: CPython 3.12.0-3.12.1 crash on its cr_await
            frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
            if frame is not None and self.owns(frame.f_code):
                yield self.where(frame.f_code, frame.f_lineno)
            awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)


def _qualname(code: CodeType) -> str:
    name = getattr(code, "co_qualname", code.co_name)
    return name.replace(".<locals>", "")


def _qualname_at(path: str, line: int, name: str) -> str | None:
    """The qualified name of the function ``name`` whose body holds ``line``, from the source."""
    for qualname, first, last in _functions(path):
        if qualname.rsplit(".", 1)[-1] == name and first <= line <= last:
            return qualname
    return None


@functools.cache
def _functions_of(path: str, _version: int) -> tuple[tuple[str, int, int], ...]:
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ()
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                qualname = f"{prefix}{child.name}"
                found.append((qualname, child.lineno, child.end_lineno or child.lineno))
                visit(child, qualname + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return tuple(found)


def _functions(path: str) -> tuple[tuple[str, int, int], ...]:
    try:
        version = Path(path).stat().st_mtime_ns
    except OSError:
        return ()
    return _functions_of(path, version)
