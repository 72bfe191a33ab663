"""Kata 33 — subprocesses. Run: pytest katas/33_subprocesses"""

import asyncio
import os
import sys
import threading
import time

import pytest

from harness.judge import assert_result, expect, fail, wrote

PYTHON = sys.executable  # every command is `python -c ...`: the same on every platform

# Prints a report to stdout and a warning to stderr (bytes, so no platform changes a
# newline), and ends with return code 3.
REPORT = [
    PYTHON,
    "-c",
    "import sys; sys.stdout.buffer.write(b'backup ok\\n'); "
    "sys.stderr.buffer.write(b'3 files skipped\\n'); sys.exit(3)",
]
# Writes 1 MiB to stderr, then 1 MiB to stdout, and ends: far more than a pipe holds (64
# KiB on Linux) plus what asyncio buffers before it stops reading a pipe nobody reads
# (128 KiB and a chunk), so it finishes only if both pipes are read while it runs.
CHATTY_BYTES = 1024 * 1024
CHATTY = [
    PYTHON,
    "-c",
    f"import sys; sys.stderr.buffer.write(b'w' * {CHATTY_BYTES}); "
    f"sys.stdout.buffer.write(b'o' * {CHATTY_BYTES})",
]
CHATTY_TIMEOUT = 1.0  # it takes a few ms; the pipes of a caller that does not read them fill up
# Writes its pid, then a heartbeat byte every 10 ms, for 30 s: a command that hangs.
HUNG_SCRIPT = """
import os, sys, time
with open(sys.argv[1], "w") as pid_file:
    pid_file.write(str(os.getpid()))
with open(sys.argv[2], "ab", buffering=0) as heartbeat:
    for _ in range(3000):
        heartbeat.write(b".")
        time.sleep(0.01)
"""
HUNG_TIMEOUT = 0.2
# How long run_command may take for a command that never ends: 7.5x its timeout (the kill
# and the wait take milliseconds).
PATIENCE = 1.5
STILL_BEATING = 0.1  # seconds to watch the heartbeat of a killed command: 10 beats if alive

# Five jobs that meet: each one notes that it is running, then that it has started, and
# waits until all five have started (or until the test says to stop waiting, BARRIER_WAIT
# seconds after it began), then writes down how many were running at that moment. Run together, they
# meet at once; run one at a time, each sees only itself. Evidence, not a clock.
JOBS = ["backup-db", "rotate-logs", "sync-mirror", "compress-archive", "verify-checksums"]
BARRIER = """
import os, sys, time
stage, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def mark(kind):
    open(os.path.join(stage, kind + "-" + name), "w").close()
def present(kind):
    return sum(1 for f in os.listdir(stage) if f.startswith(kind + "-"))
mark("running")
mark("started")
while present("started") < count and not os.path.exists(os.path.join(stage, "release")):
    time.sleep(0.005)
with open(os.path.join(stage, "seen-" + name), "w") as seen:
    seen.write(str(present("running")))
os.remove(os.path.join(stage, "running-" + name))
sys.stdout.write(name)
"""
# Long enough for a job to start on a busy machine (a start takes 20-300 ms here, with
# both cores busy); a job run alone waits this long for the others, then goes on.
BARRIER_WAIT = 1.0
JOB_TIMEOUT = 3 * BARRIER_WAIT

PIPES_WHY = (
    " The command ends in a few ms once its output is read, but a pipe holds 64 KiB: when "
    "nobody reads it, the command waits to write, and waiting for the command (process.wait(), "
    "or reading stdout to its end before stderr) waits for good."
)
PIPES_FIX = (
    "`stdout, stderr = await process.communicate()`: it reads both pipes at once while it "
    "waits for the process to end (after a kill, too)."
)
SHELL_FIX = (
    "pass the arguments as a list to asyncio.create_subprocess_exec(*LINE_COUNTER, log_name, ...): "
    "each one reaches the program as it is, and no shell reads them."
)


