"""Kata 03 — tasks. Run: pytest katas/03_tasks"""

import asyncio
import contextlib
import sys
from pathlib import Path

import pytest

from harness.judge import assert_result, draw_timeline, expect, fail

# The coffee is the slow order; the pastries are quick. The pastries should be
# warmed while the coffee brews: 0.06 s of pastries inside 0.15 s of coffee.
BREW = 0.15
WARM = 0.03
PASTRIES = ["croissant", "muffin"]
# In the receipt tests the printer is the slowest thing in the café (0.15 s): the coffee
# and pastries are served long before (≈ 0.03 s and 0.06 s), so a receipt that is not
# printing while the pastries warm, or is still printing when breakfast is served, shows.
SLOW_PRINTER = 0.15
GIVE_UP_AFTER = 1.0  # how long the test lets the loop run for work left in the background


def open_cafe(service, *, brew, warm, printing, pastries=PASTRIES):
    service.route("/menu/coffee", json={"item": "coffee", "hot": True}, latency=brew)
    for pastry in pastries:
        service.route(f"/menu/{pastry}", json={"item": pastry, "warm": True}, latency=warm)
    service.route("/receipt", json={"printed": True}, latency=printing)


def breakfast_call(pastries=PASTRIES) -> str:
    return f"serve_breakfast(url, {pastries!r})"


@pytest.fixture
async def started_tasks(kata_file: Path):
    """Every task the file under test starts, recorded by a task factory.

    On teardown, tasks it left running are cancelled, so one test's leftovers
    never leak into the next.
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    kata_path = str(kata_file)
    started: list[asyncio.Task] = []

    def factory(loop, coro, **kwargs):
        if previous is not None:
            task = previous(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == kata_path:
                started.append(task)
                break
            frame = frame.f_back
        return task

    loop.set_task_factory(factory)
    try:
        yield started
    finally:
        loop.set_task_factory(previous)
        leftovers = [task for task in started if not task.done()]
        for task in leftovers:
            task.cancel()
        for task in leftovers:
            with contextlib.suppress(BaseException):
                await task
        for task in started:  # an error nobody retrieved is not this test's business now
            if task.done() and not task.cancelled():
                task.exception()


def your_tasks(started: list[asyncio.Task], kata_file: Path) -> list[asyncio.Task]:
    """The recorded tasks that run a coroutine function defined in the file under test."""
    return [
        task for task in started
        if getattr(task.get_coro(), "cr_code", None) is not None
        and task.get_coro().cr_code.co_filename == str(kata_file)
    ]


def cut_off(started: list[asyncio.Task], kata_file: Path | None) -> list[asyncio.Task]:
    """The tasks of the file under test that did not finish with a result."""
    return [
        task for task in (your_tasks(started, kata_file) if kata_file else [])
        if not task.done() or task.cancelled() or task.exception() is not None
    ]


def task_name(task: asyncio.Task) -> str:
    return f"{task.get_coro().__qualname__}()"


def how_it_ended(task: asyncio.Task) -> str:
    if not task.done():
        return "is still pending"
    if task.cancelled():
        return "was cancelled"
    return f"was cut off with {type(task.exception()).__name__}"


def assert_one_receipt(service, started=(), kata_file=None):
    """The café printed exactly one receipt; returns its call."""
    __tracebackhide__ = True
    receipts = service.calls_to("/receipt")
    lost = [task for task in cut_off(started, kata_file) if task_name(task) == "print_receipt()"]
    if not receipts and lost:
        fail(
            "the receipt never reached the café: serve_breakfast returned without waiting "
            f"for the task print_receipt(), which {how_it_ended(lost[0])}.",
            fix="keep the task you start for the receipt and await it before you return.",
            evidence=draw_timeline(service.calls, now=service.now()),
        )
    expect(
        len(receipts) == 1,
        f"{breakfast_call()} printed {len(receipts)} receipts; expected exactly one.",
        fix="call print_receipt once, with the coffee and the pastries.",
        evidence=draw_timeline(service.calls, now=service.now()),
    )
    return receipts[0]


async def test_breakfast_brings_the_coffee_and_every_pastry(kata, kata_file, service, started_tasks):
    """The tasks' results end up in the breakfast, pastries in the order asked."""
    open_cafe(service, brew=0.02, warm=0.01, printing=0.01)
    breakfast = await kata.serve_breakfast(service.base_url, PASTRIES)
    assert_result(
        breakfast,
        {
            "coffee": {"item": "coffee", "hot": True},
            "pastries": [{"item": pastry, "warm": True} for pastry in PASTRIES],
        },
        call=f"await {breakfast_call()}",
    )
    assert_one_receipt(service, started_tasks, kata_file)


