"""Runs pytest in a subprocess, exactly as a learner would, and reads back what happened.

The subprocess (``python -m harness.launch``: pytest plus a watchdog) loads
``harness.judge.events``, which writes one JSON line per event and flushes it, so the
harness knows which tests finished even when the process dies. Its output goes to a
file that the harness follows, never to a pipe a thread could block on.

Hangs are isolated at two levels:

- a test that hangs is stopped by pytest-timeout (the repository's ``timeout``); it is
  reported as failed with a "Timeout: ..." message and the session goes on;
- a process that makes no progress at all (a test that ignores the timeout, an import
  that never returns) is killed after ``idle_limit`` seconds without a new event, and
  one that has finished its tests but does not exit (a thread that never ends) is
  killed :data:`EXIT_GRACE` seconds after pytest says it is done.

The test process runs in a process group of its own, with its own temporary folder:
when a session ends, however it ends (the harness's Ctrl-C, SIGTERM, SIGHUP), the
whole group is killed and the folder removed, so no process pool, learner subprocess
or ``pymp-*`` folder outlives it. If the harness itself is killed, the watchdog in
the test process does the same (see harness.launch).

:func:`run_katas` runs several katas in one session (starting pytest once is most of
the time a run takes). A kata's result is kept only once every one of its tests has
reported, or the process died inside it; katas not reached (a crash, an exit, an
interrupt, a kill) run again in a new session. A kata that failed after other katas
ran in the same process runs again on its own before its result is believed when the
process may have been changed under it (:func:`needs_a_second_look`), so one kata's
code never changes another kata's result.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import harness
from harness import portable
from harness.catalog import Catalog, Kata
from harness.launch import FOLDER_VARIABLE

EVENTS_VARIABLE = "HARNESS_EVENTS"  # the names harness.judge.events reads
GO_VARIABLE = "HARNESS_GO"
TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")  # where tempfile (and multiprocessing) write
HARNESS_HOME = Path(harness.__file__).resolve().parent.parent  # where `import harness` works
LAUNCHER = (sys.executable, "-m", "harness.launch")
# One kata whose tests cannot even be imported must not stop the others from running.
BASE_ARGS = ("-p", "harness.judge.events", "-p", "no:cacheprovider", "--continue-on-collection-errors")
DEFAULT_TEST_TIMEOUT = 5.0
# After a test's own timeout, diagnosis.HangTimer retries three times 2 s apart before it
# exits the process; only after that (and a margin) does the harness kill it.
HANG_MARGIN = 10.0
COLLECT_LIMIT = 60.0  # importing every kata's tests, before any test runs
EXIT_GRACE = 2.0  # after pytest is done, the interpreter's own shutdown
POLL = 0.05  # seconds between two looks at the process, its events and its output
OUTPUT_KEPT = 64 * 1024  # the end of the output, kept to explain a crash
OUTPUT_TAIL = 15  # lines of output shown to explain a crash
CLEAN_EXITS = (0, 1, 5)  # pytest's exit status: all passed, some failed, none collected
INTERRUPTED = 2  # pytest's exit status after a KeyboardInterrupt
# A failure that names one of these stops more than a test: pytest, the event loop.
ESCAPES = re.compile(r"\b(SystemExit|KeyboardInterrupt|GeneratorExit|BaseException)\b")

CRASHED_IN_TEST = "the test process died while running {test} (exit code {code})"
CRASHED_COLLECTING = "the test process died while importing {file} (exit code {code})"
INTERRUPTED_IN_TEST = (
    "the tests were interrupted while running {test}: a KeyboardInterrupt (Ctrl-C, or "
    "SIGINT) stops the whole test session. Does your code raise KeyboardInterrupt?"
)
KILLED_IN_TEST = (
    "Timeout: {test} would not stop, even after its timeout, so the harness stopped the "
    "test process after {seconds:g} s without progress. Look for a loop without `await`, "
    "or code that catches asyncio.CancelledError and carries on."
)
KILLED_COLLECTING = (
    "Timeout: importing {file} never finished, so the harness stopped it after "
    "{seconds:g} s. Look for code at the top level of the file that waits or loops."
)
NO_PROGRESS = "pytest stopped before running any test (exit code {code}):\n{output}"


@dataclass
class TestRun:
    """One test: its outcome over the setup, call and teardown phases."""

    __test__ = False  # not a pytest test class, despite its name

    nodeid: str
    file: str
    workload: bool = False
    outcome: str = "unfinished"  # passed | failed | skipped | timeout | crashed | unfinished
    call_seconds: float | None = None
    seconds: float = 0.0  # all phases
    message: str = ""
    # The judge's diagnosis of a failure, when its `report` event carries one:
    # {"what": str, "where": str | None, "fix": str | None, "evidence": str | None}.
    diagnosis: dict | None = None
    outside_call: bool = False  # it failed in setup or teardown

    @property
    def name(self) -> str:
        return self.nodeid.rsplit("::", 1)[-1]


@dataclass
class KataRun:
    """What one kata's tests did in a session (or why they could not run)."""

    kata: Kata
    tests: list[TestRun] = field(default_factory=list)
    collect_error: str = ""
    crashed: str = ""  # the process died (or was killed) during this kata
    hung: bool = False  # ... and it was killed because it made no progress
    finished: bool = False
    cacheable: bool = True  # False when the result says more about the run than the kata
    ran_after: tuple[str, ...] = ()  # the katas whose code ran before it in its process
    after_trouble: bool = False  # ... and one of them misbehaved (see troubled)

    @property
    def passed(self) -> int:
        return sum(test.outcome == "passed" for test in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def all_passed(self) -> bool:
        return bool(self.tests) and self.passed == self.total and not self.crashed

    @property
    def troubled(self) -> bool:
        """Did it do something that can break what runs after it in the same process?"""
        return bool(self.crashed) or any(
            test.outside_call
            or test.outcome in ("timeout", "crashed")
            or ESCAPES.search(test.message)
            for test in self.tests
        )


@dataclass
class Session:
    """One pytest process: the raw events, its exit and the end of its output."""

    events: list[dict]
    returncode: int
    output: str
    seconds: float
    killed: bool = False  # the harness killed it: no progress (or no exit after its end)
    idle_limit: float = 0.0


def environment(events: Path, folder: Path, go: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)  # the harness decides how pytest runs
    env.pop(GO_VARIABLE, None)
    env[EVENTS_VARIABLE] = str(events)
    env[FOLDER_VARIABLE] = str(folder)
    # Temporary files (process pools' pymp-* folders, pytest's tmp_path) go in the
    # run's folder, which is removed with it, even when the process had to be killed.
    env.update(dict.fromkeys(TEMP_VARIABLES, str(folder)))
    if go is not None:
        env[GO_VARIABLE] = str(go)
    paths = [str(HARNESS_HOME), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


class PendingSession:
    """A pytest process, started now; with ``warm``, it waits for :meth:`go` to run tests.

    A warm process has already imported pytest, the plugin and its dependencies (most
    of the time a run takes) when the learner saves; `watch` keeps one ready, so the
    verdict comes sooner after a save. The test files themselves are collected only
    after :meth:`go`, so they are read as they are then.

    Every way out of :meth:`go` or :meth:`cancel` (an exception included) kills the
    process group and removes the temporary folder.
    """

    def __init__(
        self,
        root: Path,
        args: Iterable[str],
        *,
        echo: TextIO | None = None,
        idle_limit: float | None = None,
        collect_limit: float = COLLECT_LIMIT,
        warm: bool = False,
    ) -> None:
        self.args = list(args)
        self.echo = echo
        self.idle_limit = idle_limit
        self.collect_limit = collect_limit
        self.done = False
        self._process: subprocess.Popen | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="harness-"))
        self._events = self._folder / "events.jsonl"
        self._output = self._folder / "output.txt"
        self._go = self._folder / "go" if warm else None
        self._started = time.perf_counter()
        try:
            self._events.touch()
            with open(self._output, "wb") as output:
                self._process = subprocess.Popen(
                    [*LAUNCHER, *BASE_ARGS, *self.args],
                    cwd=root,
                    env=environment(self._events, self._folder, self._go),
                    stdin=subprocess.PIPE,  # never written: its end tells the child we are gone
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    **portable.group_options(),
                )
        except BaseException:
            self._close()
            raise

    def go(self) -> Session:
        """Let the tests run, wait for the end (or kill a run that stopped progressing)."""
        if self.done:
            raise RuntimeError("this session has already run")
        try:
            if self._go is not None:
                self._started = time.perf_counter()
                self._go.touch()
            return self._supervise()
        finally:
            self._close()

    def cancel(self) -> None:
        """Stop a session that will not be needed (the learner quit, or moved on)."""
        self._close()

    def _supervise(self) -> Session:
        """Wait for the process, reading events and output; kill it when it stops progressing."""
        process = self._process
        assert process is not None
        events = EventReader(self._events)
        output = OutputReader(self._output, self.echo)
        last_progress = time.monotonic()
        killed = False
        while True:
            try:
                process.wait(timeout=POLL)
                finished = True
            except subprocess.TimeoutExpired:
                finished = False
            if events.read():
                last_progress = time.monotonic()
            output.read()
            limit = self._limit(events)
            if finished:
                break
            if time.monotonic() - last_progress > limit:
                _kill(process)
                killed = True
                break
        events.read()
        output.read()
        return Session(
            events=events.events,
            returncode=process.returncode,
            output=output.tail(),
            seconds=time.perf_counter() - self._started,
            killed=killed,
            idle_limit=self._limit(events),
        )

    def _limit(self, events: EventReader) -> float:
        if events.exited:
            return EXIT_GRACE
        if events.in_test:
            if self.idle_limit is not None:
                return self.idle_limit
            return (events.timeout or DEFAULT_TEST_TIMEOUT) + HANG_MARGIN
        return self.collect_limit

    def _close(self) -> None:
        """Kill what is left of the process group, reap it, remove the folder; once."""

        def close() -> None:
            if self._process is not None:
                _kill(self._process)
                if self._process.stdin is not None:
                    self._process.stdin.close()
            with contextlib.suppress(Exception):  # 3.13.0's rmtree may assert on a race
                shutil.rmtree(self._folder, ignore_errors=True)
            self.done = True

        if not self.done:
            to_the_end(close)


