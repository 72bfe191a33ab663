"""Mistake: building a command line with the user's log name and handing it to a shell
(create_subprocess_shell): characters such as `&` in the name run commands of their own."""

import asyncio
import shlex
import sys
from asyncio.subprocess import PIPE
from dataclasses import dataclass

MISTAKE = ("ran `echo injected` as a command", "create_subprocess_shell hands the whole string to a shell")

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
    return await asyncio.gather(*(run_command(command, timeout) for command in commands))


async def count_lines(log_name: str) -> int:
    process = await asyncio.create_subprocess_shell(
        f"{shlex.join(LINE_COUNTER)} {log_name}", stdout=PIPE, stderr=PIPE  # <- mistake
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), COUNT_TIMEOUT)
    outcome = Outcome([LINE_COUNTER[0], log_name], process.returncode, stdout.decode(), stderr.decode())
    if outcome.returncode != 0:
        raise CommandFailed(outcome)
    return int(outcome.stdout)
