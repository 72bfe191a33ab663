"""Turns an exception into a :class:`Diagnosis` in the learner's terms.

- a :class:`Mistake` carries its diagnosis; ``pytest.fail`` and ``assert`` messages are
  kept without pytest's introspection;
- ``NotImplementedError`` from the learner's file is a stub still to fill in;
- any other error shows the learner's frames only, ending at their line, and, for the
  usual asyncio slips, what went wrong and what to write instead. Each rule reads what
  the learner wrote (the function they were calling, their source line), so a message
  names ``gather`` only when they called it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest

from harness.judge.frames import LearnerFile
from harness.judge.report import Diagnosis, Mistake, Where

AWAITABLE_TYPES = r"coroutine|_asyncio\.Task|Task|_asyncio\.Future|Future|_GatheringFuture"
# Objects that are iterated with `async for`; the learner's own classes with __aiter__
# are added per file (see Context.async_iterables).
ASYNC_ITERABLE_TYPES = {
    "async_generator",
    "Cursor",
    "StreamReader",
    "StreamResponse",
    # aiohttp's response.content.iter_chunked(), iter_any(), iter_chunks()
    "AsyncStreamIterator",
    "ChunkTupleAsyncStreamIterator",
}


@dataclass(frozen=True)
class Context:
    """What a rule may look at: the error, the learner's frames and what they called."""

    error: BaseException
    learner: LearnerFile
    where: tuple[Where, ...]
    called: str | None  # the function the learner's line was calling when it failed
    module: ModuleType | None

    @property
    def message(self) -> str:
        return str(self.error)

    @property
    def line(self) -> str:
        """The learner's source line where it failed ('' if not in their file)."""
        return (self.where[-1].source or "") if self.where else ""

    def async_iterables(self) -> set[str]:
        names = set(ASYNC_ITERABLE_TYPES)
        for name, value in vars(self.module or ModuleType("none")).items():
            if isinstance(value, type) and hasattr(value, "__aiter__"):
                names.add(name)
        return names


Rule = Callable[[Context], "tuple[str, str] | None"]
RULES: list[Rule] = []


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


# --- the rules: (what went wrong, what to try) ------------------------------------------
@rule
def gather_given_a_list(c: Context) -> tuple[str, str] | None:
    if c.called == "gather" and isinstance(c.error, TypeError) and (
        "unhashable type" in c.message or "awaitable is required" in c.message
    ):
        return (
            "asyncio.gather was given a list: it takes the awaitables as separate arguments.",
            "unpack the list with a star: `await asyncio.gather(*coroutines)`.",
        )
    return None


@rule
def wait_given_coroutines(c: Context) -> tuple[str, str] | None:
    if "Passing coroutines is forbidden" in c.message:
        return (
            "asyncio.wait was given coroutines: it only takes tasks and futures.",
            "wrap each one in asyncio.create_task(...) first (or use asyncio.gather or a TaskGroup).",
        )
    if c.called == "wait" and isinstance(c.error, TypeError) and "positional argument" in c.message:
        return (
            "asyncio.wait was given the tasks as separate arguments: it takes one collection.",
            "pass a list or set: `done, pending = await asyncio.wait(tasks)`.",
        )
    return None


@rule
def result_before_done(c: Context) -> tuple[str, str] | None:
    if type(c.error).__name__ == "InvalidStateError" and "is not set" in c.message:
        return (
            "`.result()` was called on a task or future that has not finished yet: it does not wait.",
            "await it instead: `value = await task` (or `await future`).",
        )
    return None


@rule
def awaitable_used_as_a_value(c: Context) -> tuple[str, str] | None:
    if not isinstance(c.error, (TypeError, AttributeError)):
        return None
    found = re.search(rf"'({AWAITABLE_TYPES})'", c.message)
    if found is None and isinstance(c.error, AttributeError) and inspect.isawaitable(getattr(c.error, "obj", None)):
        # A library's own awaitable (aiosqlite's db.execute(...), aiohttp's session.get(...)).
        _close(c.error.obj)
        return (
            f"an awaitable {type(c.error.obj).__name__} object was used as a value ({c.message}): "
            "it holds no result until it is awaited.",
            "put `await` in front of the call that made it, inside an async def.",
        )
    if found is None or "await" in c.message:
        return None
    kind = {"coroutine": "a coroutine"}.get(found[1], f"a {found[1].split('.')[-1].lstrip('_')}")
    return (
        f"{kind} was used as a value ({c.message}): it holds no result until it is awaited.",
        "put `await` in front of the call that made it, inside an async def.",
    )


