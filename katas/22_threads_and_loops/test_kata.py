"""Kata 22 — threads and loops. Run: pytest katas/22_threads_and_loops"""

import asyncio
import concurrent.futures
import contextlib
import inspect
import sys
import threading
import time

import aiohttp
import pytest
from aiohttp import web

from harness.judge import Budget, assert_ran_concurrently, assert_result, fail

# The engine is legacy code: time.sleep stands for its blocking work. Run on the loop,
# it would block it; the advice is then about where the engine runs, not about sleep.
pytestmark = pytest.mark.blocking_fix(
    "time.sleep",
    "engine.price is blocking code you cannot change: run it in a worker thread "
    "(`await asyncio.to_thread(engine.price, basket, rate_of)`).",
)

WORK = 0.01  # seconds of blocking work the engine does per item, in its thread
RATE_LATENCY = 0.01
RATES = {"USD": 0.9, "GBP": 1.2, "JPY": 0.006}
BASKET = [
    {"sku": "kettle", "price": 40.0, "currency": "USD"},
    {"sku": "teapot", "price": 25.0, "currency": "GBP"},
    {"sku": "cups", "price": 3000.0, "currency": "JPY"},
]
PRICED = {"items": 3, "total_eur": round(40.0 * 0.9 + 25.0 * 1.2 + 3000.0 * 0.006, 2)}
# Six payments that each take 0.1 s: at once ≈ 0.1 s, one at a time ≈ 0.6 s (3x the
# 0.2 s bound).
PAYMENT_LATENCY = 0.1
ORDERS = {f"order-{n}": 1000 + n for n in range(1, 7)}
BUDGET = Budget(ideal=PAYMENT_LATENCY, sequential=PAYMENT_LATENCY * len(ORDERS))
DECLINED = "order-declined"
# A blocking call that takes a few tens of ms is given up on after PATIENCE (a hang is
# reported instead of waited for); a thread that was told to end has JOIN to do so.
PATIENCE = 1.0
JOIN = 0.5
CALLER = "legacy-caller"  # the threads this test calls the client from


# --- part 1: the engine ------------------------------------------------------------------
class PricingEngine:
    """The legacy pricing engine: blocking, and it asks for rates with a plain callback."""

    __test__ = False

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.answers: list[tuple[str, object]] = []

    def price(self, basket: list[dict], rate_of) -> dict:
        self.threads.add(threading.get_ident())
        total = 0.0
        for item in basket:
            time.sleep(WORK)
            rate = rate_of(item["currency"])
            self.answers.append((item["currency"], rate))
            if isinstance(rate, bool) or not isinstance(rate, (int, float)):
                raise TypeError(f"rate_of({item['currency']!r}) returned {rate!r}, not a number")
            total += item["price"] * rate
        return {"items": len(basket), "total_eur": round(total, 2)}


class Watched:
    """Stands in for a function of the kata: passes calls through and notes the event
    loop and the thread each call ran on."""

    __test__ = False

    def __init__(self, real) -> None:
        self.real = real
        self.ran_on: list[tuple[asyncio.AbstractEventLoop, int]] = []

    async def __call__(self, *args, **kwargs):
        self.ran_on.append((asyncio.get_running_loop(), threading.get_ident()))
        return await self.real(*args, **kwargs)


def watch(kata, monkeypatch, name: str) -> Watched:
    """Replace the kata's function `name`, as the learner's own code sees it."""
    namespace = inspect.unwrap(kata.price_basket).__globals__
    watched = Watched(namespace[name])
    monkeypatch.setitem(namespace, name, watched)
    return watched


def open_rates(service) -> None:
    for currency, eur in RATES.items():
        service.route(f"/rates/{currency}", json={"currency": currency, "eur": eur}, latency=RATE_LATENCY)


def price_call(basket) -> str:
    return f"price_basket(session, url, {[item['currency'] for item in basket]}, engine)"


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


