"""Accepted: `async with asyncio.timeout(...)` instead of wait_for; after the kill,
communicate() again collects what the command printed before it was killed; a TaskGroup
runs the commands together."""

import asyncio
import contextlib
import sys
from asyncio.subprocess import PIPE
from dataclasses import dataclass

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
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    timed_out = False
    try:
        async with asyncio.timeout(timeout):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):  # it may have ended meanwhile
            process.kill()
        stdout, stderr = await process.communicate()
    return Outcome(command, process.returncode, stdout.decode(), stderr.decode(), timed_out)


async def run_commands(commands: list[list[str]], timeout: float) -> list[Outcome]:
    async with asyncio.TaskGroup() as group:
        runs = [group.create_task(run_command(command, timeout)) for command in commands]
    return [run.result() for run in runs]


async def count_lines(log_name: str) -> int:
    outcome = await run_command(LINE_COUNTER + [log_name], timeout=COUNT_TIMEOUT)
    if outcome.returncode:
        raise CommandFailed(outcome)
    return int(outcome.stdout.strip())