def _close(awaitable: object) -> None:
    """It will never run now: closing what it would run keeps a late "never awaited"
    warning (from its coroutine, found after the test) out of the report."""
    try:
        awaiter = awaitable.__await__()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - an awaitable of the learner's own making
        return
    close = getattr(awaiter, "close", None)
    if callable(close):
        close()


@rule
def sync_with_on_an_async_context_manager(c: Context) -> tuple[str, str] | None:
    found = re.search(r"'(\w+)' object does not support the (asynchronous )?context manager protocol", c.message)
    if found is None:
        return None
    kind, asynchronous = found[1], bool(found[2])
    if asynchronous and kind in ("async_generator", "generator"):
        return (
            f"`async with` was used on a plain {kind.replace('_', ' ')}: a function that yields is not a context manager by itself.",
            "decorate the function with @contextlib.asynccontextmanager (and `yield` once, in try/finally).",
        )
    if asynchronous:
        return (
            f"`async with` was used on a {kind} object, which has no __aenter__/__aexit__.",
            "give the class `async def __aenter__` and `async def __aexit__`, or use @contextlib.asynccontextmanager.",
        )
    return (
        f"`with` was used on a {kind} object, which needs `async with`.",
        "write `async with ...:` (inside an async def).",
    )


@rule
def sync_for_on_an_async_iterable(c: Context) -> tuple[str, str] | None:
    found = re.search(r"'(\w+)' object is not iterable", c.message)
    if found is None or found[1] not in c.async_iterables():
        return None
    return (
        f"`for` was used on a {found[1].replace('_', ' ')} object, which is iterated asynchronously.",
        "write `async for item in ...:` (inside an async def).",
    )


@rule
def await_on_a_plain_value(c: Context) -> tuple[str, str] | None:
    found = re.search(r"object (\w+) can't be used in 'await' expression", c.message)
    if found is None:
        return None
    if "time.sleep" in c.line:
        fix = "time.sleep is not a coroutine: write `await asyncio.sleep(...)`."
    else:
        fix = "only coroutines, tasks and futures can be awaited: is the function you called an `async def`?"
    return (f"`await` was used on {found[1]}, which is not awaitable.", fix)


@rule
def asyncio_run_inside_a_loop(c: Context) -> tuple[str, str] | None:
    if "cannot be called from a running event loop" in c.message:
        return (
            "asyncio.run(...) was called while an event loop is already running: your code is already inside a coroutine.",
            "await the coroutine instead (`result = await serve(...)`); asyncio.run is for the one plain-function entry point.",
        )
    return None


@rule
def no_loop_here(c: Context) -> tuple[str, str] | None:
    if "There is no current event loop" in c.message:
        return (
            "asyncio.get_event_loop() was called where no event loop runs.",  # deprecated name on purpose
            "from a plain function, run your coroutine with asyncio.run(main()); inside a coroutine, use asyncio.get_running_loop().",
        )
    if c.message == "no running event loop":
        return (
            f"{c.called or 'an asyncio call'}() needs a running event loop, and none runs here: this is plain (not async) code.",
            "call it from inside an async def, or start the loop with asyncio.run(main()).",
        )
    return None


@rule
def loop_touched_from_another_thread(c: Context) -> tuple[str, str] | None:
    if "Non-thread-safe operation invoked on an event loop other than the current one" in c.message:
        return (
            "the event loop was called from another thread: its methods are not thread-safe.",
            "from a thread, use loop.call_soon_threadsafe(...) or asyncio.run_coroutine_threadsafe(...).",
        )
    return None


