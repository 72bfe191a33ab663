"""Kata 24 — debugging. Run: pytest katas/24_debugging"""

import asyncio
import gc
import inspect
import logging
import os
import time
import weakref

import pytest

from harness.judge import excepts, fail

# Debug mode reports a callback that holds the loop longer than THRESHOLD. The price
# recalculation holds it for HOLD (4x the threshold); asyncio's own default threshold,
# 0.1 s, is 2.5x HOLD, so a threshold that was never set reports nothing.
THRESHOLD = 0.01
HOLD = 0.04
REPORTED_WITHIN = 1.0  # a report of a 0.04 s step saying more than this is wrong
PATIENCE = 1.0  # seconds to wait for a background task that takes 0.01 s


class ReceiptError(Exception):
    """What the receipt printer raises."""


# --- the shop's background work: where each coroutine waits is what the report shows -------
async def dispatch_orders(queue: asyncio.Queue) -> None:
    while True:
        order = await queue.get()  # waits here: nobody puts orders any more
        queue.task_done()
        del order


async def refresh_prices(every: float) -> None:
    while True:
        await asyncio.sleep(every)  # waits here, for a minute


async def print_receipt(order: int) -> None:
    await asyncio.sleep(0.01)
    raise ReceiptError(f"receipt of order {order}: the printer is offline")


async def wait_for_courier() -> None:
    await asyncio.get_running_loop().create_future()  # a future only this task knows


async def recalculate_prices() -> None:
    end = time.perf_counter() + HOLD
    while time.perf_counter() < end:  # holds the loop: no await in here
        pass


def waiting_line(function, text: str) -> int:
    """The line of ``function`` that contains ``text`` (where it waits)."""
    lines, first = inspect.getsourcelines(function)
    return next(first + n for n, line in enumerate(lines) if text in line)


# --- 1. the report ----------------------------------------------------------------------------
SHOP_TASKS = {
    "dispatch-orders": (dispatch_orders, "await queue.get()"),
    "refresh-prices": (refresh_prices, "await asyncio.sleep(every)"),
}


async def test_the_report_names_each_waiting_task_and_the_line_it_waits_on(kata):
    """all_tasks(), each task's name, and its frame's line: where a forgotten task waits."""
    tasks = [
        asyncio.create_task(dispatch_orders(asyncio.Queue()), name="dispatch-orders"),
        asyncio.create_task(refresh_prices(60), name="refresh-prices"),
    ]
    await asyncio.sleep(0)  # both start, and stop at their first await
    try:
        report = list(kata.waiting_tasks())
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    shown = "\n".join(f"    {entry}" for entry in report) or "    (nothing)"
    me = asyncio.current_task()
    if any(getattr(entry, "task", None) == me.get_name() for entry in report):
        fail(
            f"waiting_tasks() listed the task that called it ({me.get_name()!r}): it is "
            "running, not waiting.",
            evidence=shown,
            fix="leave out asyncio.current_task().",
        )
    for name, (function, text) in SHOP_TASKS.items():
        line = waiting_line(function, text)
        found = [e for e in report if getattr(e, "task", None) == name]
        by_function = [e for e in report if getattr(e, "function", None) == function.__name__]
        if not found and by_function:
            fail(
                f"waiting_tasks() named the task running {function.__name__}() "
                f"{getattr(by_function[0], 'task', '?')!r}; the task's own name is {name!r}.",
                evidence=shown,
                fix="a task's name is task.get_name() (given with create_task(..., name=...)).",
            )
        if not found:
            fail(
                f"waiting_tasks() did not list the task {name!r}, which was waiting.",
                evidence=shown,
                fix="go through asyncio.all_tasks(): every task of the running loop.",
            )
        entry = found[0]
        where = f"{os.path.basename(str(getattr(entry, 'file', '')))}:{getattr(entry, 'line', '?')}"
        if getattr(entry, "function", None) != function.__name__ or not str(
            getattr(entry, "file", "")
        ).endswith("test_kata.py"):
            fail(
                f"waiting_tasks() said {name!r} waits in {getattr(entry, 'function', '?')}() "
                f"at {where}; it runs {function.__name__}() from test_kata.py.",
                evidence=shown,
                fix="take the frame of the task's coroutine (task.get_stack()[-1]): "
                "frame.f_code.co_name and frame.f_code.co_filename.",
            )
        if getattr(entry, "line", None) != line:
            defined = function.__code__.co_firstlineno
            why = (
                f" (line {defined} is where {function.__name__} is defined)"
                if getattr(entry, "line", None) == defined
                else ""
            )
            fail(
                f"waiting_tasks() said {name!r} waits at line {getattr(entry, 'line', '?')}"
                f"{why}; it waits at line {line}: `{text}`.",
                evidence=shown,
                fix="the line where a suspended coroutine waits is its frame's f_lineno "
                "(the frame from task.get_stack()).",
            )


