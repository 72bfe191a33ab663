"""One kata's misbehaving code never changes another kata's result, nor the cache; and
whatever ends the harness (Ctrl-C, SIGTERM, a closed terminal, SIGKILL) ends the test
processes with it, leaving nothing running and no temporary folder behind.
"""

from __future__ import annotations

import io
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import catalog as catalog_module
from harness import cli, progress, runner, state
from harness.terminal import Console
from harness.tests import fake_curriculum as fake

pytestmark = pytest.mark.timeout(fake.SUBPROCESS_TIMEOUT)

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and groups")


def harness(root: Path, *args: str) -> tuple[int, str]:
    screen = Console(out=io.StringIO(), err=io.StringIO(), env={}, read_line=lambda: None)
    code = cli.main(["--root", str(root), *args], screen)
    return code, screen.out.getvalue()


def line_of(output: str, kata: str) -> str:
    return next(line for line in output.splitlines() if f" {kata} " in line)


# --- one kata never spoils another ----------------------------------------------------------
def test_a_kata_that_exits_at_import_changes_no_other_katas_result_nor_the_cache(fake_repo):
    """The issue's example: `sys.exit(0)` atop kata 01 once made 02 fail, from the cache too."""
    greet = fake.write(fake_repo, "02_greet", fake.SOLVED["02_greet"])
    assert "passed (2 of 2)" in line_of(harness(fake_repo)[1], "02_greet")
    fake.write(fake_repo, "01_add", fake.EXITING_ADD)
    greet.write_text(greet.read_text() + "# tidy\n")
    _, output = harness(fake_repo)
    assert "SystemExit" in line_of(output, "01_add"), output
    assert "passed (2 of 2)" in line_of(output, "02_greet"), "02 is judged on its own code"
    assert "not started (0 of 1)" in line_of(output, "03_wait"), output
    fake.write(fake_repo, "01_add", fake.STUBS["01_add"])
    again = progress.refresh(fake_repo)
    assert again.ran == ["01_add"], "02's result came from the cache, and it is right"
    assert again.get("02_greet").state == "passed"


def test_an_interrupt_and_an_exit_0_are_reported_in_their_kata_and_the_next_kata_still_runs(
    fake_repo,
):
    fake.write(fake_repo, "01_add", fake.INTERRUPTING_ADD)
    fake.write(fake_repo, "02_greet", fake.EXITING_ZERO_GREET)
    fake.write(fake_repo, "03_wait", fake.SOLVED["03_wait"])
    result = progress.refresh(fake_repo)
    add, greet, wait = (result.get(name) for name in ("01_add", "02_greet", "03_wait"))
    assert add.state == "crashed" and "KeyboardInterrupt" in add.message, add
    assert "test_two_and_three_make_five" in add.message
    assert greet.state == "crashed" and "(exit code 0)" in greet.message, greet
    assert (wait.state, wait.passed, wait.total) == ("passed", 1, 1), "a pass is still a pass"
    assert len(result.sessions) == 3, "each death started a new session for the katas left"
    again = progress.refresh(fake_repo)
    assert again.ran == ["01_add"], "an interrupted session's result is never cached"
    assert again.get("02_greet").state == "crashed", "an exit of the kata's own is"


