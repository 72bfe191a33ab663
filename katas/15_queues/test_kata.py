"""Kata 15 — queues. Run: pytest katas/15_queues"""

import asyncio

import pytest
from aiohttp import web

from harness.judge import Stalled, draw_in_flight, expect, fail, peak_in_flight, run_watched

# Thirty orders, three workers, 0.015 s to pack each: ten rounds, ≈ 0.15 s. The tests judge
# by what the warehouse saw (each order once, three at a time) and by what the producer
# had taken from the feed, never by the clock.
LATENCY = 0.015
ORDERS = [f"A-{n}" for n in range(101, 131)]
WORKERS = 3
QUEUE_SIZE = 2

# Twelve orders; two of the first three fail at once (0.002 s). Once the failures are
# over, the three workers must still be packing three at a time.
FAILING = ["B-202", "B-203"]
SMALL = [f"B-{n}" for n in range(201, 213)]

# A run that sits with nothing in flight for IDLE seconds has stopped: working code
# never pauses between orders (a worker takes the next one within milliseconds).
IDLE = 0.3


class OrderFeed:
    """The incoming orders, an async iterator. Each time the producer takes the next
    order, the feed notes how far ahead of the warehouse it is: orders taken minus
    orders the warehouse has finished."""

    __test__ = False

    def __init__(self, service, orders: list[str]):
        self.service = service
        self.orders = orders
        self.taken = 0
        self.most_ahead = 0

    def __aiter__(self):
        return self

    async def __anext__(self) -> str:
        await asyncio.sleep(0)  # a real feed: other tasks run between orders
        if self.taken == len(self.orders):
            raise StopAsyncIteration
        finished = sum(1 for call in self.service.calls if call.ended is not None)
        self.most_ahead = max(self.most_ahead, self.taken - finished)
        self.taken += 1
        return self.orders[self.taken - 1]


def open_warehouse(service, orders: list[str], latency: float = LATENCY, failing=()) -> None:
    async def pack(request: web.Request) -> web.Response:
        order_id = request.path.rsplit("/", 1)[-1]
        if order_id in failing:
            return web.json_response({"error": "label printer jammed"}, status=500)
        return web.json_response({"order": order_id, "parcel": parcel(order_id)})

    for order_id in orders:
        delay = 0.002 if order_id in failing else latency
        service.route(f"/pack/{order_id}", handler=pack, latency=delay)


def runs_code_of(task: asyncio.Task, kata_file) -> bool:
    """Whether the task runs a coroutine written in the file under test."""
    code = getattr(task.get_coro(), "cr_code", None)
    return getattr(code, "co_filename", None) == str(kata_file)


def parcel(order_id: str) -> str:
    return f"P-{order_id}"


def call_text(orders: list[str], workers: int, queue_size: int) -> str:
    return f"pack_orders(url, <{len(orders)} orders>, workers={workers}, queue_size={queue_size})"


async def pack(
    kata, service, orders: list[str], *, workers: int = WORKERS, queue_size: int = QUEUE_SIZE, failing=()
):
    """Run pack_orders over a feed of `orders`; a run that stops making progress is explained."""
    __tracebackhide__ = True
    feed = OrderFeed(service, orders)
    call = call_text(orders, workers, queue_size)
    stalled = None
    try:
        parcels = await run_watched(
            kata.pack_orders(service.base_url, feed, workers, queue_size), service, idle=IDLE
        )
    except Stalled as stall:
        stalled = stall
    if stalled is not None:
        explain_stall(service, feed, call, orders, workers, queue_size, failing, stalled)
    return parcels, feed


def explain_stall(service, feed, call, orders, workers, queue_size, failing, stalled) -> None:
    __tracebackhide__ = True
    packed = {c.path.rsplit("/", 1)[-1] for c in service.calls}
    chart = draw_in_flight(service.calls, now=service.now()) if service.calls else None
    if not stalled.idle:
        fail(
            f"{call} had not returned after {stalled.waited:.1f} s.",
            evidence=draw_in_flight(service.calls, now=service.now()) if service.calls else None,
        )
    quiet = f"nothing was packed for {stalled.idle:.2f} s"
    if not service.calls:
        fail(
            f"{call} never returned, and the warehouse never got an order: the producer "
            f"took {feed.taken} orders and then waited at put(), the queue full and no "
            "worker taking orders off it.",
            fix="the workers must keep running while the producer fills the queue (a "
            "worker loops `while True:`: an empty queue only means no order yet): start "
            "them first, and stop them only once the producer is done and queue.join() "
            "has returned.",
        )
    check_failures_spared_the_workers(service, call, workers, failing)
    if len(packed) < len(orders):
        fail(
            f"{call} never returned: {len(orders) - len(packed)} orders never reached the "
            f"warehouse, and then {quiet}: no worker was taking orders any more.",
            evidence=chart,
            fix="a worker is a loop that runs until it is cancelled: `while True:` around "
            "get, pack, task_done.",
        )
    fail(
        f"{call} never returned: every order reached the warehouse, then {quiet}. "
        "queue.join() waits until task_done() has been called once for every order put "
        "on the queue.",
        evidence=chart,
        fix="call queue.task_done() after each order, failed ones too: in a `finally:`.",
    )


