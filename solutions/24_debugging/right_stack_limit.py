"""Accepted: get_stack(limit=1) and the frame's qualified name; the background tasks of
an object of their own, the callback as a method; slow_callbacks with an ExitStack of
undo steps and a regular expression."""

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Coroutine, Iterator
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
    here = asyncio.current_task()
    return [
        Waiting(task.get_name(), frame.f_code.co_qualname, frame.f_code.co_filename, frame.f_lineno)
        for task in asyncio.all_tasks()
        if task is not here
        for frame in task.get_stack(limit=1)
    ]


ErrorHandler = Callable[[str, BaseException], None]


class Background:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task] = set()

    def start(self, coro: Coroutine, name: str, on_error: ErrorHandler) -> asyncio.Task:
        task = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(lambda done: self.finished(done, on_error))
        return task

    def finished(self, task: asyncio.Task, on_error: ErrorHandler) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            on_error(task.get_name(), task.exception())


BACKGROUND = Background()


def fire_and_forget(coro: Coroutine, *, name: str, on_error: ErrorHandler) -> asyncio.Task:
    return BACKGROUND.start(coro, name, on_error)


@dataclass(frozen=True)
class SlowStep:
    what: str
    seconds: float


REPORT = re.compile(r"Executing (.*) took (\d+\.\d+) seconds", re.DOTALL)


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.steps: list[SlowStep] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = REPORT.fullmatch(record.getMessage())
        if found:
            self.steps.append(SlowStep(found[1], float(found[2])))


@contextlib.contextmanager
def slow_callbacks(threshold: float) -> Iterator[list[SlowStep]]:
    loop = asyncio.get_running_loop()
    collect = Collect()
    with contextlib.ExitStack() as undo:
        undo.callback(loop.set_debug, loop.get_debug())
        undo.callback(setattr, loop, "slow_callback_duration", loop.slow_callback_duration)
        logging.getLogger("asyncio").addHandler(collect)
        undo.callback(logging.getLogger("asyncio").removeHandler, collect)
        loop.set_debug(True)
        loop.slow_callback_duration = threshold
        yield collect.steps