def to_the_end(step: Callable[[], None]) -> None:
    """Run a clean-up ``step`` to its end even if Ctrl-C (or a stop signal) comes during
    it: a clean-up cut in half leaves processes or folders behind. The interruption is
    raised once the step is done. The step must be safe to start again."""
    interrupted: BaseException | None = None
    while True:
        try:
            step()
            break
        except (KeyboardInterrupt, portable.Stopped) as error:
            interrupted = error
    if interrupted is not None:
        raise interrupted


def _kill(process: subprocess.Popen) -> None:
    """Kill the test process and everything it started (its process group), and reap it."""
    portable.kill_tree(process)
    if process.poll() is None:
        process.kill()
    process.wait()


class EventReader:
    """The events file, read as it grows: complete lines only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: list[dict] = []
        self.offset = 0
        self.in_test = False
        self.exited = False
        self.timeout: float | None = None

    def read(self) -> bool:
        """Read what was added; True if there was anything."""
        try:
            with open(self.path, "rb") as file:
                file.seek(self.offset)
                chunk = file.read()
        except OSError:
            return False
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line cut short by a kill; nothing else should write there
            if isinstance(event, dict) and isinstance(event.get("event"), str):
                self._note(event)
        return bool(complete)

    def _note(self, event: dict) -> None:
        self.events.append(event)
        kind = event["event"]
        if kind == "session" and isinstance(event.get("timeout"), (int, float)):
            self.timeout = float(event["timeout"])
        self.in_test = kind in ("start", "report") or (self.in_test and kind != "finish")
        self.exited = self.exited or kind == "exit"


class OutputReader:
    """The test process's output file, read as it grows: shown on ``echo``, its end kept."""

    def __init__(self, path: Path, echo: TextIO | None) -> None:
        self.path = path
        self.echo = echo
        self.offset = 0
        self._kept = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def read(self) -> None:
        try:
            with open(self.path, "rb") as file:
                file.seek(self.offset)
                chunk = file.read()
        except OSError:
            return
        if not chunk:
            return
        self.offset += len(chunk)
        self._kept += chunk
        del self._kept[:-OUTPUT_KEPT]
        if self.echo is not None:
            try:
                self.echo.write(self._decoder.decode(chunk))
                self.echo.flush()
            except (OSError, ValueError):  # the terminal is gone (closed, or a broken pipe)
                self.echo = None

    def tail(self) -> str:
        return bytes(self._kept).decode("utf-8", "replace")


