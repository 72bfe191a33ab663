"""Kata 33 — subprocesses: `asyncio.create_subprocess_exec` starts a program without
blocking the loop, so several run at once; `communicate()` collects what they print; a
command that hangs is killed at its timeout, and waited for. The arguments go to the
program as a list, never through a shell.

Edit this file until `pytest katas/33_subprocesses` is green.
"""

import asyncio
import sys
from dataclasses import dataclass

# The line counter the night shift uses: LINE_COUNTER + [path] prints the number of lines.
LINE_COUNTER = [sys.executable, "-c", "import sys; print(sum(1 for _ in open(sys.argv[1], 'rb')))"]
COUNT_TIMEOUT = 10.0  # seconds


@dataclass
class Outcome:
    """What one command did. Provided."""

    command: list[str]
    returncode: int | None  # as the ended process reports it (negative: killed by that signal, POSIX)
    stdout: str  # everything it printed, decoded from UTF-8
    stderr: str
    timed_out: bool = False  # True when it was killed at its timeout


class CommandFailed(Exception):
    """A command ended with a non-zero return code. Provided."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"{outcome.command[-1]!r} failed with return code {outcome.returncode}")
        self.outcome = outcome


async def run_command(command: list[str], timeout: float) -> Outcome:
    """Run `command` (the program, then its arguments; no shell) and capture its stdout and
    stderr. If it is still running after `timeout` seconds, kill it, wait for it to end,
    and return timed_out=True (with whatever output you have: "" is fine).

    await run_command([sys.executable, "-c", "print('ok')"], timeout=5)
        -> Outcome(command=[...], returncode=0, stdout="ok\\n", stderr="", timed_out=False)
    """
    # TODO: start it with asyncio.create_subprocess_exec(*command, stdout=..., stderr=...),
    #       collect its output within the timeout; on timeout, kill it and wait for it.
    raise NotImplementedError


async def run_commands(commands: list[list[str]], timeout: float) -> list[Outcome]:
    """Run every command at the same time, each with its own `timeout`; return their
    outcomes in the order of `commands`."""
    # TODO: run them all at once.
    raise NotImplementedError


async def count_lines(log_name: str) -> int:
    """Count the lines of the log a user named, with LINE_COUNTER (timeout COUNT_TIMEOUT).

    The name comes from a user: it must reach the counter as one argument, whatever
    characters it holds, and never be read by a shell. Raise CommandFailed(outcome) when
    the counter fails (e.g. there is no such log).

    await count_lines("night shift's log.txt") -> 3
    """
    # TODO: run LINE_COUNTER with log_name as its last argument; return the number it prints.
    raise NotImplementedError
