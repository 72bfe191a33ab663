"""Runs pytest in a subprocess, exactly as a learner would, and reads back what happened.

The subprocess loads ``harness.judge.events``, which writes one JSON line per event and
flushes it, so the harness knows which tests finished even when the process dies.
Hangs are isolated at two levels:

- a test that hangs is stopped by pytest-timeout (the repository's ``timeout``); it is
  reported as failed with a "Timeout: ..." message and the session goes on;
- a process that makes no progress at all (a test that ignores the timeout, an import
  that never returns) is killed after ``idle_limit`` seconds without a new event.

:func:`run_katas` runs several katas in one session. When the process dies or is
killed, the kata that was running is reported as crashed (or hanging) and the katas
not reached yet are run again in a new session, so one broken kata never hides the
others.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import harness
from harness.catalog import Catalog, Kata

EVENTS_VARIABLE = "HARNESS_EVENTS"  # the names harness.judge.events reads
GO_VARIABLE = "HARNESS_GO"
HARNESS_HOME = Path(harness.__file__).resolve().parent.parent  # where `import harness` works
# One kata whose tests cannot even be imported must not stop the others from running.
BASE_ARGS = ("-p", "harness.judge.events", "-p", "no:cacheprovider", "--continue-on-collection-errors")
DEFAULT_TEST_TIMEOUT = 5.0
# After a test's own timeout, diagnosis.HangTimer retries three times 2 s apart before it
# exits the process; only after that (and a margin) does the harness kill it.
HANG_MARGIN = 10.0
COLLECT_LIMIT = 60.0  # importing every kata's tests, before any test runs
OUTPUT_TAIL = 15  # lines of output kept to explain a crash

CRASHED_IN_TEST = "the test process died while running {test} (exit code {code})"
CRASHED_COLLECTING = "the test process died while importing {file} (exit code {code})"
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

    nodeid: str
    file: str
    workload: bool = False
    outcome: str = "unfinished"  # passed | failed | skipped | timeout | unfinished
    call_seconds: float | None = None
    seconds: float = 0.0  # all phases
    message: str = ""
    # The judge's diagnosis of a failure, when its `report` event carries one:
    # {"what": str, "where": str | None, "fix": str | None, "evidence": str | None}.
    diagnosis: dict | None = None

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

    @property
    def passed(self) -> int:
        return sum(test.outcome == "passed" for test in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)


@dataclass
class Session:
    """One pytest process: the raw events, its exit and its output."""

    events: list[dict]
    returncode: int
    output: str
    seconds: float
    killed: bool = False
    idle_limit: float = 0.0


def environment(events: Path, go: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)  # the harness decides how pytest runs
    env.pop(GO_VARIABLE, None)
    env[EVENTS_VARIABLE] = str(events)
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
        self.idle_limit = idle_limit
        self.collect_limit = collect_limit
        self._folder = Path(tempfile.mkdtemp(prefix="harness-"))
        self._events = self._folder / "events.jsonl"
        self._events.touch()
        self._go = self._folder / "go" if warm else None
        self._started = time.perf_counter()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *BASE_ARGS, *self.args],
            cwd=root,
            env=environment(self._events, self._go),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            start_new_session=True,  # so a kill reaches the process pools it started
        )
        self._lines: list[str] = []
        self._gate = threading.Event()  # output reaches ``echo`` only once the run is on
        self._discard = threading.Event()  # ... and never from a cancelled session
        self._pump = threading.Thread(
            target=_pump,
            args=(self._process.stdout, self._lines, echo, self._gate, self._discard),
            daemon=True,
        )
        self._pump.start()
        self.done = False

    def go(self) -> Session:
        """Let the tests run, wait for the end (or kill a run that stopped progressing)."""
        if self._go is not None:
            self._started = time.perf_counter()
            self._go.touch()
        self._gate.set()
        try:
            events, killed, limit = _supervise(
                self._process, self._events, self.idle_limit, self.collect_limit
            )
            self._pump.join(timeout=1)
            if self._pump.is_alive():  # a child left behind (a pool worker) holds the pipe
                _kill_group(self._process)
                self._pump.join(timeout=2)
            return Session(
                events=events,
                returncode=self._process.returncode,
                output="".join(self._lines),
                seconds=time.perf_counter() - self._started,
                killed=killed,
                idle_limit=limit,
            )
        finally:
            self._close()

    def cancel(self) -> None:
        """Stop a session that will not be needed (the learner quit, or moved on)."""
        if not self.done:
            self._discard.set()
            self._gate.set()
            _kill(self._process)
            self._pump.join(timeout=2)
            self._close()

    def _close(self) -> None:
        self.done = True
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


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


def _pump(
    stream: TextIO,
    lines: list[str],
    echo: TextIO | None,
    gate: threading.Event,
    discard: threading.Event,
) -> None:
    try:
        for line in stream:
            lines.append(line)
            if echo is not None:
                gate.wait()
                if not discard.is_set():
                    echo.write(line)
                    echo.flush()
    except (OSError, ValueError):
        return  # the pipe was closed under us: the process is gone


def _supervise(
    process: subprocess.Popen, events_file: Path, idle_limit: float | None, collect_limit: float
) -> tuple[list[dict], bool, float]:
    """Wait for the process, reading events; kill it after too long without one."""
    events: list[dict] = []
    offset = 0
    last_progress = time.monotonic()
    in_test = False
    test_limit = idle_limit
    limit = collect_limit
    while True:
        try:
            process.wait(timeout=0.05)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
        with open(events_file, "rb") as file:
            file.seek(offset)
            chunk = file.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        if complete:
            offset += len(complete)
            last_progress = time.monotonic()
            for line in complete.splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # not ours: nothing else should write there
                events.append(event)
                if event["event"] == "session" and test_limit is None:
                    test_limit = (event.get("timeout") or DEFAULT_TEST_TIMEOUT) + HANG_MARGIN
                in_test = event["event"] in ("start", "report") or (
                    in_test and event["event"] != "finish"
                )
        limit = (test_limit or DEFAULT_TEST_TIMEOUT + HANG_MARGIN) if in_test else collect_limit
        if finished:
            return events, False, limit
        if time.monotonic() - last_progress > limit:
            _kill(process)
            return _drain(events, events_file, offset), True, limit


def _kill(process: subprocess.Popen) -> None:
    _kill_group(process)
    process.kill()
    process.wait()


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the test process and everything it started (its own process group)."""
    with contextlib.suppress(OSError, AttributeError):  # gone already; or not POSIX
        os.killpg(process.pid, signal.SIGKILL)