def run_session(
    root: Path,
    args: Iterable[str],
    *,
    echo: TextIO | None = None,
    idle_limit: float | None = None,
    collect_limit: float = COLLECT_LIMIT,
) -> Session:
    """Run ``python -m pytest ARGS`` in ``root``; kill it when it stops making progress.

    ``echo`` receives pytest's output as it comes (``run`` and ``watch`` show it);
    otherwise the output is only kept to explain a crash.
    """
    return PendingSession(
        root, args, echo=echo, idle_limit=idle_limit, collect_limit=collect_limit
    ).go()


# --- from events to katas ------------------------------------------------------------------
def split_by_kata(session: Session, catalog: Catalog, katas: list[Kata]) -> dict[str, KataRun]:
    """Each kata's tests as the session saw them; ``finished`` once nothing is missing.

    A kata is finished when its tests could not be collected, when every one of its
    tests has reported, or when the process died (was killed, was interrupted) inside
    it. pytest's end of session says nothing about the katas it never reached: a
    learner's ``sys.exit(0)``, ``os._exit(0)`` or KeyboardInterrupt ends it early too.
    """
    runs = {kata.name: KataRun(kata) for kata in katas}
    by_node: dict[str, TestRun] = {}
    kata_of_node: dict[str, KataRun] = {}
    order: list[KataRun] = []  # the katas in the order their tests started
    collecting: str | None = None
    collected = False
    running: str | None = None
    status: object = None  # pytest's exit status, from its "done" event

    def run_of(path: object) -> KataRun | None:
        if not isinstance(path, str) or not path:
            return None
        kata = catalog.containing(Path(path))
        return runs.get(kata.name) if kata else None

    for event in session.events:
        kind = event.get("event")
        if kind == "collecting":
            collecting = event.get("file")
        elif kind == "collect_error":
            run = run_of(event.get("file"))
            if run is not None:
                run.collect_error = str(event.get("message") or "the tests could not be collected")
        elif kind == "collected":
            collected = True
            run = run_of(event.get("file"))
            nodeid = event.get("nodeid")
            if run is not None and isinstance(nodeid, str):
                test = TestRun(nodeid, str(event.get("file")), bool(event.get("workload")))
                run.tests.append(test)
                by_node[nodeid] = test
                kata_of_node[nodeid] = run
        elif kind == "start":
            running = event.get("nodeid")
            run = kata_of_node.get(str(running))
            if run is not None and run not in order:
                order.append(run)
        elif kind == "report":
            test = by_node.get(str(event.get("nodeid")))
            if test is not None:
                _add_phase(test, event)
        elif kind == "finish":
            running = None
            test = by_node.get(str(event.get("nodeid")))
            if test is not None and test.outcome == "unfinished":
                test.outcome = "passed"
        elif kind == "done":
            status = event.get("exitstatus")

    clean = status in CLEAN_EXITS
    collected = collected or clean  # a clean session with no test at all collected them all
    for run in runs.values():
        ran = all(test.outcome != "unfinished" for test in run.tests)
        run.finished = bool(run.collect_error) or (collected and ran)
    if not clean:
        if running is not None and running in kata_of_node:
            _blame_test(kata_of_node[running], by_node[running], session, status)
        elif not collected and (run := run_of(collecting)) is not None:
            _blame_collection(run, Path(str(collecting)), session)
    for index, run in enumerate(order):
        run.ran_after = tuple(earlier.kata.name for earlier in order[:index])
        run.after_trouble = any(earlier.troubled for earlier in order[:index])
    return runs


