"""Blocking calls on the event loop, seen by blockbuster and scoped to the learner's file.

This is the one adapter over blockbuster, and it uses its public API only:
``BlockBuster(scanned_modules=[module])`` scopes the checks to the learner's module,
and each wrapped function's ``can_block_predicate`` (a public attribute) is wrapped so
that a blocking call is *recorded* with the learner's line when it happens — even when
the learner's code then swallows the ``BlockingError`` (say with
``gather(return_exceptions=True)``).

Two things are not blocking the loop in a way a learner should be told about:
- writes made by logging handlers (the learner's ``log.warning(...)``: the harness's
  capture is what writes to a file, not their code);
- leaving a ``with ThreadPoolExecutor()`` / ``ProcessPoolExecutor()`` block once the work
  is done: joining workers that are about to exit. Waiting on unfinished work still is.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from blockbuster import BlockBuster, BlockingError

from harness.judge.frames import LearnerFile
from harness.judge.report import Diagnosis, Where

__all__ = ["BlockingCall", "BlockingError", "BlockingGuard"]

# How long leaving an executor's `with` block may wait for workers that have finished
# their jobs and are exiting. A job still running takes longer and is reported.
EXECUTOR_EXIT_GRACE = 0.25
EXECUTOR_SHUTDOWN = ("concurrent/futures/thread.py", "concurrent/futures/process.py")
LOGGING = ("logging/__init__.py", {"emit", "flush", "handle", "close"})
WRITES = ("io.TextIOWrapper.write", "io.BufferedWriter.write", "io.BufferedRandom.write")

# Where subprocess waits for a process: to start it (Popen), or for its output and end
# (communicate, wait, run). Which of them blockbuster sees first depends on the Python
# version (3.11: the start's pipe read; 3.13: the output's), so all are named as one.
SUBPROCESS_WAITS = {
    "__init__", "_execute_child", "communicate", "_communicate", "wait", "_wait",
    "run", "call", "check_call", "check_output",
}

EXECUTOR_EXIT = "leaving an executor's `with` block while its jobs still run (shutdown waits for them)"
FIXES = {
    EXECUTOR_EXIT: (
        "await every job before the block ends — `await loop.run_in_executor(pool, ...)` or "
        "`await asyncio.wrap_future(pool.submit(...))` — or use asyncio.to_thread(...)."
    ),
    "time.sleep": "await asyncio.sleep(...) instead: it lets other tasks run while it waits.",
    "lock.acquire": (
        "it waits for another thread (future.result(), thread.join(), Event.wait(), a "
        "threading.Lock): let the loop wait instead — await asyncio.wrap_future(...), "
        "asyncio.to_thread(...), or an asyncio primitive (asyncio.Lock, asyncio.Event)."
    ),
    "subprocess.Popen": (
        "starting a process waits for it to start (and run() for it to end): use "
        "`await asyncio.create_subprocess_exec(...)`."
    ),
    "builtins.input": "input() waits for the keyboard: read input before the loop starts, or await asyncio.to_thread(input).",
}
FIX_BY_PREFIX = {
    "sqlite3.": (
        "use aiosqlite (`async with aiosqlite.connect(path) as db: await db.execute(...)`), "
        "which runs SQLite off the loop."
    ),
    "socket.": "use an async client (aiohttp, asyncio.open_connection) instead of a blocking one.",
    "ssl.": "use an async client (aiohttp, asyncio.open_connection) instead of a blocking one.",
}
FIX_OTHER = "await asyncio.to_thread(...) (or use an async library) so the call runs off the loop."


# A kata's own advice, (prefix, fix): kata 08's lesson is a thread for a blocking client
# it cannot replace, so "use an async client" would mislead there. Set by a kata test
# module with ``pytestmark = pytest.mark.blocking_fix("socket.", "...")``.
Overrides = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class BlockingCall:
    function: str
    where: tuple[Where, ...]
    overrides: Overrides = ()

    def diagnose(self) -> Diagnosis:
        return Diagnosis(
            f"the event loop was blocked by {self.function}: while it runs, no other task "
            "can make progress.",
            fix=fix_for(self.function, self.overrides),
            where=self.where,
        )


def fix_for(function: str, overrides: Overrides = ()) -> str:
    if function.startswith(("concurrent.futures.Future", "threading.", "queue.")):
        function = "lock.acquire"  # the same advice: let the loop wait instead
    for prefix, fix in overrides:
        if function.startswith(prefix):
            return fix
    if function in FIXES:
        return FIXES[function]
    for prefix, fix in FIX_BY_PREFIX.items():
        if function.startswith(prefix):
            return fix
    return FIX_OTHER


@dataclass
class BlockingGuard:
    """Blockbuster, active only for calls made from the learner's module on the loop thread."""

    learner: LearnerFile
    module: ModuleType
    seen: list[BlockingCall] = field(default_factory=list)
    overrides: Overrides = ()

    @contextmanager
    def active(self) -> Iterator[BlockingGuard]:
        buster = BlockBuster(scanned_modules=[self.module])
        for name, function in buster.functions.items():
            if name in WRITES:
                function.can_block_in(*LOGGING)
            function.can_block_predicate = self._recording(
                name, function.can_block_predicate, function.can_block_functions
            )
        buster.activate()
        restore = self._watch_executor_exits()
        try:
            yield self
        finally:
            restore()
            buster.deactivate()

    def _watch_executor_exits(self) -> Callable[[], None]:
        """Leaving an executor's `with` block on the loop while its jobs still run. Python
        3.13 joins the workers in C, where no hook sees it: judge it at shutdown itself,
        from the futures the pool handed out."""
        classes = (concurrent.futures.ThreadPoolExecutor, concurrent.futures.ProcessPoolExecutor)
        saved = [(cls, vars(cls)["submit"], vars(cls)["shutdown"]) for cls in classes]
        handed_out: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        guard = self

        def patched(real_submit: Callable[..., Any], real_shutdown: Callable[..., Any]) -> tuple:
            def submit(pool: Any, *args: Any, **kwargs: Any) -> Any:
                future = real_submit(pool, *args, **kwargs)
                handed_out.setdefault(pool, weakref.WeakSet()).add(future)
                return future

            def shutdown(pool: Any, wait: bool = True, *args: Any, **kwargs: Any) -> Any:
                if wait:
                    guard._judge_executor_exit(handed_out.get(pool, ()), sys._getframe(1))
                return real_shutdown(pool, wait, *args, **kwargs)

            return submit, shutdown

        for cls, real_submit, real_shutdown in saved:
            cls.submit, cls.shutdown = patched(real_submit, real_shutdown)  # type: ignore[method-assign]

        def restore() -> None:
            for cls, real_submit, real_shutdown in saved:
                cls.submit, cls.shutdown = real_submit, real_shutdown  # type: ignore[method-assign]

        return restore

    def _judge_executor_exit(self, futures: Any, frame: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # not on the loop's thread: waiting there blocks nobody
        if self._judge_first(frame):
            return
        learner = self.learner.stack(frame)
        if not learner:
            return
        pending = [future for future in list(futures) if not future.done()]
        if not pending:
            return
        _, still = concurrent.futures.wait(pending, timeout=EXECUTOR_EXIT_GRACE)
        if still:
            self.seen.append(BlockingCall(EXECUTOR_EXIT, learner, self.overrides))
            raise BlockingError(EXECUTOR_EXIT)

    def _judge_first(self, frame: Any) -> bool:
        """Walking out from the blocking call, is the judge's code met before the learner's?"""
        for each in _frames(frame):
            if self.learner.owns(each.f_code):
                return False
            if each.f_code.co_filename.startswith(JUDGE):
                return True
        return False

    def _recording(
        self,
        name: str,
        allowed: Callable[..., bool],
        allowed_in: list[tuple[str, Any]],
    ) -> Callable[..., bool]:
        """Blockbuster's own predicate, plus: record the call when it will be refused."""

        def predicate(*args: Any, **kwargs: Any) -> bool:
            if allowed(*args, **kwargs):
                return True
            frame = sys._getframe(1)
            if _on_stack(frame, allowed_in):
                return True  # blockbuster allows it too
            in_shutdown = _on_stack(frame, [(path, {"shutdown"}) for path in EXECUTOR_SHUTDOWN])
            if in_shutdown and _acquired_soon(args, kwargs):
                return True
            if self._judge_first(frame):
                return True  # the judge's own work, done inside the learner's call
            learner = self.learner.stack(frame)
            if not learner:
                return True  # not the learner's call: blockbuster will not raise
            if in_shutdown:
                function = EXECUTOR_EXIT
            elif _on_stack(frame, [("subprocess.py", SUBPROCESS_WAITS)]):
                function = "subprocess.Popen"
            elif name.endswith(("acquire", "acquire_lock")):
                function = _waiting_for(frame)
            else:
                function = name
            self.seen.append(BlockingCall(function, learner, self.overrides))
            return False

        return predicate


# What a lock.acquire is really waiting in, named as the learner wrote it.
WAITS = (
    ("concurrent/futures/_base.py", "result", "concurrent.futures.Future.result"),
    ("concurrent/futures/_base.py", "exception", "concurrent.futures.Future.exception"),
    ("threading.py", "join", "threading.Thread.join"),
    ("threading.py", "wait", "threading.Event.wait"),
    ("queue.py", "get", "queue.Queue.get"),
    ("queue.py", "put", "queue.Queue.put"),
)


def _waiting_for(frame: Any) -> str:
    names = [(f.f_code.co_filename.replace("\\", "/"), f.f_code.co_name) for f in _frames(frame)]
    for suffix, function, shown in WAITS:
        if any(path.endswith(suffix) and name == function for path, name in names[:6]):
            return shown
    return "lock.acquire"


def _frames(frame: Any) -> Iterator[Any]:
    while frame is not None:
        yield frame
        frame = frame.f_back


JUDGE = str(Path(__file__).resolve().parent)  # harness/judge: its own reads are not the learner's


def _on_stack(frame: Any, places: list[tuple[str, Any]]) -> bool:
    while frame is not None:
        filename = frame.f_code.co_filename.replace("\\", "/")
        for suffix, functions in places:
            if filename.endswith(suffix) and frame.f_code.co_name in functions:
                return True
        frame = frame.f_back
    return False


def _acquired_soon(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """A worker that finished its job releases its lock at once: wait a moment for it."""
    lock = args[0] if args else None
    if lock is None or not hasattr(lock, "acquire"):
        return False
    if lock.acquire(True, EXECUTOR_EXIT_GRACE):
        lock.release()
        return True
    return False