def _drain(events: list[dict], events_file: Path, offset: int) -> list[dict]:
    with open(events_file, "rb") as file:
        file.seek(offset)
        rest = file.read()
    for line in rest.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            break  # a line cut short by the kill
    return events


# --- from events to katas ------------------------------------------------------------------
def split_by_kata(session: Session, catalog: Catalog, katas: list[Kata]) -> dict[str, KataRun]:
    """Each kata's tests as the session saw them; ``finished`` when nothing is missing."""
    runs = {kata.name: KataRun(kata) for kata in katas}
    by_node: dict[str, TestRun] = {}
    kata_of_node: dict[str, KataRun] = {}
    collecting: str | None = None
    collected = False
    running: str | None = None
    done = False

    def run_of(path: str | None) -> KataRun | None:
        if not path:
            return None
        kata = catalog.containing(Path(path))
        return runs.get(kata.name) if kata else None

    for event in session.events:
        kind = event["event"]
        if kind == "collecting":
            collecting = event["file"]
        elif kind == "collect_error":
            run = run_of(event.get("file"))
            if run is not None:
                run.collect_error = event.get("message") or "the tests could not be collected"
        elif kind == "collected":
            collected = True
            run = run_of(event["file"])
            if run is not None:
                test = TestRun(event["nodeid"], event["file"], bool(event.get("workload")))
                run.tests.append(test)
                by_node[test.nodeid] = test
                kata_of_node[test.nodeid] = run
        elif kind == "start":
            running = event["nodeid"]
        elif kind == "report":
            test = by_node.get(event["nodeid"])
            if test is not None:
                _add_phase(test, event)
        elif kind == "finish":
            running = None
            test = by_node.get(event["nodeid"])
            if test is not None and test.outcome == "unfinished":
                test.outcome = "passed"
        elif kind == "done":
            done = True

    for run in runs.values():
        all_ran = bool(run.tests) and all(t.outcome != "unfinished" for t in run.tests)
        run.finished = bool(run.collect_error) or done or all_ran

    if not done:
        code = session.returncode
        if running is not None and running in kata_of_node:
            run = kata_of_node[running]
            test = by_node[running]
            run.finished = True
            run.hung = session.killed
            if session.killed:
                run.crashed = KILLED_IN_TEST.format(test=test.name, seconds=session.idle_limit)
                test.outcome = "timeout"
                test.message = run.crashed
            else:
                run.crashed = CRASHED_IN_TEST.format(test=test.name, code=code) + _tail(session)
                test.outcome = "crashed"
                test.message = run.crashed
        elif not collected and collecting is not None and (run := run_of(collecting)):
            run.finished = True
            run.hung = session.killed
            shown = run.kata.relative(Path(collecting))
            if session.killed:
                run.crashed = KILLED_COLLECTING.format(file=shown, seconds=session.idle_limit)
            else:
                run.crashed = CRASHED_COLLECTING.format(file=shown, code=code) + _tail(session)
    return runs


def _add_phase(test: TestRun, event: dict) -> None:
    test.seconds += float(event.get("duration") or 0.0)
    when, outcome = event["when"], event["outcome"]
    if when == "call":
        test.call_seconds = float(event.get("duration") or 0.0)
    if outcome == "failed" and test.outcome not in ("failed", "timeout"):
        message = event.get("message") or ""
        kind = (event.get("diagnosis") or {}).get("kind")
        hung = kind == "timeout" or message.lstrip().startswith("Timeout")
        test.outcome = "timeout" if hung else "failed"
        test.message = message if when == "call" else f"(in {when}) {message}"
        diagnosis = event.get("diagnosis")
        test.diagnosis = diagnosis if isinstance(diagnosis, dict) else None
    elif outcome == "skipped" and test.outcome == "unfinished":
        test.outcome = "skipped"
        test.message = event.get("message") or ""


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
) -> tuple[dict[str, KataRun], list[Session]]:
    """Run the tests of ``katas`` in one pytest session, and again for any not reached.

    ``prepared`` is a warm session from :func:`prepare` with the same arguments: it is
    used for the first session.
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
        runs = split_by_kata(session, catalog, remaining)
        finished = [run for run in runs.values() if run.finished]
        for run in finished:
            results[run.kata.name] = run
        remaining = [kata for kata in remaining if kata.name not in results]
        if not finished:
            output = session.output.strip()[-3000:] or "(no output)"
            for kata in remaining:
                run = runs[kata.name]
                run.finished = True
                run.crashed = NO_PROGRESS.format(code=session.returncode, output=output)
                results[kata.name] = run
            break
    return results, sessions