def _blame_test(run: KataRun, test: TestRun, session: Session, status: object) -> None:
    """The process ended inside ``test``: say how, in the test and in its kata."""
    run.finished = True
    timeout_line = _timeout_line(session.output)
    if session.killed:
        run.hung = True
        test.outcome = "timeout"
        message = KILLED_IN_TEST.format(test=test.name, seconds=session.idle_limit)
    elif status == INTERRUPTED:
        test.outcome = "crashed"
        message = INTERRUPTED_IN_TEST.format(test=test.name) + _tail(session)
    elif timeout_line:  # the test's own timeout ended the process, and said why
        run.hung = True
        test.outcome = "timeout"
        message = f"{timeout_line}{_tail(session)}"
    else:
        test.outcome = "crashed"
        code = session.returncode
        message = CRASHED_IN_TEST.format(test=test.name, code=code) + _tail(session)
    run.crashed = test.message = message
    run.cacheable = not disturbed(session)


def _blame_collection(run: KataRun, path: Path, session: Session) -> None:
    run.finished = True
    run.hung = session.killed
    shown = run.kata.relative(path)
    if session.killed:
        run.crashed = KILLED_COLLECTING.format(file=shown, seconds=session.idle_limit)
    else:
        code = session.returncode
        run.crashed = CRASHED_COLLECTING.format(file=shown, code=code) + _tail(session)
    run.cacheable = not disturbed(session)


