"""Accepted: the synchronous `subprocess.Popen` API, each command in a worker thread
(`asyncio.to_thread`), where communicate(timeout=...), kill() and a second communicate()
may block: only the thread waits, never the loop."""

import asyncio
import subprocess
import sys
from dataclasses import dataclass
from subprocess import PIPE

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


def run_blocking(command: list[str], timeout: float) -> Outcome:
    with subprocess.Popen(command, stdout=PIPE, stderr=PIPE) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()  # waits for it: nothing left behind
            timed_out = True
    return Outcome(command, process.returncode, stdout.decode(), stderr.decode(), timed_out)


async def run_command(command: list[str], timeout: float) -> Outcome:
    return await asyncio.to_thread(run_blocking, command, timeout)


async def run_commands(commands: list[list[str]], timeout: float) -> list[Outcome]:
    return list(await asyncio.gather(*(asyncio.to_thread(run_blocking, c, timeout) for c in commands)))


async def count_lines(log_name: str) -> int:
    outcome = await run_command([*LINE_COUNTER, log_name], COUNT_TIMEOUT)
    if outcome.returncode != 0:
        raise CommandFailed(outcome)
    return int(outcome.stdout)