def one_line(script: str) -> str:
    """The script as a one-line `-c` argument, so a command reads well in a message."""
    return f"exec({script.strip()!r})"


async def within_patience(awaitable, what: str, *, fix: str, why: str = ""):
    """Await the code under test; still waiting after PATIENCE seconds is a failure."""
    __tracebackhide__ = True
    try:
        async with asyncio.timeout(PATIENCE) as patience:
            return await awaitable
    except TimeoutError:
        if not patience.expired():
            raise  # the code's own TimeoutError
        fail(f"{what} was still waiting after {PATIENCE:.1f} s.{why}", fix=fix)


def check_outcome(outcome, kata, *, call: str) -> None:
    """An Outcome (not a coroutine or a tuple), with text, not bytes."""
    __tracebackhide__ = True
    if not isinstance(outcome, kata.Outcome):
        assert_result(outcome, "an Outcome", call=call)
    for stream in ("stdout", "stderr"):
        value = getattr(outcome, stream)
        if isinstance(value, bytes):
            fail(
                f"{call} returned {stream}={value[:20]!r}...: bytes, not text.",
                fix=f"decode what the process printed: `{stream}.decode()` (UTF-8).",
            )


# --- one command ---------------------------------------------------------------------------
async def test_the_output_and_return_code_of_a_command_are_captured(kata):
    """stdout and stderr are pipes you read (communicate); the return code comes from the process."""
    call = "run_command(<prints 'backup ok', warns '3 files skipped', exits 3>)"
    outcome = await within_patience(
        kata.run_command(REPORT, timeout=5.0), call, fix="await process.communicate() for its output."
    )
    check_outcome(outcome, kata, call=call)
    if outcome.stdout == "" and outcome.stderr == "" and not outcome.timed_out:
        fail(
            f"{call} captured nothing: stdout={outcome.stdout!r}, stderr={outcome.stderr!r}.",
            fix="start it with stdout=asyncio.subprocess.PIPE and stderr=asyncio.subprocess.PIPE, "
            "then `stdout, stderr = await process.communicate()`.",
        )
    if "3 files skipped" in outcome.stdout:
        fail(
            f"{call} mixed stderr into stdout: stdout={outcome.stdout!r}.",
            fix="keep them apart: stderr=asyncio.subprocess.PIPE (not STDOUT).",
        )
    expected = kata.Outcome(REPORT, 3, "backup ok\n", "3 files skipped\n", False)
    assert_result(outcome, expected, call=call)


async def test_a_command_that_prints_a_lot_is_captured_whole(kata):
    """A pipe holds 64 KiB: read stdout and stderr while the process runs, with communicate()."""
    call = "run_command(<writes 1 MiB to stderr, then 1 MiB to stdout, and ends>, timeout=1.0)"
    outcome = await within_patience(
        kata.run_command(CHATTY, timeout=CHATTY_TIMEOUT), call, fix=PIPES_FIX, why=PIPES_WHY
    )
    check_outcome(outcome, kata, call=call)
    if outcome.timed_out:
        fail(f"{call} reported a timeout.{PIPES_WHY}", fix=PIPES_FIX)
    expect(
        (len(outcome.stdout), len(outcome.stderr)) == (CHATTY_BYTES, CHATTY_BYTES),
        f"{call} captured {len(outcome.stdout)} characters of stdout and {len(outcome.stderr)} "
        f"of stderr; expected {CHATTY_BYTES} of each.",
        fix="`stdout, stderr = await process.communicate()` collects everything.",
    )


