"""Mistake: the report names each task by its coroutine function, not by the task's name."""

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass

MISTAKE = "the task's own name is 'dispatch-orders'"


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
        report.append(Waiting(code.co_name, code.co_name, code.co_filename, frame.f_lineno))  # <- mistake
    return report


ErrorHandler = Callable[[str, BaseException], None]
_background: set[asyncio.Task] = set()


def fire_and_forget(coro: Coroutine, *, name: str, on_error: ErrorHandler) -> asyncio.Task:
    task = asyncio.create_task(coro, name=name)
    _background.add(task)

    def finished(task: asyncio.Task) -> None:
        _background.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            on_error(task.get_name(), error)

    task.add_done_callback(finished)
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
