"""`watch`: run the current kata's tests each time its kata.py is saved.

Saves are found by polling: the file's mtime and size every ``poll`` seconds, then its
content, so a save that changes nothing does not re-run the tests. Polling needs no
dependency and works where file events are unreliable (WSL2, network drives); for
anything else, Enter re-runs the tests by hand. When the kata passes, the watch moves
on to the next kata. While it waits, a pytest process is already started and waits
too (runner.PendingSession), so a save costs only the tests, not pytest's start-up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from harness import progress, run, runner
from harness.catalog import Kata
from harness.terminal import Console

DEFAULT_POLL = 0.1  # seconds between two looks at the file: cheap, and quick to react
QUIT_WORDS = ("q", "quit", "exit")

WATCHING = "Watching {stub}: save it to run the tests. Enter runs them now, q then Enter quits."
MOVED_ON = "Now watching {stub}, the next kata: save it to run its tests (Enter runs them now)."
ALL_DONE = "Every kata passes: nothing left to watch."
STOPPED = "Stopped watching. Your progress is saved; `python -m harness` shows it."


class FileWatch:
    """Has the file's content changed since the last look? (mtime first, then content)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stat = self._stat_now()
        self._digest = self._digest_now()

    def _stat_now(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _digest_now(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def changed(self) -> bool:
        stat = self._stat_now()
        if stat == self._stat:
            return False
        self._stat = stat
        digest = self._digest_now()
        if digest == self._digest:
            return False  # saved without a change (or touched): nothing to run
        self._digest = digest
        return True


def wait_for(
    console: Console,
    watch: FileWatch,
    poll: float,
    deadline: float | None = None,
    on_tick: Callable[[float], None] | None = None,
    quit_words: tuple[str, ...] = QUIT_WORDS,
) -> str:
    """Wait for "saved", "enter" (a line typed), "quit" or "deadline" (``console.clock``)."""
    while True:
        line = console.read_line()
        if line is not None:
            return "quit" if line.strip().lower() in quit_words else "enter"
        if watch.changed():
            return "saved"
        now = console.clock()
        if deadline is not None and now >= deadline:
            return "deadline"
        if on_tick is not None:
            on_tick(now)
        console.sleep(poll if deadline is None else max(0.0, min(poll, deadline - now)))


def watch_command(root: Path, kata: Kata, console: Console, *, poll: float = DEFAULT_POLL) -> int:
    current = kata
    watch = FileWatch(current.stub)  # before the run, so a save during a run is not missed
    ready: runner.PendingSession | None = None
    try:
        passed = _run(root, current, console)
        while True:
            if passed:
                upcoming = progress.next_kata(progress.cached(root), after=current)
                if upcoming is None:
                    console.print(ALL_DONE)
                    return 0
                current = upcoming.kata
                watch = FileWatch(current.stub)
                console.print()
                console.print(MOVED_ON.format(stub=current.relative(current.stub)))
            else:
                console.print(WATCHING.format(stub=current.relative(current.stub)))
            # pytest starts now and waits for the save: the verdict comes sooner after it.
            ready = run.prepare(root, current, console)
            if wait_for(console, watch, poll) == "quit":
                console.print(STOPPED)
                return 0
            console.clear()
            passed, ready = _run(root, current, console, ready), None
    except KeyboardInterrupt:
        console.print()
        console.print(STOPPED)
        return 0
    finally:
        if ready is not None:
            ready.cancel()


def _run(
    root: Path, kata: Kata, console: Console, ready: runner.PendingSession | None = None
) -> bool:
    status = run.run_once(root, kata, console, prepared=ready)
    return run.report(root, status, console) == 0
