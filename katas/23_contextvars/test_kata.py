"""Kata 23 — contextvars. Run: pytest katas/23_contextvars"""

import asyncio
import logging
import re
import threading
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from harness.judge import assert_result, fail, wrote

# render_invoice is legacy code: its time.sleep stands for blocking work it must do.
pytestmark = pytest.mark.blocking_fix(
    "time.sleep",
    "render_invoice is blocking code you cannot change: run it in a worker thread "
    "(`await asyncio.to_thread(render_invoice, order)`).",
)

LOGGER = "katas.orders"
NO_REQUEST = "-"
DEFAULT_FACTORY = logging.getLogRecordFactory()  # as it was before any kata code ran
# Three orders whose stock checks take different times, so that the three requests'
# steps interleave when they run at once (the payments take 0.03 s each).
ORDERS = [
    {"id": 1, "sku": "kettle", "cents": 4000},
    {"id": 2, "sku": "teapot", "cents": 2500},
    {"id": 3, "sku": "cups", "cents": 1800},
]
STOCK = {"kettle": (5, 0.06), "teapot": (0, 0.01), "cups": (12, 0.035)}
PAYMENT_LATENCY = 0.03
ORDER_LINE = re.compile(r"^order (\d+):")
SHOWN = 4  # lines shown as evidence