def disturbed(session: Session) -> bool:
    """Did something outside the tests end the session: a KeyboardInterrupt, or a signal
    the harness did not send (someone killed pytest)? Then its results say more about
    that than about the katas, and are not cached."""
    code = session.returncode
    return code == INTERRUPTED or (code < 0 and not session.killed)


def _timeout_line(output: str) -> str:
    """The line in which a timeout that ended the process explained itself, if any."""
    lines = [line.strip(" +") for line in output.splitlines()]
    return next((line for line in reversed(lines) if line.startswith("Timeout")), "")


def _add_phase(test: TestRun, event: dict) -> None:
    duration = _seconds(event.get("duration"))
    test.seconds += duration
    when, outcome = event.get("when"), event.get("outcome")
    if when == "call":
        test.call_seconds = duration
    if outcome == "failed" and test.outcome not in ("failed", "timeout"):
        message = str(event.get("message") or "")
        diagnosis = event.get("diagnosis")
        test.diagnosis = diagnosis if isinstance(diagnosis, dict) else None
        kind = (test.diagnosis or {}).get("kind")
        hung = kind == "timeout" or message.lstrip().startswith("Timeout")
        test.outcome = "timeout" if hung else "failed"
        test.message = message if when == "call" else f"(in {when}) {message}"
        test.outside_call = when != "call"
    elif outcome == "skipped" and test.outcome == "unfinished":
        test.outcome = "skipped"
        test.message = str(event.get("message") or "")