async def price(kata, session, service, basket, engine, fetches: Watched) -> dict:
    """The learner's price_basket; the usual ways of crossing threads wrongly explained."""
    __tracebackhide__ = True
    call = price_call(basket)
    try:
        async with asyncio.timeout(PATIENCE):
            return await kata.price_basket(session, service.base_url, basket, engine)
    except TimeoutError:
        raised: BaseException = TimeoutError()
    except (RuntimeError, TypeError) as error:
        raised = error
    loop = asyncio.get_running_loop()
    elsewhere = [ran for ran, _ in fetches.ran_on if ran is not loop]
    futures = [a for _, a in engine.answers if isinstance(a, (concurrent.futures.Future, asyncio.Future))]
    if elsewhere:
        fail(
            f"{call}: fetch_rate ran on a second event loop, started in the engine's "
            "thread (asyncio.run there), not on the loop that runs price_basket. The "
            "session belongs to that loop; aiohttp refused to work from another one.",
            fix="hand the coroutine to the loop you already have: "
            "`asyncio.run_coroutine_threadsafe(fetch_rate(...), loop).result()`, with "
            "`loop = asyncio.get_running_loop()` taken in price_basket.",
        )
    if futures:
        kind = "a concurrent.futures.Future" if isinstance(futures[0], concurrent.futures.Future) else "an asyncio Future"
        fail(
            f"{call}: rate_of({engine.answers[0][0]!r}) returned {kind} instead of the "
            "rate: the engine needs the number.",
            fix="wait for it in the worker thread: `return future.result()` (it blocks "
            "that thread only, never the loop).",
        )
    if any(answer is None for _, answer in engine.answers):
        fail(
            f"{call}: rate_of({engine.answers[0][0]!r}) returned None: it started fetching "
            "the rate, but did not wait for it.",
            fix="`return asyncio.run_coroutine_threadsafe(fetch_rate(...), loop).result()`: "
            ".result() waits in the worker thread until the loop has the rate.",
        )
    if isinstance(raised, RuntimeError) and "no running event loop" in str(raised):
        fail(
            f"{call}: rate_of looked for the running event loop from the engine's worker "
            "thread, where no loop runs: a loop runs in one thread only.",
            fix="take `loop = asyncio.get_running_loop()` in price_basket (on the loop), "
            "before the engine starts, and use that loop inside rate_of.",
        )
    if isinstance(raised, TimeoutError):
        fail(
            f"{call} was still running after {PATIENCE:g} s; the engine needs about "
            f"{len(basket) * (WORK + RATE_LATENCY):.2f} s. Something waits for a result "
            "that never comes.",
            fix="rate_of must hand the coroutine to the loop with "
            "asyncio.run_coroutine_threadsafe(coro, loop) and wait with .result().",
        )
    raise raised


async def test_the_engine_prices_the_basket_with_live_rates(kata, service, session, monkeypatch):
    """The engine runs in a worker thread; each rate it asks for is fetched on the loop."""
    open_rates(service)
    fetches = watch(kata, monkeypatch, "fetch_rate")
    engine = PricingEngine()
    priced = await price(kata, session, service, BASKET, engine, fetches)
    loop_thread = threading.get_ident()
    if loop_thread in engine.threads:
        fail(
            f"{price_call(BASKET)} ran engine.price on the event loop's own thread: "
            "while it works, nothing else on the loop runs.",
            fix="run it in a worker thread: `await asyncio.to_thread(engine.price, basket, rate_of)`.",
        )
    assert_result(priced, PRICED, call=price_call(BASKET))
    asked = [call.path.rsplit("/", 1)[-1] for call in service.calls]
    if sorted(asked) != sorted(item["currency"] for item in BASKET):
        fail(f"{price_call(BASKET)} asked the rates service for {asked}; the engine asked for each currency once.")
    on_loop = {thread for _, thread in fetches.ran_on}
    if fetches.ran_on and on_loop != {loop_thread}:
        fail(f"{price_call(BASKET)}: fetch_rate ran in the engine's thread, not on the event loop's thread.")


async def test_an_unknown_currency_fails_the_pricing_with_the_rates_error(
    kata, service, session, monkeypatch
):
    """An error of the coroutine crosses back too: future.result() raises it in the thread."""
    open_rates(service)
    fetches = watch(kata, monkeypatch, "fetch_rate")
    basket = [BASKET[0], {"sku": "lamp", "price": 12.0, "currency": "XYZ"}]
    try:
        priced = await price(kata, session, service, basket, PricingEngine(), fetches)
    except aiohttp.ClientResponseError as error:
        if error.status != 404:
            raise
        return
    fail(
        f"{price_call(basket)} returned {priced!r}, but the rates service answered 404 "
        "for XYZ: the pricing should fail with that error.",
        fix="let the error out of rate_of: future.result() raises the coroutine's error "
        "in the worker thread, and the engine passes it on.",
    )