@pytest.mark.workload
async def test_pastries_are_warmed_while_the_coffee_brews(kata, service, started_tasks):
    """A task runs in the background: start the coffee, warm the pastries meanwhile."""
    open_cafe(service, brew=BREW, warm=WARM, printing=WARM)
    await kata.serve_breakfast(service.base_url, PASTRIES)

    coffee = service.calls_to("/menu/coffee")
    pastries = [c for c in service.calls if c.path.startswith("/menu/") and c not in coffee]
    timeline = draw_timeline(service.calls)
    expect(
        len(coffee) == 1 and len(pastries) == len(PASTRIES),
        f"{breakfast_call()} ordered {len(coffee)} coffee(s) and {len(pastries)} pastries; "
        f"expected 1 coffee and {len(PASTRIES)} pastries.",
        fix="order the coffee once and each pastry once, with `order`.",
        evidence=timeline,
    )
    unanswered = ", ".join(call.label for call in service.calls if call.ended is None)
    expect(
        not unanswered,
        f"{unanswered} was still in flight when serve_breakfast returned.",
        fix="await every task you started before you return.",
        evidence=timeline,
    )
    # Times as the timeline shows them: seconds since the first request started.
    origin = min(call.started for call in service.calls)
    coffee_ordered, coffee_ready = coffee[0].started - origin, coffee[0].ended - origin
    first_pastry_ordered = min(call.started for call in pastries) - origin
    pastries_warm = max(call.ended for call in pastries) - origin
    # The coffee was only ordered once every pastry was already warm.
    expect(
        coffee_ordered < pastries_warm,
        f"the coffee was only ordered at {coffee_ordered:.2f} s, once the pastries were "
        "already warm: a coroutine object does not start until it is awaited, so nothing "
        "brewed while the pastries warmed.",
        fix="asyncio.create_task(...) starts the coffee right away; await the task later.",
        evidence=timeline,
    )
    # The coffee was ready before the first pastry was even ordered.
    expect(
        first_pastry_ordered < coffee_ready,
        f"the first pastry was only ordered once the coffee was ready (at "
        f"{first_pastry_ordered:.2f} s): the pastries waited for the coffee instead of "
        "warming while it brewed.",
        fix="`await` waits right there. Start the coffee with asyncio.create_task(...), warm "
        "the pastries, and only then await the task.",
        evidence=timeline,
    )


async def test_the_receipt_prints_while_the_pastries_warm(kata, kata_file, service, started_tasks):
    """A slow job you do not need the answer of runs in the background from the start."""
    open_cafe(service, brew=0.01, warm=WARM, printing=SLOW_PRINTER)
    await kata.serve_breakfast(service.base_url, PASTRIES)
    returned = service.now()
    # Let the loop run: a receipt left to print in the background shows up now, too.
    await service.settle(within=GIVE_UP_AFTER)
    receipt = assert_one_receipt(service, started_tasks, kata_file)
    pastries = [c for c in service.calls if c.path.startswith("/menu/") and c.path != "/menu/coffee"]
    expect(pastries, f"{breakfast_call()} warmed no pastries.", fix="warm each pastry with `order`.")
    timeline = draw_timeline(service.calls, now=service.now())
    # Times as the timeline shows them: seconds since the first request started.
    origin = min(call.started for call in service.calls)
    printing = receipt.started - origin
    printed = (receipt.ended if receipt.ended is not None else service.now()) - origin
    first_pastry_ordered = min(call.started for call in pastries) - origin
    pastries_warm = max(call.ended or returned for call in pastries) - origin
    if receipt.started > returned:
        fail(
            f"the receipt only started printing at {printing:.2f} s, after serve_breakfast "
            "had returned: nothing printed while the pastries warmed.",
            fix="start print_receipt with asyncio.create_task(...) before you warm the "
            "pastries, keep the task, and await it before you return.",
            evidence=timeline,
        )
    expect(
        printing < pastries_warm,
        f"the receipt only started printing once the pastries were warm (at {printing:.2f} s): "
        "it waited for them instead of printing in the background.",
        fix="start print_receipt with asyncio.create_task(...) before you warm the pastries, "
        "and await that task before you return.",
        evidence=timeline,
    )
    expect(
        first_pastry_ordered < printed,
        f"the first pastry was only ordered once the receipt was printed (at "
        f"{first_pastry_ordered:.2f} s): the pastries waited for the printer.",
        fix="`await print_receipt(...)` waits right there. Start it with "
        "asyncio.create_task(...), warm the pastries, then await the task.",
        evidence=timeline,
    )


async def test_nothing_is_left_running_when_breakfast_is_served(
    kata, kata_file, service, started_tasks
):
    """Every task you start, you keep a reference to and await before you return."""
    open_cafe(service, brew=0.01, warm=0.01, printing=SLOW_PRINTER)
    await kata.serve_breakfast(service.base_url, PASTRIES)
    # Read the record at once: nothing has run on the loop since serve_breakfast returned.
    unfinished = [call for call in service.calls if call.outcome != "answered"]
    left = cut_off(started_tasks, kata_file)
    if unfinished or left:
        names = ", ".join(task_name(task) for task in left) or "a task"
        requests = ", ".join(f"{call.label} ({call.outcome})" for call in unfinished)
        endings = "; ".join(f"the task {task_name(t)} {how_it_ended(t)}" for t in left)
        fail(
            f"{names} was still running when serve_breakfast returned"
            + (f": the café never finished {requests}" if requests else "")
            + (f"; {endings}" if endings else "")
            + ". A task nobody awaits is cut off when the function returns (here its "
            "session closes), and its errors are lost.",
            fix="keep a reference to every task you start (the loop only keeps a weak one) "
            "and await it before you return.",
            evidence=draw_timeline(service.calls),
        )
    assert_one_receipt(service, started_tasks, kata_file)
