"""Turns the usual asyncio mistakes into messages in the learner's terms.

- a blocking call on the event loop (blockbuster, scoped to the learner's file)
- a coroutine that was created but never awaited (the RuntimeWarning, with origin)
- a function that is still a stub (NotImplementedError)
- a test that hangs (pytest-timeout's timer, with the learner's pending awaits)
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import sys
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import blockbuster.blockbuster as _bb

BlockingCallError = _bb.BlockingError

NEVER_AWAITED = r"coroutine .* was never awaited"
_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')

HANG_CAUSES = """\
Usual causes of a hang:
  - awaiting an asyncio.Event that nothing sets, or a Future nothing resolves
  - queue.join() while a worker never calls queue.task_done(), or no worker runs
  - a `while True` loop with no `await` in it, or a task awaiting itself
  - a lock acquired and never released"""


def learner_frames(frame: FrameType | None, kata_file: str) -> Iterator[FrameType]:
    """The frames of ``frame``'s stack that run the learner's file, innermost first."""
    while frame is not None:
        if frame.f_code.co_filename == kata_file:
            yield frame
        frame = frame.f_back


def learner_chain(frame: FrameType | None, kata_file: str, limit: int = 3) -> str | None:
    """``kata.py:14, called from kata.py:30``: the learner's frames, innermost first."""
    frames = itertools.islice(learner_frames(frame, kata_file), limit)
    lines = [f"{Path(kata_file).name}:{f.f_lineno}" for f in frames]
    return ", called from ".join(lines) or None


# --- blocking calls ------------------------------------------------------------------
FIXES = {
    "time.sleep": "Use await asyncio.sleep(...) instead.",
    "lock.acquire": (
        "It waits for another thread (future.result(), thread.join(), Event.wait()): let "
        "the loop wait instead — await asyncio.wrap_future(...), asyncio.to_thread(...), "
        "or an asyncio Future that the thread resolves with loop.call_soon_threadsafe."
    ),
}
FIX_OTHER = "Use await asyncio.to_thread(...) (or an async library) instead."


@dataclass
class BlockingCall:
    function: str
    where: str | None

    def explain(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return (
            f"the event loop was blocked by {self.function}{at}. While it runs, no other "
            f"task can make progress. {FIXES.get(self.function, FIX_OTHER)}"
        )


@dataclass
class BlockingGuard:
    """Blockbuster, active only for calls made from ``kata_file`` on the loop thread."""

    kata_file: str
    seen: list[BlockingCall] = field(default_factory=list)

    @contextmanager
    def active(self) -> Iterator[BlockingGuard]:
        guard = self

        class RecordedBlockingError(_bb.BlockingError):
            # Recorded when raised, so a call the learner's code swallows (say with
            # gather(return_exceptions=True)) is still reported.
            def __init__(self, func: str) -> None:
                super().__init__(func)
                where = learner_chain(sys._getframe(1), guard.kata_file)
                guard.seen.append(BlockingCall(func, where))

        original = _bb.BlockingError
        buster = _bb.BlockBuster(scanned_modules=_bb._ModulePaths([self.kata_file]))
        _bb.BlockingError = RecordedBlockingError
        buster.activate()
        try:
            yield self
        finally:
            buster.deactivate()
            _bb.BlockingError = original


# --- forgotten awaits -----------------------------------------------------------------------
def never_awaited(caught: list[warnings.WarningMessage], kata_file: str) -> list[str]:
    """One learner message per "coroutine ... was never awaited" warning."""
    messages = []
    for warning in caught:
        text = str(warning.message)
        if not re.match(NEVER_AWAITED, text):
            continue
        name = text.split("'")[1] if "'" in text else "?"
        created = [m for m in _FRAME.finditer(text) if m["file"] == kata_file]
        if created:
            where = f"{Path(kata_file).name}:{created[-1]['line']}"
        else:
            where = f"{Path(warning.filename).name}:{warning.lineno}"
        messages.append(
            f"coroutine {name}() was created at {where} but never awaited, so it never ran. "
            f"Write `await {name}(...)` (or pass it to asyncio.gather / create_task)."
        )
    return messages


# --- stubs ------------------------------------------------------------------------------------
def unfinished_stub(error: BaseException, kata_file: str) -> str | None:
    if not isinstance(error, NotImplementedError):
        return None
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == kata_file]
    if not frames:
        return None
    return (
        f"`{frames[-1].name}` in {Path(kata_file).name} is still a stub (line "
        f"{frames[-1].lineno}): replace `raise NotImplementedError` with your code."
    )


# --- hangs -------------------------------------------------------------------------------------
def _await_chain(awaitable: object) -> Iterator[FrameType]:
    """The frames of a suspended coroutine and of everything it awaits, outermost first.

    ``Task.get_stack()`` gives only the task's own coroutine frame, never the learner's
    coroutine it is awaiting, so the chain is followed through ``cr_await``.
    """
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is not None:
            yield frame
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)


def pending_awaits(kata_file: str) -> list[str]:
    """Where each task of the running loop is waiting, in the learner's file."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return []
    places = []
    for task in asyncio.all_tasks(loop):
        for frame in _await_chain(task.get_coro()):
            if frame.f_code.co_filename == kata_file:
                places.append(
                    f"{Path(kata_file).name}:{frame.f_lineno} in {frame.f_code.co_name}()"
                )
    return sorted(set(places))


class HangTimer:
    """SIGALRM timer for one test: on expiry, fail with the learner's pending awaits.

    If cleanup after the failure hangs too (a task that swallows CancelledError),
    the alarm fires again; after ``retries`` more the process exits, so no run hangs.
    """

    def __init__(self, seconds: float, kata_file: str, retries: int = 3, grace: float = 2.0):
        self.seconds = seconds
        self.kata_file = kata_file
        self.retries = retries
        self.grace = grace
        self.fired = 0

    def start(self) -> None:
        signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def cancel(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        import pytest

        self.fired += 1
        if self.fired > self.retries:
            sys.stderr.write(
                f"\nTimeout: the test still would not stop {self.fired} alarms later; "
                "a task keeps swallowing asyncio.CancelledError. Exiting.\n"
            )
            os._exit(1)
        signal.setitimer(signal.ITIMER_REAL, self.grace)
        if self.fired > 1:
            pytest.fail(
                "Timeout: the code would not stop after being cancelled: a task catches "
                "asyncio.CancelledError and carries on. Re-raise it after cleaning up.",
                pytrace=False,
            )
        waiting = pending_awaits(self.kata_file)
        if not waiting:
            where = learner_chain(frame, self.kata_file, limit=1)
            waiting = [where] if where else []
        at = "".join(f"\n  {place}" for place in waiting) or "\n  (not inside your file)"
        pytest.fail(
            f"Timeout: this test did not finish within {self.seconds:g} s, so it was "
            f"stopped. Your code was waiting at:{at}\n{HANG_CAUSES}",
            pytrace=False,
        )
