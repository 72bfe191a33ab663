"""Mistake: a try/except around create_task to catch the background task's error:
the error happens later, inside the task, and nobody sees it."""

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass

MISTAKE = ("on_error was never called", "nothing awaited it")


@dataclass(frozen=True)
class Waiting:
    task: str
    function: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.task}: waiting in {self.function}() at {self.file}:{self.line}"


def waiting_tasks() -> list[Waiting]:
    report = []
    for task in asyncio.all_tasks():
        if task is asyncio.current_task():
            continue
        stack = task.get_stack()
        if not stack:
            continue  # not started yet, or already done
        frame = stack[-1]
        code = frame.f_code
        report.append(Waiting(task.get_name(), code.co_name, code.co_filename, frame.f_lineno))
    return report


ErrorHandler = Callable[[str, BaseException], None]
_background: set[asyncio.Task] = set()


def fire_and_forget(coro: Coroutine, *, name: str, on_error: ErrorHandler) -> asyncio.Task:
    try:
        task = asyncio.create_task(coro, name=name)  # <- mistake
    except Exception as error:
        on_error(name, error)
        raise
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


@dataclass(frozen=True)
class SlowStep:
    what: str
    seconds: float


SLOW = re.compile(r"^Executing (?P<what>.+) took (?P<seconds>[\d.]+) seconds$", re.DOTALL)


class _SlowSteps(logging.Handler):
    """Keeps debug mode's slow-callback reports as SlowSteps."""

    def __init__(self, found: list[SlowStep]) -> None:
        super().__init__(logging.WARNING)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        report = SLOW.match(record.getMessage())
        if report:
            self.found.append(SlowStep(report["what"], float(report["seconds"])))


@contextlib.contextmanager
def slow_callbacks(threshold: float) -> Iterator[list[SlowStep]]:
    loop = asyncio.get_running_loop()
    found: list[SlowStep] = []
    handler = _SlowSteps(found)
    asyncio_log = logging.getLogger("asyncio")
    debug, duration = loop.get_debug(), loop.slow_callback_duration
    asyncio_log.addHandler(handler)
    loop.set_debug(True)
    loop.slow_callback_duration = threshold
    try:
        yield found
    finally:
        loop.slow_callback_duration = duration
        loop.set_debug(debug)
        asyncio_log.removeHandler(handler)