async def test_a_hung_command_is_killed_at_its_timeout_and_waited_for(kata, tmp_path):
    """A command past its timeout is killed, and its end awaited: nothing is left running."""
    pid_file, heartbeat = tmp_path / "hung.pid", tmp_path / "hung.beats"
    command = [PYTHON, "-c", one_line(HUNG_SCRIPT), str(pid_file), str(heartbeat)]
    call = f"run_command(<a command that never ends>, timeout={HUNG_TIMEOUT})"
    started = time.perf_counter()
    try:
        outcome = await within_patience(
            kata.run_command(command, timeout=HUNG_TIMEOUT),
            call,
            fix="stop waiting at the timeout: `await asyncio.wait_for(process.communicate(), timeout)` "
            "(or `async with asyncio.timeout(timeout):`), then kill it.",
        )
    except TimeoutError:
        fail(
            f"{call} raised TimeoutError instead of returning an Outcome with timed_out=True.",
            fix="catch TimeoutError around the wait, then `process.kill()`, `await "
            "process.communicate()` (or process.wait()), and return Outcome(..., timed_out=True).",
        )
    elapsed = time.perf_counter() - started
    check_outcome(outcome, kata, call=call)
    if await heartbeat_goes_on(heartbeat):
        fail(
            f"{call} returned after {elapsed:.2f} s, but the command was still running.",
            fix="kill it when the timeout expires, `process.kill()`, then `await process.communicate()` "
            "(or process.wait()) for its end.",
        )
    expect(
        outcome.timed_out is True,
        f"{call} returned timed_out={outcome.timed_out!r} for a command it had to kill.",
        fix="return Outcome(..., timed_out=True) when the timeout expired.",
    )
    expect(
        isinstance(outcome.returncode, int),
        f"{call} returned returncode={outcome.returncode!r}: nothing waited for the killed "
        "process to end, so its end (and return code) was not known yet.",
        fix="after process.kill(), `await process.communicate()` (or process.wait()): it returns "
        "once the process has ended, and sets process.returncode.",
    )
    expect(
        outcome.returncode != 0,
        f"{call} returned returncode=0 for a command it killed.",
        fix="report process.returncode as it is once the killed process has ended (negative on "
        "POSIX: the signal that killed it).",
    )
    assert_not_a_zombie(int(pid_file.read_text()), call=call)


async def heartbeat_goes_on(heartbeat) -> bool:
    """True if the hung command is still writing its heartbeat."""
    before = heartbeat.stat().st_size if heartbeat.exists() else 0
    await asyncio.sleep(STILL_BEATING)
    after = heartbeat.stat().st_size if heartbeat.exists() else 0
    return after > before


def assert_not_a_zombie(pid: int, *, call: str) -> None:
    """POSIX: an ended child stays in the process table until its parent collects it.
    (Windows has no zombies: asyncio closes the process handle.)"""
    __tracebackhide__ = True
    if not hasattr(os, "WNOHANG"):
        return
    try:
        found, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return  # collected, as it should be
    expect(
        found == 0,
        f"{call} killed the command but never collected its end: it was left a zombie process.",
        fix="after process.kill(), `await process.communicate()` (or process.wait()).",
    )


# --- many commands -------------------------------------------------------------------------
@pytest.mark.workload
async def test_five_jobs_run_at_the_same_time(kata, tmp_path):
    """Starting a process does not wait for it: start them all, then wait for them together."""
    stage = tmp_path / "stage"
    stage.mkdir()
    commands = [[PYTHON, "-c", one_line(BARRIER), str(stage), job, str(len(JOBS))] for job in JOBS]
    # A thread's timer, not the loop's: it must fire even while the loop is blocked.
    release = threading.Timer(BARRIER_WAIT, (stage / "release").touch)
    release.start()
    try:
        outcomes = await kata.run_commands(commands, timeout=JOB_TIMEOUT)
    finally:
        release.cancel()
    seen = {job: int((stage / f"seen-{job}").read_text()) for job in JOBS if (stage / f"seen-{job}").exists()}
    peak = max(seen.values(), default=0)
    expect(
        peak > 1 or len(seen) < 2,
        f"your {len(JOBS)} jobs ran one at a time: each job saw only itself running "
        f"(and waited {BARRIER_WAIT:.0f} s for the others before giving up).",
        fix="start every command before waiting for any: one run_command per command, "
        "awaited together (asyncio.gather or a TaskGroup).",
    )
    expect(
        peak == len(JOBS),
        f"at most {peak} of your {len(JOBS)} jobs were running at the same time; all "
        f"{len(JOBS)} should be." if seen else f"none of your {len(JOBS)} jobs ran.",
        fix="start every command before waiting for any: one run_command per command, "
        "awaited together (asyncio.gather or a TaskGroup).",
    )
    if not isinstance(outcomes, list) or not all(isinstance(o, kata.Outcome) for o in outcomes):
        assert_result(outcomes, "a list of Outcomes", call="run_commands(five jobs, timeout=3.0)")
    got = [outcome.stdout for outcome in outcomes]
    expect(
        got == JOBS,
        f"run_commands returned the outcomes of {got}; expected them in the order of the "
        f"commands: {JOBS}.",
        fix="return the outcomes in the order of `commands` (asyncio.gather keeps that order).",
    )