@rule
def ends_the_process(c: Context) -> tuple[str, str] | None:
    error = c.error
    if isinstance(error, SystemExit):
        return (
            f"your code called sys.exit({error.code!r}) (SystemExit): it would end the whole test run.",
            "return the result (or raise an ordinary exception); a kata's functions never end the process.",
        )
    if isinstance(error, KeyboardInterrupt):
        return (
            "your code raised KeyboardInterrupt: that is what Ctrl-C raises, and it would stop the whole test run.",
            "raise an ordinary exception (ValueError, RuntimeError, ...) to report a problem.",
        )
    if isinstance(error, GeneratorExit):
        return (
            "your code raised GeneratorExit outside a generator that is being closed.",
            "raise an ordinary exception; GeneratorExit belongs to generator.close().",
        )
    if isinstance(error, RecursionError):
        return (
            f"the recursion went too deep ({error}).",
            "look for a function that calls itself without an end, or a recursion limit your code lowered.",
        )
    return None


# --- the entry point -----------------------------------------------------------------
def explain(
    error: BaseException,
    learner: LearnerFile,
    *,
    module: ModuleType | None = None,
    tests: LearnerFile | None = None,
) -> Diagnosis:
    """The diagnosis of ``error``, raised while a kata test ran the learner's code."""
    if isinstance(error, Mistake):
        return error.diagnosis
    if type(error).__name__ == "HangStop":  # the timer's own stop, explained by the timer
        return Diagnosis("this test was stopped: its time was up.", kind="timeout")
    if type(error).__name__ == "LearnerExit":
        return Diagnosis(
            f"your code called os._exit({error.code}): it would end the whole test run on the spot.",
            fix="return the result (or raise an exception); a kata's functions never end the process.",
            kind="error",
        )
    if isinstance(error, pytest.fail.Exception):
        return Diagnosis(str(error.msg))
    if isinstance(error, BaseExceptionGroup):
        return _group(error, learner, module, tests)
    tb = error.__traceback__
    where = learner.traceback(tb)
    if isinstance(error, AssertionError) and not where:
        return Diagnosis(without_introspection(str(error)))
    if isinstance(error, NotImplementedError) and where:
        return stub(where[-1])
    context = Context(error, learner, where, learner.called_after(tb), module)
    for check in RULES:
        found = check(context)
        if found is not None:
            what, fix = found
            return Diagnosis(what, fix=fix or None, where=where, kind="error")
    summary = f"{type(error).__name__}: {error}".rstrip(": ")
    if where:
        return Diagnosis(f"your code raised {summary}", where=where, kind="error")
    test_where = tests.traceback(tb)[-1:] if tests is not None else ()
    return Diagnosis(f"the test stopped with {summary}", where=test_where, kind="error")


def _group(
    group: BaseExceptionGroup, learner: LearnerFile, module: ModuleType | None, tests: LearnerFile | None
) -> Diagnosis:
    """An ExceptionGroup (a TaskGroup's): explained by its first error, with that error's
    own traceback and rules — whether a task raised it or the block itself did."""
    leaves = _leaves(group)
    found = explain(leaves[0], learner, module=module, tests=tests)
    if len(leaves) > 1:
        found = found.with_also(
            f"{len(leaves) - 1} more error(s) came out of the same {type(group).__name__}: "
            + ", ".join(f"{type(leaf).__name__}: {leaf}" for leaf in leaves[1:3])
        )
    return found


def stub(place: Where) -> Diagnosis:
    return Diagnosis(
        f"`{place.function}` in {place.file} is still a stub (line {place.line}).",
        fix="replace `raise NotImplementedError` with your code.",
        where=(place,),
    )


def without_introspection(message: str) -> str:
    """An assert's own message, without the ``assert x == y / where ...`` pytest adds."""
    lines = message.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("assert ") and index > 0:
            return "\n".join(lines[:index]).rstrip()
    if lines and lines[0].startswith("assert "):
        return f"a check in the test failed: {lines[0]}"
    return message


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    found: list[BaseException] = []
    for inner in group.exceptions:
        found += _leaves(inner) if isinstance(inner, BaseExceptionGroup) else [inner]
    return found