def lingering_marks(mark: Path, count: int = 1) -> list[dict]:
    """The lines LINGERING_ADD wrote, once ``count`` of them are there."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = mark.read_text().splitlines() if mark.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"the kata never started: {mark} has no line")


def gone(pid: int) -> bool:
    """Has process ``pid`` ended (and been reaped, or become a zombie)?"""
    if Path("/proc/self").exists():  # Linux: a zombie has ended, its parent just did not reap it
        try:
            status = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        return status.rsplit(") ", 1)[1].startswith("Z")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def assert_nothing_left(seen: list[dict]) -> None:
    """Within seconds, every process the kata started is gone, and so are the folders."""
    __tracebackhide__ = True
    pids = [pid for mark in seen for pid in (mark["pid"], mark["sleeper"])]
    folders = [Path(mark["pymp"]) for mark in seen] + [Path(seen[0]["pymp"]).parent]

    def left() -> list[object]:
        return [pid for pid in pids if not gone(pid)] + [f for f in folders if f.exists()]

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and left():
        time.sleep(0.05)
    assert not left(), f"still there after the harness ended (processes, folders): {left()}\n{described(left())}"


def described(leftovers: list[object]) -> str:
    """pid, parent, group, state and command of each process left (Linux's /proc)."""
    lines = []
    for pid in (p for p in leftovers if isinstance(p, int)):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
            lines.append(f"{pid}: state {stat[0]} parent {stat[1]} group {stat[2]}: {command}")
    return "\n".join(lines)


@POSIX_ONLY
def test_a_thread_that_never_ends_holds_neither_the_run_nor_any_process(fake_repo, monkeypatch):
    mark = fake_repo / "mark.jsonl"
    monkeypatch.setenv("KATA_MARK", str(mark))
    fake.write(fake_repo, "01_add", fake.LINGERING_ADD)
    started = time.monotonic()
    result = progress.refresh(fake_repo)
    took = time.monotonic() - started
    assert result.get("01_add").state == "passed"
    assert took < runner.EXIT_GRACE + 20, f"status took {took:.1f} s"
    assert_nothing_left(lingering_marks(mark, 2))


# --- whatever stops the harness stops its children ------------------------------------------
STOPS = {
    "ctrl-c": (signal.SIGINT, True, 130),  # the terminal signals the foreground group
    "sigterm": (signal.SIGTERM, False, 128 + signal.SIGTERM),
    "terminal closed": (getattr(signal, "SIGHUP", 1), True, 128 + getattr(signal, "SIGHUP", 1)),
    "sigkill": (getattr(signal, "SIGKILL", 9), False, -getattr(signal, "SIGKILL", 9)),
}


@POSIX_ONLY
@pytest.mark.parametrize("stop", STOPS, ids=list(STOPS))
def test_stopping_the_harness_stops_every_test_process_and_removes_its_temp_folder(
    fake_repo, stop
):
    signum, to_the_group, exit_code = STOPS[stop]
    mark = fake_repo / "mark.jsonl"
    fake.write(fake_repo, "01_add", fake.LINGERING_ADD)
    # As a terminal starts it: Ctrl-C raises KeyboardInterrupt even where this test runs
    # in the background of a script (which starts it with SIGINT ignored).
    start = (
        "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "runpy.run_module('harness', run_name='__main__')"
    )
    harness_process = subprocess.Popen(
        [sys.executable, "-c", start, "--root", str(fake_repo)],
        cwd=catalog_module.ROOT,
        env={**os.environ, "KATA_MARK": str(mark)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group, as a shell gives a foreground job
    )
    seen = lingering_marks(mark)
    if to_the_group:
        os.killpg(harness_process.pid, signum)
    else:
        os.kill(harness_process.pid, signum)
    try:
        _, errors = harness_process.communicate(timeout=20)
    finally:
        if harness_process.poll() is None:
            harness_process.kill()
    assert harness_process.returncode == exit_code, errors.decode()
    assert b"Traceback" not in errors, errors.decode()
    assert_nothing_left(seen)


# --- what a session's events mean -------------------------------------------------------------
def session_of(
    *events: dict, code: int = 0, killed: bool = False, output: str = ""
) -> runner.Session:
    return runner.Session(list(events), code, output, 1.0, killed=killed, idle_limit=3.0)


def collected(root: Path, kata: str, *tests: str) -> list[dict]:
    path = str(root / "katas" / kata / "test_kata.py")
    return [{"event": "collected", "nodeid": f"{kata}::{t}", "file": path} for t in tests]


def passed(kata: str, test: str) -> list[dict]:
    nodeid = f"{kata}::{test}"
    return [
        {"event": "start", "nodeid": nodeid},
        {"event": "report", "nodeid": nodeid, "when": "call", "outcome": "passed", "duration": 0},
        {"event": "finish", "nodeid": nodeid},
    ]


def started(nodeid: str) -> dict:
    return {"event": "start", "nodeid": nodeid}


def split(root: Path, session: runner.Session) -> dict[str, runner.KataRun]:
    catalog = catalog_module.load(root)
    return runner.split_by_kata(session, catalog, [catalog.get("01"), catalog.get("02")])


def test_an_interrupted_session_finishes_only_the_katas_it_reached(fake_template):
    events = [
        *collected(fake_template, "01_add", "one", "two"),
        *collected(fake_template, "02_greet", "ana"),
        *passed("01_add", "one"),
        {"event": "start", "nodeid": "01_add::two"},
        {"event": "done", "exitstatus": 2},
        {"event": "exit"},
    ]
    runs = split(fake_template, session_of(*events, code=2))
    add, greet = runs["01_add"], runs["02_greet"]
    assert add.finished and not add.cacheable and "interrupted while running two" in add.crashed
    assert not greet.finished, "02 never ran: it runs again, and nothing is cached for it"


def test_a_session_that_ends_with_exit_code_0_before_its_summary_finishes_nothing_it_missed(
    fake_template,
):
    events = [
        *collected(fake_template, "01_add", "one"),
        *collected(fake_template, "02_greet", "ana"),
        *passed("01_add", "one"),
    ]
    runs = split(fake_template, session_of(*events, code=0))
    assert runs["01_add"].finished and runs["01_add"].all_passed
    assert not runs["02_greet"].finished


def test_a_timeout_that_ended_the_process_is_reported_as_a_timeout_with_its_words(fake_template):
    events = [*collected(fake_template, "01_add", "one"), started("01_add::one")]
    said = "Timeout: the test still would not stop 4 alarms later; a task keeps swallowing it."
    runs = split(fake_template, session_of(*events, code=1, output=f"F\n{said}\n"))
    add = runs["01_add"]
    assert add.hung and add.tests[0].outcome == "timeout" and add.crashed.startswith(said)
    assert progress.status_of(add, untouched=False).state == "timeout"


def test_a_session_killed_from_outside_is_not_cached(fake_template):
    events = [*collected(fake_template, "01_add", "one"), started("01_add::one")]
    add = split(fake_template, session_of(*events, code=-signal.SIGTERM))["01_add"]
    assert add.finished and not add.cacheable
    hung = split(fake_template, session_of(*events, code=-9, killed=True))["01_add"]
    assert hung.hung and hung.cacheable, "a hang the harness stopped is the kata's own result"


@pytest.mark.parametrize(
    ("before", "trouble", "passing", "untouched", "again"),
    [
        ("", False, False, "", False),  # first in its session: nothing else ran before
        ("01_add", False, True, "", False),  # it passed
        ("01_add", False, False, "02_greet", False),  # a stub, after well-behaved katas
        # the learner's code failed after the learner's: the judge undid what that changed
        ("01_add", False, False, "", False),
        ("01_add", False, False, "01_add", False),  # ... after an untouched stub only
        ("01_add", True, False, "01_add 02_greet", True),  # after a kata that misbehaved
    ],
)
def test_a_failure_that_may_be_another_katas_doing_runs_again_alone(
    fake_template, before, trouble, passing, untouched, again
):
    run = runner.KataRun(catalog_module.load(fake_template).get("02"))
    run.ran_after, run.after_trouble = tuple(before.split()), trouble
    run.tests = [runner.TestRun("t", "f", outcome="passed" if passing else "failed")]
    assert runner.needs_a_second_look(run, set(untouched.split())) is again


def test_the_states_the_cache_accepts_are_the_states_status_shows():
    assert set(state.RESULT_STATES) <= set(progress.STATE_WORDS)
    assert set(progress.STATE_WORDS) - set(state.RESULT_STATES) == {"missing"}


@POSIX_ONLY
def test_a_folder_left_after_pytest_ends_is_removed_when_the_harness_end_of_the_pipe_closes(tmp_path):
    """pytest finished, then the harness was killed before removing the run's folder: the
    process launch leaves behind removes it as soon as the pipe's other end closes."""
    from harness import launch

    folder = tmp_path / "harness-run"
    (folder / "pymp-x").mkdir(parents=True)
    read_end, write_end = os.pipe()
    keeper = launch.leave_folder_to_the_pipe(read_end, str(folder))
    assert keeper is not None
    os.close(read_end)
    time.sleep(0.3)
    assert folder.exists(), "the folder went while the harness still held the pipe"
    os.close(write_end)  # as the kernel does for a harness killed with SIGKILL
    assert keeper.wait(timeout=10) == 0
    assert not folder.exists(), "the folder outlived the harness"