# --- 2. fire and forget -----------------------------------------------------------------------
class Errors:
    """The on_error handler of these tests: notes each (name, error) it is given."""

    __test__ = False

    def __init__(self) -> None:
        self.seen: list[tuple[str, BaseException]] = []

    def __call__(self, name: str, error: BaseException) -> None:
        self.seen.append((name, error))


class CallbackErrors:
    """The loop's exception handler while a test runs: what callbacks raised."""

    __test__ = False

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.raised: list[dict] = []

    def __enter__(self) -> "CallbackErrors":
        self.previous = self.loop.get_exception_handler()
        self.loop.set_exception_handler(lambda loop, context: self.raised.append(context))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.loop.set_exception_handler(self.previous)


def fire(kata, coro, name: str, errors: Errors) -> asyncio.Task:
    __tracebackhide__ = True
    try:
        task = kata.fire_and_forget(coro, name=name, on_error=errors)
    except BaseException:
        coro.close()  # it never ran: the report is about why, not about the coroutine
        raise
    if not isinstance(task, asyncio.Task):
        fail(
            f"fire_and_forget(..., name={name!r}) returned {task!r}; expected the task it started.",
            fix="`task = asyncio.create_task(coro, name=name)` ... `return task`.",
        )
    if task.get_name() != name:
        fail(
            f"fire_and_forget(..., name={name!r}) started a task named {task.get_name()!r}.",
            fix="name it when you create it: asyncio.create_task(coro, name=name).",
        )
    return task


def tried(kata) -> bool:
    """Whether the learner's fire_and_forget has a try/except of its own."""
    return any(h.where.function == "fire_and_forget" for h in excepts(kata))


async def ended(*tasks: asyncio.Task) -> None:
    """Wait until the tasks are done (without retrieving their errors), then let the
    loop run the done-callbacks they scheduled."""
    await asyncio.wait(tasks, timeout=PATIENCE)
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_failing_background_task_reaches_the_error_handler(kata):
    """A done-callback sees the task end; task.exception() hands over its error."""
    errors = Errors()
    with CallbackErrors(asyncio.get_running_loop()) as callbacks:
        task = fire(kata, print_receipt(7), "print-receipt-7", errors)
        succeeds = fire(kata, asyncio.sleep(0.01), "print-receipt-8", errors)
        await ended(task, succeeds)
        del succeeds
    del task  # never retrieved here: if nothing else retrieves its error, Python says so
    failed = "ReceiptError('receipt of order 7: the printer is offline')"
    if callbacks.raised:
        context = callbacks.raised[0]
        fail(
            f"a done-callback raised {context.get('exception')!r} when the task "
            "'print-receipt-7' failed, so on_error never got the error.",
            fix="in the callback, `error = task.exception()` (it returns the error, it does "
            "not raise it), then `on_error(task.get_name(), error)`.",
        )
    if not errors.seen:
        fail(
            f"the background task 'print-receipt-7' failed with {failed}, and on_error "
            "was never called: nobody awaits the task, so its error goes unseen (Python "
            "would only log 'Task exception was never retrieved', whenever the task is "
            "garbage-collected)." + (
                " A try/except around create_task cannot catch it: the error happens later, "
                "inside the task." if tried(kata) else ""
            ),
            fix="task.add_done_callback(callback): the callback runs when the task ends, "
            "and calls on_error(task.get_name(), task.exception()) if it failed.",
        )
    calls = [(name, type(error).__name__) for name, error in errors.seen]
    if calls != [("print-receipt-7", "ReceiptError")]:
        fail(
            f"on_error was called {len(calls)} time(s), with (name, error type) {calls}; "
            f"expected once, with ('print-receipt-7', {failed}): 'print-receipt-8' succeeded.",
            fix="call on_error only when the task failed: `task.exception()` is not None.",
        )


