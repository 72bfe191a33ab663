"""A test that does not finish: stop it, and say where the learner's code was.

Two kinds of hang look the same from outside and need different advice:
- the loop is *idle*, waiting in its selector, while every task waits for something
  that never happens (an Event nobody sets, a queue nobody drains): name where each
  task of the learner's file waits;
- the loop is *busy*: one callback never gives control back (a `while` loop with no
  `await`, a busy-wait on `task.done()`, a `with threading.Lock()` held across an
  `await`): name the line that is running.
A task that was cancelled and is still running swallowed its cancellation: that is
seen, not guessed (``Task.cancelling()``).

When the time is up the diagnosis is taken first, then the test is stopped with
:class:`HangStop`, raised only where it cannot corrupt pytest (see safe_to_stop) and
retried until it lands. With SIGALRM
(Linux, macOS) the alarm's handler raises it; without (Windows, or ``--hang-timer
thread``), a watchdog thread takes the diagnosis from the main thread's stack, wakes
the loop and interrupts the main thread, whose SIGINT handler raises it. If the test
still will not stop, the explanation is written to the terminal and the process ends.
"""

from __future__ import annotations

import _thread
import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from harness.judge.frames import LearnerFile
from harness.judge.report import Diagnosis, Where

IDLE_CAUSES = (
    "an asyncio.Event that nothing sets, a Future nothing resolves, queue.join() with no "
    "worker calling task_done(), a lock never released, or a task awaiting itself."
)
BUSY_FIX = (
    "give the loop control back: `await asyncio.sleep(...)` inside the loop, await the "
    "task instead of polling it, and never hold a threading.Lock across an `await` "
    "(use asyncio.Lock)."
)
NOT_STOPPING = "the code would not stop: it kept running after the test was stopped."
NOT_STOPPING_FIX = "re-raise CancelledError after cleaning up (`except asyncio.CancelledError: ...; raise`)."
TIMEOUT_PREFIX = "Timeout: "
GAVE_UP = "The test process had to end here: the code did not stop {times} times in a row."
SELECTOR_FILES = ("selectors.py", "asyncio/base_events.py", "asyncio/windows_events.py")
HAS_ALARM = hasattr(signal, "SIGALRM") and hasattr(signal, "setitimer")
OWN_CODE = ("/_pytest/", "/pluggy/", "/harness/judge/")  # never interrupted mid-statement
# Code a stop may interrupt: what waits or runs on behalf of the test.
INTERRUPTIBLE = ("/asyncio/", "selectors.py", "threading.py", "/concurrent/", "queue.py",
                 "/aiohttp/", "/aiosqlite/", "/test_kata.py", "/multiprocessing/", "subprocess.py")
RETRY_SOON = 0.05  # seconds, when the stop could not be raised where the thread was
_real_exit = os._exit  # kept before anything (the learner's code included) can replace it


def safe_to_stop(frame: FrameType | None, learner: LearnerFile | None = None) -> bool:
    """Whether the stop may be raised where the main thread is now.

    Into the learner's code, a test, asyncio, or a blocking wait: yes, that is what it
    stops. Into pytest's, pluggy's or the judge's own bookkeeping — even through a stdlib
    helper they called — no: an exception between two of their statements (say, before
    pytest clears a fixture's cache) would corrupt the next test. Walking outwards from
    the running line, whichever kind of code comes first decides; the stop is retried a
    moment later when it is pytest's.
    """
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if learner is not None and learner.owns(frame.f_code):
            return True
        if any(part in name for part in OWN_CODE):
            return False
        if any(part in name for part in INTERRUPTIBLE):
            return True
        frame = frame.f_back
    return True


class HangStop(Exception):  # noqa: N818 - named after what it does
    """Stops a test whose time is up.

    An ordinary Exception, on purpose: a task step stores it as the task's failure, so
    it reaches the awaiting test; a SystemExit would be raised out of the loop again by
    every later step of that task, in the middle of pytest's teardown. Only asyncio's
    own plain callbacks swallow an Exception: then the next alarm, a moment later, lands.
    The diagnosis was taken at the first alarm either way.
    """


# --- what to say -------------------------------------------------------------------------
def loop_of(frame: FrameType | None) -> asyncio.AbstractEventLoop | None:
    """The event loop a stack is running, found in the loop's own frame."""
    while frame is not None:
        candidate = frame.f_locals.get("self") if frame.f_code.co_name in ("_run_once", "run_forever") else None
        if isinstance(candidate, asyncio.AbstractEventLoop):
            return candidate
        frame = frame.f_back
    return None


def pending_awaits(
    learner: LearnerFile, loop: asyncio.AbstractEventLoop | None, *, cancelled: bool = False
) -> list[Where]:
    """Where each task of ``loop`` waits, in the learner's file.

    With ``cancelled``, only the tasks that were asked to cancel and are still running:
    they caught ``CancelledError`` and carried on (``Task.cancelling()`` counts the requests).
    """
    if loop is None:
        return []
    places: dict[str, Where] = {}
    for task in asyncio.all_tasks(loop):
        if cancelled and not task.cancelling():
            continue
        for place in learner.awaiting(task.get_coro()):
            places.setdefault(str(place), place)
    return [places[key] for key in sorted(places)]


def threads_running(learner: LearnerFile) -> list[Where]:
    """The learner's lines that threads other than the main one are running."""
    main = threading.main_thread().ident
    found = []
    for ident, frame in sys._current_frames().items():
        if ident != main:
            found += learner.stack(frame)[-1:]
    return found