# --- a name from a user ----------------------------------------------------------------------
async def test_a_log_name_with_spaces_and_quotes_reaches_the_counter_whole(kata, tmp_path):
    """An argument list hands each argument to the program as it is: no quoting needed."""
    log = tmp_path / "night shift's log.txt"
    log.write_bytes(b"02:00 backup-db ok\n02:10 rotate-logs ok\n02:20 sync-mirror late\n")
    call = "count_lines(\"<tmp>/night shift's log.txt\")"
    try:
        count = await within_patience(kata.count_lines(str(log)), call, fix="run LINE_COUNTER with a timeout.")
    except kata.CommandFailed as error:
        said = (error.outcome.stderr or "").strip().splitlines()[-1:] or ["nothing"]
        fail(
            f"{call} raised CommandFailed: the log's name did not reach the counter whole "
            f"(it said: {said[0][:100]})"
            + (": a shell split it at the space and the quote." if wrote(kata, "create_subprocess_shell") else "."),
            fix=SHELL_FIX,
        )
    assert_result(count, 3, call=call)


async def test_a_log_name_is_never_run_as_a_shell_command(kata, tmp_path):
    """A shell would run `& echo ...` in a name as a second command: no shell for user input."""
    marker = tmp_path / "injected.txt"
    name = f'missing.log & echo injected > "{marker}"'
    call = f"count_lines('missing.log & echo injected > \"{marker.name}\"')"
    try:
        count = await within_patience(kata.count_lines(name), call, fix="run LINE_COUNTER with a timeout.")
    except Exception as error:  # noqa: BLE001 - the shell comes first; the error is raised below
        raised = error
    else:
        raised = None
    if marker.exists():
        fail(
            f"{call} ran `echo injected` as a command: a shell read the log's name and "
            f"created {marker.name}. Whoever names a log can run any command on this machine"
            + (": create_subprocess_shell hands the whole string to a shell." if wrote(kata, "create_subprocess_shell") else "."),
            fix=SHELL_FIX,
        )
    if raised is not None and not isinstance(raised, kata.CommandFailed):
        raise raised
    failed = raised
    if failed is None:
        fail(
            f"{call} returned {count!r}; there is no such log, so the counter fails.",
            fix="check outcome.returncode (not 0: the counter failed) and raise CommandFailed(outcome).",
        )
    expect(
        "missing.log & echo injected" in " ".join(failed.outcome.command),
        "CommandFailed's outcome does not show the command that failed.",
        fix="raise CommandFailed(outcome) with the Outcome of the counter's run.",
    )
    expect(
        "FileNotFoundError" in failed.outcome.stderr,
        f"the counter's error was not captured: CommandFailed's outcome.stderr is "
        f"{failed.outcome.stderr[:60]!r}.",
        fix="capture stderr (stderr=asyncio.subprocess.PIPE) and keep it in the Outcome.",
    )
