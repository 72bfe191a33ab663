"""Kata 24 — debugging a running program: name your tasks and ask the loop what each
one waits for; give fire-and-forget tasks a done-callback so their errors are seen;
let asyncio's debug mode report the callbacks that hold the loop too long.

Edit this file until `pytest katas/24_debugging` is green.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass


# --- 1. what is every task waiting for? ----------------------------------------------------
@dataclass(frozen=True)
class Waiting:
    """One task and where its coroutine waits."""

    task: str  # the task's name (task.get_name())
    function: str  # the coroutine function it runs
    file: str
    line: int  # the line where it waits: its `await`

    def __str__(self) -> str:
        return f"{self.task}: waiting in {self.function}() at {self.file}:{self.line}"


def waiting_tasks() -> list[Waiting]:
    """Every task of the running loop except the one calling this: its name, and where
    its coroutine is waiting (call it from a coroutine).

    for line in waiting_tasks(): print(line)  # dispatch-orders: waiting in dispatch_orders() at shop.py:14
    """
    # TODO: asyncio.all_tasks(), leave out asyncio.current_task(); for each task its
    # name, and the frame of its coroutine (task.get_stack()): the frame's code has the
    # function name and file, its f_lineno is the line where it waits.
    raise NotImplementedError


# --- 2. a background task whose error is never lost -----------------------------------------
ErrorHandler = Callable[[str, BaseException], None]


def fire_and_forget(coro: Coroutine, *, name: str, on_error: ErrorHandler) -> asyncio.Task:
    """Run `coro` in the background as a task named `name`, and return the task.

    Nobody will await it, so:
    - keep a reference to it until it is done (the loop only keeps a weak one);
    - when it fails, call on_error(name, error); a cancelled task is not an error.
    """
    # TODO: asyncio.create_task(coro, name=name), keep it in a set, and
    # task.add_done_callback(...) that lets it go and reports its error.
    raise NotImplementedError


# --- 3. who holds the loop too long? ----------------------------------------------------------
@dataclass(frozen=True)
class SlowStep:
    """One report of debug mode: what held the loop, and for how long."""

    what: str  # asyncio's description of the callback (for a task's step: the task)
    seconds: float


@contextlib.contextmanager
def slow_callbacks(threshold: float) -> Iterator[list[SlowStep]]:
    """Inside the `with` block, asyncio's debug mode reports every callback (every step of
    a task) that holds the running loop longer than `threshold` seconds: collect those
    reports in the list this yields, each with its duration. Afterwards, the loop and
    logging are as they were.

    with slow_callbacks(0.05) as slow:
        await serve_orders()
    print(slow)  # [SlowStep(what="<Task ... name='recalculate-prices' ...>", seconds=0.21)]
    """
    # TODO: loop.set_debug(True) and loop.slow_callback_duration = threshold; debug mode
    # logs each report with logging.getLogger("asyncio") as "Executing <what> took 0.210
    # seconds": catch them with a logging.Handler added to that logger. Undo everything
    # in `finally:`.
    raise NotImplementedError
    yield []