async def test_a_cancelled_background_task_is_not_an_error(kata):
    """task.exception() raises on a cancelled task: check task.cancelled() first."""
    errors = Errors()
    with CallbackErrors(asyncio.get_running_loop()) as callbacks:
        task = fire(kata, refresh_prices(60), "refresh-prices", errors)
        await asyncio.sleep(0)
        task.cancel()
        await ended(task)
    if callbacks.raised:
        fail(
            f"when the task 'refresh-prices' was cancelled, your done-callback raised "
            f"{type(callbacks.raised[0].get('exception')).__name__}: task.exception() (and "
            "task.result()) raise CancelledError on a cancelled task.",
            fix="return early when `task.cancelled()`: a cancelled task is not an error.",
        )
    if errors.seen:
        fail(
            f"on_error was called with {errors.seen!r} for a task that was cancelled; a "
            "cancellation is not an error.",
            fix="return early when `task.cancelled()`.",
        )


async def test_a_background_task_is_kept_alive_until_it_is_done(kata):
    """The loop holds tasks weakly: fire_and_forget must keep a reference itself."""
    errors = Errors()
    task = fire(kata, wait_for_courier(), "wait-for-courier", errors)
    await asyncio.sleep(0)  # it starts and waits on a future only it knows about
    alive = weakref.ref(task)
    del task
    gc.collect()
    task = alive()
    if task is None:
        fail(
            "the background task 'wait-for-courier' was garbage-collected while it was "
            "still waiting: nothing referred to it (the event loop keeps only a weak "
            "reference to a task).",
            fix="keep each task in a module-level set until it is done: "
            "`background.add(task)`, and `background.discard(task)` in its done-callback.",
        )
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


# --- 3. debug mode ------------------------------------------------------------------------------
async def test_a_slow_step_is_reported_with_its_duration(kata):
    """Debug mode times each callback; one over slow_callback_duration is logged."""
    with kata.slow_callbacks(THRESHOLD) as slow:
        await asyncio.create_task(recalculate_prices(), name="recalculate-prices")
    steps = list(slow)
    shown = "\n".join(f"    {step}" for step in steps[:3]) or "    (nothing)"
    ours = [s for s in steps if "recalculate-prices" in str(getattr(s, "what", ""))]
    if not ours:
        fail(
            f"slow_callbacks({THRESHOLD}) reported no step of the task 'recalculate-prices', "
            f"which held the loop for {HOLD} s, {HOLD / THRESHOLD:.0f}x the threshold. "
            "It reported:",
            evidence=shown,
            fix="debug mode must be on (loop.set_debug(True)), loop.slow_callback_duration "
            "set to the threshold, and a logging.Handler on logging.getLogger('asyncio') "
            "must turn each 'Executing ... took ... seconds' record into a SlowStep.",
        )
    seconds = getattr(ours[0], "seconds", None)
    if not isinstance(seconds, float) or not HOLD * 0.9 <= seconds <= REPORTED_WITHIN:
        fail(
            f"the step of 'recalculate-prices' was reported with seconds={seconds!r}; it "
            f"held the loop for {HOLD} s.",
            evidence=shown,
            fix="asyncio's message says how long: 'Executing <...> took 0.041 seconds' "
            "(record.args holds the two values); keep it as a float.",
        )


async def test_after_the_block_the_loop_and_logging_are_as_they_were(kata):
    """Debug mode slows everything down: switch it off again on the way out."""
    loop = asyncio.get_running_loop()
    loggers = logging.getLogger("asyncio"), logging.getLogger()
    before = loop.get_debug(), loop.slow_callback_duration, [list(lg.handlers) for lg in loggers]
    with kata.slow_callbacks(THRESHOLD):
        await asyncio.sleep(0)
    after = loop.get_debug(), loop.slow_callback_duration, [list(lg.handlers) for lg in loggers]
    if after[0] != before[0]:
        fail(
            "after the `with slow_callbacks(...)` block, the loop was still in debug mode.",
            fix="keep loop.get_debug() before, and set it back in `finally:`.",
        )
    if after[1] != before[1]:
        fail(
            f"after the block, loop.slow_callback_duration was {after[1]} (it was {before[1]}).",
            fix="keep it before, and set it back in `finally:`.",
        )
    if after[2] != before[2]:
        fail(
            "after the block, your handler was still attached to the logger: it would go "
            "on collecting reports nobody reads.",
            fix="logger.removeHandler(handler) in `finally:`.",
        )
