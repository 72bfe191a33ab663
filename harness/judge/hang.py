"""A test that does not finish: stop it, and say where the learner's code was.

Two kinds of hang look the same from outside and need different advice:
- the loop is *idle*, waiting in its selector, while every task waits for something
  that never happens (an Event nobody sets, a queue nobody drains): name where each
  task of the learner's file waits;
- the loop is *busy*: one callback never gives control back (a `while` loop with no
  `await`, a busy-wait on `task.done()`, a `with threading.Lock()` held across an
  `await`): name the line that is running.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from types import FrameType


from harness.judge.frames import LearnerFile
from harness.judge.report import Diagnosis, Mistake, Where

IDLE_CAUSES = (
    "an asyncio.Event that nothing sets, a Future nothing resolves, queue.join() with no "
    "worker calling task_done(), a lock never released, or a task awaiting itself."
)
BUSY_FIX = (
    "give the loop control back: `await asyncio.sleep(...)` inside the loop, await the "
    "task instead of polling it, and never hold a threading.Lock across an `await` "
    "(use asyncio.Lock)."
)
NOT_STOPPING = (
    "the code would not stop after being cancelled: a task catches asyncio.CancelledError "
    "and carries on."
)
NOT_STOPPING_FIX = "re-raise CancelledError after cleaning up (`except asyncio.CancelledError: ...; raise`)."
SELECTOR_FILES = ("selectors.py", "asyncio/base_events.py", "asyncio/windows_events.py")


def pending_awaits(learner: LearnerFile, *, cancelled: bool = False) -> list[Where]:
    """Where each task of the running loop waits, in the learner's file.

    With ``cancelled``, only the tasks that were asked to cancel and are still running:
    they caught ``CancelledError`` and carried on (``Task.cancelling()`` counts the requests).
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return []
    places: dict[str, Where] = {}
    for task in asyncio.all_tasks(loop):
        if cancelled and not task.cancelling():
            continue
        for place in learner.awaiting(task.get_coro()):
            places.setdefault(str(place), place)
    return [places[key] for key in sorted(places)]


def diagnose(
    seconds: float, frame: FrameType | None, learner: LearnerFile, *, when: str = "call"
) -> Diagnosis:
    """What to say when the time is up; ``frame`` is what the main thread was running."""
    late = (
        f"this test did not finish within {seconds:g} s"
        if when == "call"
        else f"the cleanup after this test ({when}) did not finish within its time"
    )
    swallowed = pending_awaits(learner, cancelled=True)
    if swallowed:
        return Diagnosis(
            f"{late}: a task was cancelled but kept running — it catches "
            "asyncio.CancelledError and carries on:",
            fix=NOT_STOPPING_FIX,
            where=tuple(swallowed[:1]),
            kind="timeout",
        )
    running = learner.stack(frame)
    if running and not _in_selector(frame):
        return Diagnosis(
            f"{late}: the event loop never got control back, because your code kept "
            "running here:",
            fix=busy_fix(running[-1].source or ""),
            where=running,
            kind="timeout",
        )
    waiting = pending_awaits(learner)
    if waiting:
        evidence = "\n".join(f"    waiting at {place}" for place in waiting[:4])
        return Diagnosis(
            f"{late}: every task was waiting for something that never happened.",
            fix=f"look for {IDLE_CAUSES}",
            evidence=evidence,
            kind="timeout",
        )
    return Diagnosis(
        f"{late}, and your code was not running or waiting anywhere the test could see.",
        fix=f"look for {IDLE_CAUSES}",
        kind="timeout",
    )


def busy_fix(line: str) -> str:
    """Advice for the line that held the loop: a thread lock, a loop without await, or else."""
    code = line.strip()
    if code.startswith("with ") or ".acquire(" in code:
        return (
            "a threading.Lock waits for a thread, and the task holding it waits for this "
            "loop: it never comes back. Use asyncio.Lock (`async with lock:`) in coroutines."
        )
    if code.startswith(("while ", "for ")):
        return (
            "this loop never awaits, so nothing else can run — not even what it waits for: "
            "await the task or event itself, or put `await asyncio.sleep(...)` in the loop."
        )
    return BUSY_FIX


def _in_selector(frame: FrameType | None) -> bool:
    """True when the innermost Python frame is the loop waiting for I/O or a timer."""
    if frame is None:
        return False
    name = frame.f_code.co_filename.replace("\\", "/")
    return name.endswith(SELECTOR_FILES) and frame.f_code.co_name in ("select", "_run_once", "poll")


class HangTimer:
    """SIGALRM timer for one test: on expiry, fail with where the learner's code was.

    If cleanup after the failure hangs too (a task that swallows CancelledError),
    the alarm fires again; after ``retries`` more the process exits, so no run hangs.
    """

    def __init__(self, seconds: float, learner: LearnerFile, retries: int = 3, grace: float = 2.0):
        self.seconds = seconds
        self.learner = learner
        self.retries = retries
        self.grace = grace
        self.fired = 0
        self.when = "setup"  # the phase the test is in, set by the plugin

    def start(self) -> None:
        signal.signal(signal.SIGALRM, self._expired)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def cancel(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        self.fired += 1
        if self.fired > self.retries:
            sys.stderr.write(
                f"\nTimeout: the test still would not stop {self.fired} alarms later; "
                "a task keeps swallowing asyncio.CancelledError. Exiting.\n"
            )
            os._exit(1)
        signal.setitimer(signal.ITIMER_REAL, self.grace)
        found = diagnose(self.seconds, frame, self.learner, when=self.when)
        if self.fired > 1 and "cancelled but kept running" not in found.what:
            found = Diagnosis(NOT_STOPPING, fix=NOT_STOPPING_FIX, kind="timeout")
        raise Mistake(found)

