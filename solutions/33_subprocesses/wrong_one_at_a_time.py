"""Mistake: awaiting each command before starting the next: five jobs take five times as long."""

import asyncio
import sys
from asyncio.subprocess import PIPE
from dataclasses import dataclass

MISTAKE = ("your 5 jobs ran one at a time", "each job saw only itself running")

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
    process = await asyncio.create_subprocess_exec(*command, stdout=PIPE, stderr=PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        stdout, stderr = await process.communicate()  # drains the pipes, then waits for its end
        return Outcome(command, process.returncode, stdout.decode(), stderr.decode(), timed_out=True)
    return Outcome(command, process.returncode, stdout.decode(), stderr.decode())


async def run_commands(commands: list[list[str]], timeout: float) -> list[Outcome]:
    return [await run_command(command, timeout) for command in commands]  # <- mistake


async def count_lines(log_name: str) -> int:
    outcome = await run_command([*LINE_COUNTER, log_name], COUNT_TIMEOUT)
    if outcome.returncode != 0:
        raise CommandFailed(outcome)
    return int(outcome.stdout)
