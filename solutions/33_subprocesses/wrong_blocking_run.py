"""Mistake: subprocess.run in a coroutine: starting the process and waiting for it block
the event loop, so nothing else runs meanwhile."""

import asyncio
import subprocess
import sys
from asyncio.subprocess import PIPE
from dataclasses import dataclass

MISTAKE = ("the event loop was blocked by subprocess.Popen", "wrong_blocking_run.py:{line} in run_command()")

LINE_COUNTER = [sys.executable, "-c", "import sys; print(sum(1 for _ in open(sys.argv[1], 'rb')))"]
COUNT_TIMEOUT = 10.0


@dataclass
class Outcome:
    command: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False


class CommandFailed(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(f"{outcome.command[-1]!r} failed with return code {outcome.returncode}")
        self.outcome = outcome


async def run_command(command: list[str], timeout: float) -> Outcome:
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout)  # <- mistake
    except subprocess.TimeoutExpired:
        return Outcome(command, -9, "", "", timed_out=True)
    return Outcome(command, done.returncode, done.stdout.decode(), done.stderr.decode())


async def run_commands(commands: list[list[str]], timeout: float) -> list[Outcome]:
    return await asyncio.gather(*(run_command(command, timeout) for command in commands))


async def count_lines(log_name: str) -> int:
    outcome = await run_command([*LINE_COUNTER, log_name], COUNT_TIMEOUT)
    if outcome.returncode != 0:
        raise CommandFailed(outcome)
    return int(outcome.stdout)