def diagnose(
    seconds: float, frame: FrameType | None, learner: LearnerFile, *, when: str = "call"
) -> Diagnosis:
    """What to say when the time is up; ``frame`` is what the main thread was running."""
    late = (
        f"this test did not finish within {seconds:g} s"
        if when == "call"
        else f"the cleanup after this test ({when}) did not finish within its time"
    )
    loop = loop_of(frame)
    swallowed = pending_awaits(learner, loop, cancelled=True)
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
    waiting = pending_awaits(learner, loop)
    threads = list(dict.fromkeys(threads_running(learner)))
    if threads and not waiting:
        return Diagnosis(
            f"{late}: it was waiting for a thread that is still running your code:",
            fix="make the function the thread runs end (a loop needs a way out), or do not start it.",
            where=tuple(threads[:1]),
            kind="timeout",
        )
    if waiting or threads:
        evidence = "\n".join(
            [f"    waiting at {place}" for place in waiting[:4]]
            + [f"    a thread still running {place}" for place in threads[:2]]
        )
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


# --- stopping the test ----------------------------------------------------------------------
class HangTimer:
    """One test's deadline. ``method`` is "signal" (SIGALRM) or "thread" (a watchdog).

    On expiry the diagnosis is kept in :attr:`diagnosis` and :class:`HangStop` is raised
    in the main thread. After ``retries`` more expiries ``grace`` seconds apart,
    ``give_up`` is called with the explanation, and the process ends.
    """

    def __init__(
        self,
        seconds: float,
        learner: LearnerFile,
        *,
        method: str = "signal",
        give_up: Callable[[str], None] | None = None,
        retries: int = 3,
        grace: float = 2.0,
    ):
        self.seconds = seconds
        self.learner = learner
        self.method = method if HAS_ALARM else "thread"
        self.give_up = give_up or _write_and_exit
        self.retries = retries
        self.grace = grace
        self.fired = 0
        self.when = "setup"  # the phase the test is in, set by the plugin
        self.fired_in: str | None = None  # the phase the deadline passed in
        self.diagnosis: Diagnosis | None = None  # the first one
        self.diagnoses: dict[str, Diagnosis] = {}  # per phase (call, teardown...)
        self._stop_pending = False
        self._interrupted = False
        self._done = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._previous_sigint: object = None

    # --- arming ------------------------------------------------------------------------
    def start(self) -> None:
        self._previous_sigint = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._on_sigint)
        if self.method == "signal":
            signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        else:
            self._watchdog = threading.Thread(target=self._watch, name="hang-watchdog", daemon=True)
            self._watchdog.start()

    def cancel(self) -> None:
        self._done.set()
        if self.method == "signal":
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        if self._previous_sigint is not None:
            signal.signal(signal.SIGINT, self._previous_sigint)  # type: ignore[arg-type]
            self._previous_sigint = None
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=1)

    @property
    def interrupted(self) -> bool:
        """A real Ctrl-C arrived during the test (not a KeyboardInterrupt the code raised)."""
        return self._interrupted

    # --- expiry ------------------------------------------------------------------------
    def _expire(self, frame: FrameType | None) -> None:
        """Count, diagnose, and decide; the caller then delivers the stop."""
        self.fired += 1
        if self.fired > self.retries + 1:
            self._give_up()
        found = diagnose(self.seconds, frame, self.learner, when=self.when)
        known = self.diagnoses.get(self.when)
        if known is None or ("cancelled but kept running" in found.what and known != found):
            self.diagnoses[self.when] = found  # a refused stop is the news of its phase
        if self.diagnosis is None:
            self.diagnosis, self.fired_in = found, self.when

    def _stop(self) -> HangStop:
        return HangStop(f"stopped after {self.seconds:g} s")

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if not safe_to_stop(frame, self.learner):
            signal.setitimer(signal.ITIMER_REAL, RETRY_SOON)
            return
        self._expire(frame)
        signal.setitimer(signal.ITIMER_REAL, self.grace)
        raise self._stop()

    def _watch(self) -> None:
        deadline = self.seconds
        main = threading.main_thread().ident
        while not self._done.wait(deadline):
            frame = sys._current_frames().get(main)  # type: ignore[arg-type]
            self._expire(frame)
            self._stop_pending = True
            loop = loop_of(frame)
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(lambda: None)  # wake a selector that waits forever
                except RuntimeError:
                    pass
            _thread.interrupt_main(signal.SIGINT)
            deadline = self.grace

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_pending:
            if not safe_to_stop(frame, self.learner):
                threading.Timer(RETRY_SOON, _thread.interrupt_main, (signal.SIGINT,)).start()
                return
            self._stop_pending = False
            raise self._stop()
        self._interrupted = True
        raise KeyboardInterrupt

    def _give_up(self) -> None:
        latest = self.diagnoses.get(self.when) or self.diagnosis
        text = latest.render() if latest else NOT_STOPPING
        # "Timeout: " first: the harness CLI reads the explanation of a process that
        # ended this way from the last line that starts so.
        self.give_up(f"{TIMEOUT_PREFIX}{text}\n{GAVE_UP.format(times=self.fired - 1)}")


def _write_and_exit(text: str) -> None:
    sys.stderr.write(f"\n{text}\n")
    sys.stderr.flush()
    _real_exit(1)
