"""Loads the file under test as its own module and reports what is missing plainly.

The module gets the dotted name of its path under the repository root
(``katas.09_cpu_bound.kata``, ``solutions.09_cpu_bound.wrong_lambda``), registered in
``sys.modules``: pickling looks functions and classes up by that name, so a process
pool's workers — forked, spawned or from a forkserver — can import the learner's own
top-level functions. A file outside the root gets a unique name instead.

A learner's ``async def`` that *returns* an awaitable (``return asyncio.gather(...)``,
``return fetch(...)``) forgot an ``await``: the functions the tests call are checked
for that as they return.
"""

from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import functools
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.judge.explain import explain
from harness.judge.frames import LearnerFile
from harness.judge.report import Diagnosis, Mistake

MISSING = "{file} has no function `{name}` — did you rename it?"
DEFINES = "the tests call `{name}`; {file} defines: {names}"
SYNTAX = "{file} has a syntax error on line {line}: {message}"
SYNTAX_FIX = "Python cannot load the file until this line is fixed."
AWAIT_OUTSIDE_FIX = "make the enclosing function an `async def` (and await it where it is called)."
LOAD_FAILED = "{file} failed while loading: {what}"
RETURNED_AWAITABLE = "`{name}` returned {kind} instead of its result: an `await` is missing."
RETURNED_AWAITABLE_FIX = "write `return await ...` so the caller gets the value."


class KataModule:
    """The learner's module; a missing name fails with a message, not AttributeError."""

    def __init__(self, module: ModuleType, learner: LearnerFile):
        self.__dict__.update(_module=module, _learner=learner, _checked={})

    def __getattr__(self, name: str) -> object:
        __tracebackhide__ = True
        try:
            value = getattr(self._module, name)
        except AttributeError:
            public = sorted(n for n in vars(self._module) if not n.startswith("_"))
            file = self._learner.shown_as
            raise Mistake(
                Diagnosis(
                    MISSING.format(file=file, name=name),
                    evidence=DEFINES.format(name=name, file=file, names=", ".join(public) or "nothing"),
                    kind="load",
                )
            ) from None
        if name not in self._checked:
            self._checked[name] = _checked_returns(value, self._module, self._learner)
        return self._checked[name]

    def __repr__(self) -> str:
        return f"<kata module {self._learner.shown_as}>"


def module_name(path: Path, root: Path, fallback: str) -> str:
    """``katas.09_cpu_bound.kata`` for a file under ``root`` when ``root`` is importable."""
    try:
        parts = path.resolve().with_suffix("").relative_to(root.resolve()).parts
    except ValueError:
        return fallback
    importable = {Path(entry or ".").resolve() for entry in sys.path}
    if root.resolve() not in importable or not all(p.replace("_", "a").isalnum() for p in parts):
        return fallback
    name = ".".join(parts)
    return fallback if name in sys.modules else name  # never replace a module in use


def load(path: Path, name: str, learner: LearnerFile) -> KataModule:
    """Import ``path`` as module ``name``; a broken file fails with the learner's line."""
    __tracebackhide__ = True
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[name]
        raise Mistake(_syntax(error, learner)) from None
    except BaseException as error:  # noqa: BLE001 - SystemExit, KeyboardInterrupt too
        sys.modules.pop(name, None)
        found = explain(error, learner, module=module)
        raise Mistake(
            Diagnosis(
                LOAD_FAILED.format(file=learner.shown_as, what=found.what),
                fix=found.fix,
                where=found.where,
                kind="load",
            )
        ) from None
    return KataModule(module, learner)


def _syntax(error: SyntaxError, learner: LearnerFile) -> Diagnosis:
    text = (error.text or "").rstrip("\n")
    caret = " " * max((error.offset or 1) - 1, 0) + "^"
    fix = AWAIT_OUTSIDE_FIX if "outside async function" in (error.msg or "") else SYNTAX_FIX
    return Diagnosis(
        SYNTAX.format(file=learner.shown_as, line=error.lineno, message=error.msg),
        evidence=f"    {text.strip()}\n    {caret[len(text) - len(text.lstrip()):]}",
        fix=fix,
        kind="load",
    )


# --- a forgotten await on a return ----------------------------------------------------------
def _checked_returns(value: Any, module: ModuleType, learner: LearnerFile) -> Any:
    """``value`` itself, or, for the module's own ``async def``, one that checks its result.

    Only coroutine functions are wrapped: plain functions stay themselves, so they can
    still be pickled and sent to a process pool.
    """
    if not (inspect.iscoroutinefunction(value) and getattr(value, "__module__", None) == module.__name__):
        return value
    function: Callable[..., Any] = value

    @functools.wraps(function)
    async def checked(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        result = await function(*args, **kwargs)
        if inspect.isawaitable(result) and _forgotten(result, function):
            raise Mistake(_returned_awaitable(function, result, learner))
        return result

    return checked


def _forgotten(result: object, function: Callable[..., Any]) -> bool:
    """A coroutine, gather's future, or a Task or Future the function does not say (in its
    return annotation) it hands back on purpose: an `await` is missing."""
    if inspect.iscoroutine(result) or type(result).__name__ == "_GatheringFuture":
        return True
    if isinstance(result, (asyncio.Future, concurrent.futures.Future)):
        annotation = str(inspect.signature(function).return_annotation)
        return not any(word in annotation for word in ("Task", "Future", "Awaitable"))
    return False


def _returned_awaitable(function: Callable[..., Any], result: object, learner: LearnerFile) -> Diagnosis:
    if inspect.iscoroutine(result):
        kind = f"a coroutine ({result.__qualname__}())"
        result.close()  # it will never run; closing it keeps a second report away
    elif type(result).__name__ == "_GatheringFuture":
        kind = "the future of asyncio.gather"
    elif isinstance(result, asyncio.Task):
        kind = f"a Task ({result.get_coro().__qualname__}())"
    else:
        kind = "a Future (from run_in_executor, create_future or the like)"
    code = function.__code__
    return Diagnosis(
        RETURNED_AWAITABLE.format(name=function.__qualname__, kind=kind),
        fix=RETURNED_AWAITABLE_FIX,
        where=(learner.where(code, _return_line(learner.path, code.co_firstlineno)),),
    )


def _return_line(path: str, first_line: int) -> int:
    """The line of the function's `return` without `await`, else its `def` line."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return first_line
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and first_line in (
            node.lineno,
            *(d.lineno for d in node.decorator_list),
        ):
            plain = [
                r.lineno
                for r in ast.walk(node)
                if isinstance(r, ast.Return) and r.value is not None and not isinstance(r.value, ast.Await)
            ]
            return plain[0] if len(plain) == 1 else first_line
    return first_line