class Lines(logging.Filter):
    """The log lines of the kata's logger, as records, in the order they were logged.

    A filter of the logger, added after the kata's own (so it sees each record as the
    kata stamped it); it keeps the record and stops it there: the lines are evidence
    for the tests, not output to show.
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        self.records.append(record)
        return False

    def of_orders(self) -> list[logging.LogRecord]:
        return [r for r in self.records if ORDER_LINE.match(r.getMessage())]


@pytest.fixture
def lines(kata):
    """Catches the lines of the kata's logger for this test, and only here: afterwards
    the logger (and logging's record factory) are as they were."""
    logger = logging.getLogger(LOGGER)
    caught = Lines()
    saved_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addFilter(caught)
    yield caught
    logger.setLevel(saved_level)
    logger.filters.clear()  # ours, and the one this test's import of the kata added
    logging.setLogRecordFactory(DEFAULT_FACTORY)


def open_shop(service) -> None:
    for sku, (count, latency) in STOCK.items():
        service.route(f"/stock/{sku}", json={"sku": sku, "in_stock": count}, latency=latency)

    async def pay(request: web.Request) -> web.Response:
        payment = await request.json()
        return web.json_response({"payment": f"pay-{payment.get('order')}"})

    service.route("/payments", handler=pay, latency=PAYMENT_LATENCY)


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


def rid_of(order: dict) -> str:
    return f"req-{order['id']}"


def expected_result(order: dict) -> dict:
    return {
        "order": order["id"],
        "in_stock": STOCK[order["sku"]][0] > 0,
        "payment": f"pay-{order['id']}",
        "invoice": f"invoice-{order['id']}.pdf",
    }


def carried(record: logging.LogRecord) -> str:
    return getattr(record, "request_id", "(no request_id)")


def shown(records: list[logging.LogRecord]) -> str:
    rows = [f"    {r.getMessage():<40} carried {carried(r)!r}" for r in records[:SHOWN]]
    if len(records) > SHOWN:
        rows.append(f"    ... and {len(records) - SHOWN} more")
    return "\n".join(rows)


def in_worker_thread(record: logging.LogRecord, loop_thread: int) -> bool:
    return record.thread != loop_thread


def thread_fix(kata) -> str:
    """Why a worker thread did not see the id, in terms of what the learner wrote."""
    if wrote(kata, "run_in_executor"):
        return (
            "loop.run_in_executor does not copy the context into the thread (asyncio.to_thread "
            "does): use asyncio.to_thread(render_invoice, order), or pass "
            "contextvars.copy_context().run as the function to run."
        )
    if wrote(kata, "local"):
        return (
            "threading.local keeps a value per thread, and the worker thread has its own, "
            "empty: keep the id in a contextvars.ContextVar, which asyncio.to_thread copies "
            "into the thread."
        )
    return (
        "run render_invoice with asyncio.to_thread: it runs the function in a copy of the "
        "caller's context, so the ContextVar holds the request's id there too."
    )


def shared_fix(kata, kata_file) -> str:
    """Why requests running at once see each other's id, in terms of what they wrote."""
    if wrote(kata, "local"):
        return (
            "threading.local holds one value per thread, and every task of the event loop "
            "runs on the same thread: keep the id in a contextvars.ContextVar, whose value "
            "each task has in a context of its own."
        )
    if re.search(r"^\s*global\s", Path(kata_file).read_text(encoding="utf-8"), re.MULTILINE):
        return (
            "a global variable holds one value for the whole program, so the request that "
            "set it last wins: keep the id in a contextvars.ContextVar instead."
        )
    return (
        "keep the id in a contextvars.ContextVar and set it inside handle_order: each "
        "request's task has its own context, so its value is its own."
    )


def assert_stamped(records: list[logging.LogRecord]) -> None:
    """Every line has a request_id at all (whatever its value)."""
    __tracebackhide__ = True
    bare = [r for r in records if not hasattr(r, "request_id")]
    if bare:
        fail(
            f"{len(bare)} of the {len(records)} lines of the requests had no request_id at all:",
            evidence=shown(bare),
            fix="stamp every record logged through `log`, the given steps' too: in "
            "RequestIdFilter.filter, `record.request_id = request_id.get()`, then `return True`.",
        )


async def handle(kata, session, service, order: dict) -> dict:
    call = f"handle_order(session, url, {rid_of(order)!r}, order {order['id']})"
    result = await kata.handle_order(session, service.base_url, rid_of(order), order)
    assert_result(result, expected_result(order), call=call)
    return result


async def test_every_line_of_a_request_carries_its_id(kata, lines, service, session):
    """Set the id once: the tasks and the worker thread of the request see it too."""
    open_shop(service)
    order = ORDERS[0]
    await handle(kata, session, service, order)
    records = lines.of_orders()
    assert_stamped(records)
    wrong = [r for r in records if carried(r) != rid_of(order)]
    loop_thread = threading.get_ident()
    in_thread = [r for r in wrong if in_worker_thread(r, loop_thread)]
    if wrong and wrong == in_thread:
        fail(
            f"the line logged in the worker thread did not carry the request's id "
            f"{rid_of(order)!r}:",
            evidence=shown(wrong),
            fix=thread_fix(kata),
        )
    if wrong:
        fail(
            f"{len(wrong)} of the {len(records)} lines of request {rid_of(order)!r} did not carry its id:",
            evidence=shown(wrong),
            fix="set the id at the start of handle_order, before anything is logged or "
            "started: a task takes a copy of the context when it is created.",
        )
    if service.peak_in_flight < 2:
        fail(
            "check_stock and reserve_payment ran one after the other; handle_order should "
            "run them at the same time (the lesson is that the id follows into tasks).",
            fix="start both as tasks (a TaskGroup, or asyncio.gather) and wait for both.",
        )
    if not any(in_worker_thread(r, loop_thread) for r in records):
        fail(
            "render_invoice ran on the event loop's thread; it is blocking: handle_order "
            "should run it in a worker thread.",
            fix="`invoice = await asyncio.to_thread(render_invoice, order)`.",
        )


@pytest.mark.workload
async def test_requests_at_the_same_time_never_mix_up_their_ids(
    kata, kata_file, lines, service, session
):
    """A ContextVar is per task: three requests at once keep three ids apart."""
    open_shop(service)
    await asyncio.gather(*(handle(kata, session, service, order) for order in ORDERS))
    records = lines.of_orders()
    assert_stamped(records)
    mixed = [
        r for r in records
        if carried(r) in {rid_of(o) for o in ORDERS}
        and carried(r) != f"req-{ORDER_LINE.match(r.getMessage())[1]}"
    ]
    if mixed:
        fail(
            f"{len(mixed)} log lines of requests running at the same time carried the id "
            "of another request:",
            evidence=shown(mixed),
            fix=shared_fix(kata, kata_file),
        )
    missing = [r for r in records if carried(r) != f"req-{ORDER_LINE.match(r.getMessage())[1]}"]
    if missing:
        fail(
            f"{len(missing)} log lines of requests running at the same time carried no id of theirs:",
            evidence=shown(missing),
            fix=thread_fix(kata) if all(in_worker_thread(r, threading.get_ident()) for r in missing)
            else "set the request's id at the start of handle_order, before anything is "
            "logged or started.",
        )


async def test_after_a_request_the_callers_id_is_back(kata, lines, service, session):
    """Reset what you set (`request_id.reset(token)`): the id must not outlive its request."""
    open_shop(service)
    await handle(kata, session, service, ORDERS[0])
    logging.getLogger(LOGGER).info("the next request: nothing set yet")
    after = lines.records[-1]
    if carried(after) != NO_REQUEST and hasattr(after, "request_id"):
        fail(
            f"after handle_order returned, a line logged by its caller still carried "
            f"{carried(after)!r}; outside any request it should carry {NO_REQUEST!r}. A "
            "worker that handles requests one after another would stamp the next "
            "request's first lines with the last one's id.",
            fix="keep the token of set() and put the value back when the request ends: "
            "`token = request_id.set(rid)` ... `finally: request_id.reset(token)`.",
        )