# --- part 2: the blocking client ---------------------------------------------------------------
class Payments:
    """The payments service: POST /charges answers {"order": ..., "charged": cents}, or 402
    for the declined order; it notes the client port of each request (its connection)."""

    __test__ = False

    def __init__(self, service, latency: float = 0.01) -> None:
        self.ports: list[int | None] = []
        service.route("/charges", handler=self.charge, latency=latency)

    async def charge(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.ports.append(peer[1] if peer else None)
        payment = await request.json()
        if payment.get("order") == DECLINED:
            return web.json_response({"error": "card declined"}, status=402)
        return web.json_response({"order": payment.get("order"), "charged": payment.get("cents")})


class Legacy:
    """Calls the blocking client from threads of its own, as code that is not async
    would; notes the threads that appear, and stops any event loop left running in them."""

    __test__ = False

    def __init__(self, kata_file) -> None:
        self.kata_file = kata_file
        self.before = set(threading.enumerate())
        self.callers: set[threading.Thread] = set()

    async def call(self, function, *args, call: str):
        """``function(*args)`` in a new thread; its result or error, here, without
        blocking this test's loop. A call still blocked after PATIENCE fails the test."""
        __tracebackhide__ = True
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future = loop.create_future()

        def deliver(result, error) -> None:
            if outcome.done():
                return
            if error is not None:
                outcome.set_exception(error)
            else:
                outcome.set_result(result)

        def run() -> None:
            try:
                result, error = function(*args), None
            except BaseException as raised:  # noqa: BLE001 - handed to the test as is
                result, error = None, raised
            with contextlib.suppress(RuntimeError):  # the test's loop may be closed by now
                loop.call_soon_threadsafe(deliver, result, error)

        thread = threading.Thread(target=run, name=CALLER, daemon=True)
        self.callers.add(thread)
        thread.start()
        try:
            async with asyncio.timeout(PATIENCE):
                return await outcome
        except TimeoutError:
            pass
        except RuntimeError as error:
            if "already running" not in str(error):
                raise
            fail(
                f"{call} raised RuntimeError: {error}. The loop runs in your background "
                "thread: no other thread may run it (run_until_complete) at the same time.",
                fix="hand the coroutine to the running loop with "
                "asyncio.run_coroutine_threadsafe(coro, loop), and wait with .result().",
            )
        stuck = self.kata_file.stack(sys._current_frames().get(thread.ident or -1))
        stopped = self.stop_loops()
        fail(
            f"{call} was still blocked after {PATIENCE:g} s"
            + (": your background thread's event loop was still running" if stopped else "")
            + (", and it waited here:" if stuck else "."),
            where=stuck,
            fix=STOP_FIX if call.endswith("close()") else
            "hand each coroutine to the background loop with "
            "asyncio.run_coroutine_threadsafe(coro, loop) and wait with .result().",
        )

    def threads_left(self) -> list[threading.Thread]:
        """Threads that appeared since this helper was made and still run (not callers)."""
        return [
            t for t in threading.enumerate()
            if t not in self.before and t not in self.callers and t.is_alive()
        ]

    def stop_loops(self) -> list[threading.Thread]:
        """Stop every event loop still running in a thread that appeared; the threads."""
        stopped = []
        for thread in self.threads_left():
            loop = running_loop_of(thread)
            if loop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(loop.stop)
                stopped.append(thread)
        for thread in stopped:
            thread.join(JOIN)
        return stopped


STOP_FIX = (
    "a loop that waits for events in its own thread notices nothing else: stop it from "
    "outside with `loop.call_soon_threadsafe(loop.stop)`, then `thread.join()`."
)


def running_loop_of(thread: threading.Thread) -> asyncio.AbstractEventLoop | None:
    """The event loop running in ``thread``, found on its stack (loop methods' ``self``)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, asyncio.AbstractEventLoop):
            return owner
        frame = frame.f_back
    return None


@pytest.fixture
async def legacy(kata_file):
    helper = Legacy(kata_file)
    yield helper
    helper.stop_loops()  # a loop the code left running ends with its test


async def open_client(kata, legacy, service):
    return await legacy.call(kata.PaymentsClient, service.base_url, call="PaymentsClient(url)")


async def test_charge_blocks_its_caller_until_the_payment_answers(kata, service, legacy):
    """A blocking method hands the coroutine to the loop's thread and waits for it."""
    Payments(service)
    client = await open_client(kata, legacy, service)
    try:
        receipt = await legacy.call(client.charge, "order-1", 1250, call="charge('order-1', 1250)")
    finally:
        await legacy.call(client.close, call="close()")
    assert_result(receipt, {"order": "order-1", "charged": 1250}, call="charge('order-1', 1250)")


async def test_every_call_runs_on_one_loop_in_a_background_thread_with_one_session(
    kata, service, legacy, monkeypatch
):
    """One long-lived loop in its own thread serves every call, through one session."""
    payments = Payments(service)
    charges = watch(kata, monkeypatch, "charge_order")
    client = await open_client(kata, legacy, service)
    try:
        for n in (1, 2, 3):
            await legacy.call(client.charge, f"order-{n}", 100 * n, call=f"charge('order-{n}', {100 * n})")
    finally:
        await legacy.call(client.close, call="close()")
    loops = {id(loop) for loop, _ in charges.ran_on}
    threads = {thread for _, thread in charges.ran_on}
    callers = {t.ident for t in legacy.callers}
    if len(loops) > 1:
        fail(
            f"3 calls of charge ran on {len(loops)} different event loops: each call made "
            "a loop of its own (asyncio.run does), with new connections, and closed it.",
            fix="make one loop in __init__, run it in a background thread "
            "(`threading.Thread(target=loop.run_forever)`), and hand every call to it with "
            "asyncio.run_coroutine_threadsafe(coro, loop).",
        )
    if threads & callers:
        fail(
            "charge ran its coroutine in the caller's own thread: the loop must run in a "
            "background thread of the client's, so that any thread can call it.",
            fix="start the loop in a thread in __init__, and hand every call to it with "
            "asyncio.run_coroutine_threadsafe(coro, loop).",
        )
    connections = len(set(payments.ports))
    if connections > 1:
        fail(
            f"3 calls of charge, one after another, came over {connections} connections: "
            "each call opened a session (and connections) of its own.",
            fix="open one aiohttp.ClientSession on the background loop in __init__, use it "
            "for every call, and close it in close().",
        )


async def test_two_threads_can_charge_at_the_same_time(kata, service, legacy):
    """run_coroutine_threadsafe may be called from any thread: their calls overlap."""
    Payments(service, latency=PAYMENT_LATENCY)
    client = await open_client(kata, legacy, service)
    try:
        receipts = await asyncio.gather(
            legacy.call(client.charge, "order-1", 100, call="charge('order-1', 100)"),
            legacy.call(client.charge, "order-2", 200, call="charge('order-2', 200)"),
        )
    finally:
        await legacy.call(client.close, call="close()")
    assert_result(
        receipts,
        [{"order": "order-1", "charged": 100}, {"order": "order-2", "charged": 200}],
        call="charge('order-1', 100) and charge('order-2', 200), from two threads at once,",
    )
    if service.peak_in_flight < 2:
        fail(
            "charge('order-1', 100) and charge('order-2', 200), called from two threads at "
            "once, reached the payments service one after the other.",
            fix="let each call wait for its own future (run_coroutine_threadsafe(...).result()); "
            "nothing else needs a lock.",
        )


@pytest.mark.workload
async def test_charge_all_charges_every_order_at_once(kata, service, legacy):
    """One blocking call can still run many coroutines at once on the background loop."""
    Payments(service, latency=PAYMENT_LATENCY)
    client = await open_client(kata, legacy, service)
    try:
        receipts = await legacy.call(client.charge_all, ORDERS, call="charge_all(six_orders)")
    finally:
        await legacy.call(client.close, call="close()")
    assert_ran_concurrently(service, budget=BUDGET, expected_requests=len(ORDERS))
    assert_result(
        receipts,
        [{"order": order, "charged": cents} for order, cents in ORDERS.items()],
        call="charge_all(six_orders)",
    )


async def test_a_declined_card_raises_in_the_callers_thread(kata, service, legacy):
    """future.result() raises the coroutine's error in the thread that waits for it."""
    Payments(service)
    client = await open_client(kata, legacy, service)
    call = f"charge({DECLINED!r}, 999)"
    try:
        receipt = await legacy.call(client.charge, DECLINED, 999, call=call)
    except aiohttp.ClientResponseError as error:
        if error.status != 402:
            raise
        return
    finally:
        await legacy.call(client.close, call="close()")
    fail(
        f"{call} returned {receipt!r}, but the payments service declined the card (402): "
        "the caller should get the error.",
        fix="future.result() raises the coroutine's error: let it out of charge.",
    )


async def test_close_stops_the_loop_and_ends_its_thread(kata, service, legacy):
    """A background loop is stopped from outside (call_soon_threadsafe) and its thread joined."""
    Payments(service)
    client = await open_client(kata, legacy, service)
    await legacy.call(client.charge, "order-1", 1250, call="charge('order-1', 1250)")
    if not legacy.threads_left():
        fail(
            "after PaymentsClient(url), no thread of the client's was running: the event "
            "loop must run in a background thread for the client's whole life.",
            fix="in __init__, start `threading.Thread(target=loop.run_forever)`.",
        )
    await legacy.call(client.close, call="close()")
    deadline = time.perf_counter() + JOIN
    while legacy.threads_left() and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    left = legacy.threads_left()
    if left:
        running = [t for t in left if running_loop_of(t) is not None]
        legacy.stop_loops()
        fail(
            f"after close() returned, the thread {left[0].name!r} was still running"
            + (" its event loop." if running else ".")
            + " close() should leave nothing running.",
            fix=STOP_FIX,
        )
