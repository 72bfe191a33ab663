"""Mistake: waiting for the process to end (process.wait()), then reading its pipes: a
command that prints more than a pipe holds waits for a reader, forever."""

import asyncio
import sys
from asyncio.subprocess import PIPE
from dataclasses import dataclass

MISTAKE = "a pipe holds 64 KiB: when nobody reads it"

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
        await asyncio.wait_for(process.wait(), timeout)  # <- mistake
    except TimeoutError:
        process.kill()
        await process.wait()
        return Outcome(command, process.returncode, "", "", timed_out=True)
    stdout, stderr = await process.stdout.read(), await process.stderr.read()
    return Outcome(command, process.returncode, stdout.decode(), stderr.decode())


async def run_commands(commands: list[list[str]], timeout: float) -> list[Outcome]:
    return await asyncio.gather(*(run_command(command, timeout) for command in commands))


async def count_lines(log_name: str) -> int:
    outcome = await run_command([*LINE_COUNTER, log_name], COUNT_TIMEOUT)
    if outcome.returncode != 0:
        raise CommandFailed(outcome)
    return int(outcome.stdout)