def _seconds(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and value >= 0 else 0.0


def _tail(session: Session) -> str:
    lines = [line for line in session.output.splitlines() if line.strip()]
    tail = "\n".join(lines[-OUTPUT_TAIL:])
    return f"\n{tail}" if tail else ""


def test_files(katas: list[Kata]) -> list[str]:
    """Each kata's test file, as named on pytest's command line (katas/NN_slug/test_kata.py)."""
    return [kata.relative(kata.tests) for kata in katas]


def prepare(
    root: Path, katas: list[Kata], args: Iterable[str] = (), *, echo: TextIO | None = None
) -> PendingSession:
    """Start a warm session for :func:`run_katas` with the same ``katas`` and ``args``."""
    return PendingSession(root, [*args, *test_files(katas)], echo=echo, warm=True)


def run_katas(
    root: Path,
    catalog: Catalog,
    katas: list[Kata],
    args: Iterable[str] = (),
    *,
    echo: TextIO | None = None,
    idle_limit: float | None = None,
    collect_limit: float = COLLECT_LIMIT,
    prepared: PendingSession | None = None,
    untouched: Collection[str] | None = None,
) -> tuple[dict[str, KataRun], list[Session]]:
    """Run the tests of ``katas`` in one pytest session, and again for any not reached.

    ``prepared`` is a warm session from :func:`prepare` with the same arguments: it is
    used for the first session. ``untouched`` names the katas whose kata.py is the
    untouched stub; given it, a kata whose result may be another kata's doing runs
    again alone (:func:`needs_a_second_look`). Without it nothing runs twice (bench
    on the reference solutions).
    """
    args = list(args)
    results: dict[str, KataRun] = {}
    sessions: list[Session] = []
    remaining = list(katas)
    while remaining:
        command = [*args, *test_files(remaining)]
        if prepared is not None and (prepared.args != command or prepared.done):
            prepared.cancel()  # started for other katas or options: of no use here
            prepared = None
        if prepared is not None:
            session = prepared.go()
        else:
            session = run_session(
                root, command, echo=echo, idle_limit=idle_limit, collect_limit=collect_limit
            )
        prepared = None
        sessions.append(session)
        remaining = _keep_finished(split_by_kata(session, catalog, remaining), session, results)
    if untouched is not None:
        again = [kata for kata in katas if needs_a_second_look(results[kata.name], untouched)]
        alone = run_alone(root, again, args, idle_limit=idle_limit, collect_limit=collect_limit)
        for kata, session in alone:
            sessions.append(session)
            _keep_finished(split_by_kata(session, catalog, [kata]), session, results)
    return results, sessions


def _keep_finished(
    runs: dict[str, KataRun], session: Session, results: dict[str, KataRun]
) -> list[Kata]:
    """Move the finished runs into ``results``; return the katas still to run.

    When no kata finished, pytest could not even start (a broken configuration, an
    import error in conftest.py): running again would not help, so every kata gets
    the session's output as its message.
    """
    if not any(run.finished for run in runs.values()):
        output = session.output.strip()[-3000:] or "(no output)"
        for run in runs.values():
            run.finished = True
            run.crashed = NO_PROGRESS.format(code=session.returncode, output=output)
            run.cacheable = not disturbed(session)
    for run in runs.values():
        if run.finished:
            results[run.kata.name] = run
    return [run.kata for run in runs.values() if not run.finished]


def needs_a_second_look(run: KataRun, untouched: Collection[str]) -> bool:
    """Could this failure be another kata's doing? Then it is run again alone.

    Only a kata that did not pass, after other katas' code ran in the same process,
    when an earlier kata misbehaved (exited, was interrupted, timed out, broke a
    fixture) and may have left the process broken. What a kata's code changes quietly
    (a patched asyncio, a recursion limit, the environment) the judge undoes after each
    test (harness/judge/isolation.py), so an edited kata before it is no reason. A
    collection error happens before any learner code runs: it is always the kata's own.
    """
    if not run.ran_after or run.all_passed or run.collect_error:
        return False
    return run.after_trouble


def run_alone(
    root: Path,
    katas: list[Kata],
    args: list[str],
    *,
    idle_limit: float | None = None,
    collect_limit: float = COLLECT_LIMIT,
) -> list[tuple[Kata, Session]]:
    """Each kata in a pytest process of its own, as many at a time as there are cores."""
    width = max(1, os.cpu_count() or 1)
    waiting = list(katas)
    started: list[tuple[Kata, PendingSession]] = []
    done: list[tuple[Kata, Session]] = []
    try:
        while waiting or started:
            while waiting and len(started) < width:
                kata = waiting.pop(0)
                command = [*args, *test_files([kata])]
                pending = PendingSession(
                    root, command, idle_limit=idle_limit, collect_limit=collect_limit
                )
                started.append((kata, pending))
            kata, pending = started.pop(0)
            done.append((kata, pending.go()))
    finally:
        for _, pending in started:
            pending.cancel()
    return done
