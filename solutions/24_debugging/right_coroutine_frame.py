"""Accepted: the coroutine's own frame (task.get_coro().cr_frame); a done-callback that
asks task.result() and catches what it raises; slow_callbacks as a class, reading the
record's arguments."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    task: str
    function: str
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.task}: waiting in {self.function}() at {self.file}:{self.line}"


def waiting_tasks() -> list[Waiting]:
    me = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks() - {me}:
        frame = getattr(task.get_coro(), "cr_frame", None)
        if frame is not None:
            found.append(
                Waiting(task.get_name(), frame.f_code.co_name, frame.f_code.co_filename, frame.f_lineno)
            )
    return found


ErrorHandler = Callable[[str, BaseException], None]
RUNNING: dict[str, asyncio.Task] = {}


def fire_and_forget(coro: Coroutine, *, name: str, on_error: ErrorHandler) -> asyncio.Task:
    def report(task: asyncio.Task) -> None:
        RUNNING.pop(task.get_name(), None)
        try:
            task.result()
        except asyncio.CancelledError:
            pass
        except Exception as error:
            on_error(task.get_name(), error)

    task = RUNNING[name] = asyncio.create_task(coro, name=name)
    task.add_done_callback(report)
    return task


@dataclass(frozen=True)
class SlowStep:
    what: str
    seconds: float


class slow_callbacks(logging.Handler):  # noqa: N801 - used like the function it replaces
    """`with slow_callbacks(threshold) as slow:` collects debug mode's reports."""

    def __init__(self, threshold: float) -> None:
        super().__init__()
        self.threshold = threshold
        self.steps: list[SlowStep] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("Executing") and len(record.args) == 2:
            what, seconds = record.args
            self.steps.append(SlowStep(str(what), float(seconds)))

    def __enter__(self) -> list[SlowStep]:
        self.loop = asyncio.get_running_loop()
        self.saved = self.loop.get_debug(), self.loop.slow_callback_duration
        logging.getLogger("asyncio").addHandler(self)
        self.loop.set_debug(True)
        self.loop.slow_callback_duration = self.threshold
        return self.steps

    def __exit__(self, *exc_info: object) -> None:
        debug, self.loop.slow_callback_duration = self.saved
        self.loop.set_debug(debug)
        logging.getLogger("asyncio").removeHandler(self)