def check_failures_spared_the_workers(service, call: str, workers: int, failing) -> None:
    """After the failed orders, the workers are all still packing."""
    __tracebackhide__ = True
    failed = [c for c in service.calls if c.status == 500]
    if not failed or service.peak_in_flight != workers:
        return  # no failure yet, or not `workers` at once to begin with: said elsewhere
    after = max(c.ended or service.now() for c in failed)
    busy = peak_in_flight(service.calls, since=after, now=service.now())
    names = " and ".join(c.path.rsplit("/", 1)[-1] for c in failed)
    expect(
        busy == workers,
        f"after orders {names} failed, only {busy} of the {workers} workers "
        f"{'was' if busy == 1 else 'were'} still packing: each failed order ended its worker.",
        evidence=draw_in_flight(service.calls, now=service.now()),
        fix="catch aiohttp.ClientResponseError around pack_order inside the worker's loop, "
        "note None for that order, and carry on with the next one.",
    )


def check_parcels(parcels, orders: list[str], call: str, failing=()) -> None:
    __tracebackhide__ = True
    expect(
        isinstance(parcels, dict),
        f"{call} returned {type(parcels).__name__}; expected a dict {{order_id: parcel}}",
    )
    missing = [o for o in orders if o not in parcels]
    expect(not missing, f"{call} has no entry for orders {missing[:4]}: every order must be a key")
    for order_id in orders:
        expected = None if order_id in failing else parcel(order_id)
        expect(
            parcels[order_id] == expected,
            f"{call} gave {parcels[order_id]!r} for order {order_id}; expected {expected!r}"
            + (" (the warehouse answered 500 for it)" if order_id in failing else ""),
        )


def check_each_packed_once(service, orders: list[str]) -> None:
    __tracebackhide__ = True
    paths = [c.path for c in service.calls]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    expect(
        not twice,
        f"some orders were packed more than once: {', '.join(twice[:3])}. Each order "
        "goes on the queue once, and each get() hands it to one worker only.",
    )
    never = [o for o in orders if f"/pack/{o}" not in paths]
    expect(not never, f"orders {never[:4]} never reached the warehouse")


def check_workers(service, workers: int, count: int) -> None:
    __tracebackhide__ = True
    peak = service.peak_in_flight
    chart = draw_in_flight(service.calls)
    expect(
        peak <= workers,
        f"{peak} orders were being packed at once with {workers} workers: something "
        "other than the workers packs orders, e.g. a task per order.",
        evidence=chart,
        fix="start exactly `workers` worker tasks, and let only them call pack_order.",
    )
    expect(
        peak == workers,
        f"at most {peak} {'order was' if peak == 1 else 'orders were'} being packed at once "
        f"with {workers} workers and {count} orders to pack.",
        evidence=chart,
        fix="start all `workers` worker tasks before producing, each looping over the queue.",
    )


@pytest.mark.workload
async def test_three_workers_pack_thirty_orders_each_exactly_once(kata, service):
    """N workers share one queue: each order is taken by exactly one of them, N at a time."""
    open_warehouse(service, ORDERS)
    parcels, _ = await pack(kata, service, ORDERS)
    call = call_text(ORDERS, WORKERS, QUEUE_SIZE)
    check_each_packed_once(service, ORDERS)
    check_workers(service, WORKERS, len(ORDERS))
    check_parcels(parcels, ORDERS, call)


async def test_the_producer_waits_while_the_queue_is_full(kata, service):
    """A queue with a maxsize holds the producer back: backpressure."""
    open_warehouse(service, SMALL)
    parcels, feed = await pack(kata, service, SMALL)
    call = call_text(SMALL, WORKERS, QUEUE_SIZE)
    room = QUEUE_SIZE + WORKERS
    expect(
        feed.most_ahead <= room,
        f"the producer took {feed.most_ahead} orders more than the warehouse had "
        f"finished; with queue_size={QUEUE_SIZE} and {WORKERS} workers, at most {room} "
        "can be taken and not yet finished (in the queue or in a worker's hands).",
        fix="make the queue with asyncio.Queue(maxsize=queue_size) and `await queue.put()` "
        "each order as you take it from the feed: put() waits while the queue is full.",
    )
    check_parcels(parcels, SMALL, call)


async def test_a_failing_order_does_not_stop_its_worker(kata, service):
    """A worker catches a failed order's error, notes it, and takes the next order."""
    open_warehouse(service, SMALL, failing=FAILING)
    parcels, _ = await pack(kata, service, SMALL, failing=FAILING)
    call = call_text(SMALL, WORKERS, QUEUE_SIZE)
    check_each_packed_once(service, SMALL)
    check_workers(service, WORKERS, len(SMALL))
    check_failures_spared_the_workers(service, call, WORKERS, FAILING)
    check_parcels(parcels, SMALL, call, failing=FAILING)


async def test_no_worker_is_left_running_after_the_last_order(kata, kata_file, service):
    """After join(), the workers wait for orders that never come: stop them."""
    orders = SMALL[:4]
    open_warehouse(service, orders, latency=0.0)
    parcels, _ = await pack(kata, service, orders)
    await asyncio.sleep(0.02)  # a worker cancelled but not awaited is done by now
    left = [task for task in asyncio.all_tasks() if not task.done() and runs_code_of(task, kata_file)]
    names = sorted({task.get_coro().__qualname__ for task in left})
    for task in left:
        task.cancel()
    expect(
        not left,
        f"{call_text(orders, WORKERS, QUEUE_SIZE)} returned, but {len(left)} tasks running "
        f"{', '.join(names)} were still waiting for orders that will never come.",
        fix="after queue.join(), cancel the worker tasks (and await them, e.g. "
        "`await asyncio.gather(*workers, return_exceptions=True)`), or send each worker a "
        "stop value such as None.",
    )
    check_parcels(parcels, orders, call_text(orders, WORKERS, QUEUE_SIZE))
