"""Kata 11 — async iteration. Run: pytest katas/11_async_iteration"""

import asyncio
import inspect
from urllib.parse import parse_qs

import pytest
from aiohttp import web

from harness.judge import assert_result, draw_timeline, expect, fail

# A shop with 15 orders on 5 pages of 3. Each page takes 0.005 s to serve: the tests
# judge laziness by counting the pages the shop served, never by the clock.
LATENCY = 0.005
# Between two orders, the laziness test lets the loop run for PAUSE (10 pages' time), as
# a caller doing other work would: a page fetched in the background shows up meanwhile.
PAUSE = 0.05
# The workload (find an order on page 2) uses slower pages, so that its time is mostly
# the two page fetches: katas.toml's ideal = 2 x 0.05 s (fetching all 5 pages: 0.25 s).
WORKLOAD_LATENCY = 0.05
PER_PAGE = 3
CUSTOMERS = ["ada", "grace", "linus"]
TOTALS = [120, 80, 310, 45, 640, 95, 210, 60, 150, 75, 900, 30, 260, 115, 40]
ORDERS = [
    {"id": n, "customer": CUSTOMERS[(n - 1) % len(CUSTOMERS)], "total": total}
    for n, total in enumerate(TOTALS, start=1)
]
PAGES = [ORDERS[i : i + PER_PAGE] for i in range(0, len(ORDERS), PER_PAGE)]
LAST_PAGE = len(PAGES)
ALL_PAGES = list(range(1, LAST_PAGE + 1))


def is_big(order: dict) -> bool:
    return order["total"] >= 500


FIND_BIG = "find_order(url, lambda order: order['total'] >= 500)"
FIRST_BIG = ORDERS[4]  # id 5, the second order on page 2
FIND_NONE = "find_order(url, lambda order: order['customer'] == 'nobody')"


# --- the shop ------------------------------------------------------------------------------
def open_shop(service, latency=LATENCY):
    """GET /orders?page=N answers {"orders": [...], "next_page": N+1 or null}; 404 past the end."""

    async def serve_page(request: web.Request) -> web.Response:
        asked = request.query.get("page", "1")
        if not asked.isdigit():
            return web.json_response({"error": f"page must be a number, got {asked!r}"}, status=400)
        number = int(asked)
        if not 1 <= number <= LAST_PAGE:
            return web.json_response(
                {"error": f"no page {number}: the pages are 1 to {LAST_PAGE}"}, status=404
            )
        next_page = number + 1 if number < LAST_PAGE else None
        return web.json_response({"orders": PAGES[number - 1], "next_page": next_page})

    service.route("/orders", handler=serve_page, latency=latency)


def pages_requested(service) -> list:
    """The page numbers the shop was asked for, in order."""
    return [page_of(call) for call in service.calls_to("/orders")]


def page_of(call) -> int | str:
    asked = parse_qs(call.query).get("page", ["1"])[0]
    return int(asked) if asked.isdigit() else asked


def requests_made(service) -> str:
    return ", ".join(call.label for call in service.calls) or "none"


def assert_no_page_past_the_end(service, *, call: str) -> None:
    """Every page asked for exists: none before 1, none after the one whose next_page is null."""
    __tracebackhide__ = True
    refused = [c for c in service.calls_to("/orders") if c.status in (400, 404)]
    if not refused:
        return
    first = refused[0]
    requests = f"    requests: {requests_made(service)}"
    if isinstance(page_of(first), int) and page_of(first) > LAST_PAGE:
        fail(
            f"{call} asked for {first.label}, a page past the end, and the shop answered "
            f'404. Page {LAST_PAGE} said "next_page": null: there are no more pages.',
            fix='stop after the page whose "next_page" is None.',
            evidence=requests,
        )
    fail(
        f"{call} asked for {first.label}, and the shop answered {first.status}: the pages "
        f"are numbered from 1 to {LAST_PAGE}.",
        fix='start at page 1, then follow "next_page".',
        evidence=requests,
    )


async def checked(awaitable, service, *, call: str):
    """Await the code under test; a request for a page past the end is named first."""
    __tracebackhide__ = True
    try:
        result = await awaitable
    except Exception:
        assert_no_page_past_the_end(service, call=call)
        raise
    assert_no_page_past_the_end(service, call=call)
    return result


# --- the stream of orders ------------------------------------------------------------------
def iter_orders_of(kata):
    """kata.iter_orders, after checking that it can be an async iterator's source: an
    async generator function, or anything else callable (a class with __anext__...),
    which is judged when called."""
    __tracebackhide__ = True
    iter_orders = kata.iter_orders
    if inspect.isasyncgenfunction(iter_orders):
        return iter_orders
    if inspect.iscoroutinefunction(iter_orders) and "NotImplementedError" in _source(iter_orders):
        why = "Yours is still the stub: replace `raise NotImplementedError` with the paging loop."
    elif inspect.iscoroutinefunction(iter_orders):
        why = (
            "Yours is an `async def` without `yield`: calling it gives a coroutine that "
            "returns everything at once, and `async for` over it fails with "
            "\"TypeError: 'async for' requires an object with __aiter__ method\"."
        )
    elif inspect.isgeneratorfunction(iter_orders):
        why = "Yours is a plain `def` with `yield`: a plain generator cannot `await` a page."
    elif callable(iter_orders):
        return iter_orders
    else:
        why = f"Yours is {iter_orders!r}."
    fail(
        f"iter_orders must be an async generator: an `async def` with `yield` in it. {why}",
        fix="hand the orders out with `yield order`, so that callers loop with `async for` "
        "and each page is fetched only when its orders are needed.",
    )


def open_stream(kata, url: str):
    """``iter_orders(url)``, checked to be an async iterator."""
    __tracebackhide__ = True
    stream = iter_orders_of(kata)(url)
    if not hasattr(stream, "__anext__"):
        if inspect.iscoroutine(stream):
            stream.close()
        fail(
            f"iter_orders(url) returned {type(stream).__name__}, not an async iterator: "
            "`async for` needs an object with __anext__.",
            fix="make iter_orders an async generator (`async def` with `yield order`).",
        )
    return stream


async def close(stream) -> None:
    """What contextlib.aclosing does on the way out (an iterator class may have no aclose)."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def _source(function) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


async def next_order(stream, service, taken: int) -> dict:
    """`await anext(stream)`, with the shop's view of what went wrong if it fails."""
    __tracebackhide__ = True
    try:
        order = await checked(anext(stream), service, call="`await anext(iter_orders(url))`")
    except StopAsyncIteration:
        fail(
            f"iter_orders(url) stopped after {taken} orders; the shop has {len(ORDERS)} "
            f"on {LAST_PAGE} pages.",
            fix='keep going while "next_page" names a page.',
        )
    if isinstance(order, list):
        fail(
            f"iter_orders(url) handed out a whole page at once (a list of {len(order)} "
            "orders); the caller asked for one order.",
            fix='yield each order of the page: `for order in data["orders"]: yield order`.',
        )
    return order


def ids_of(items: list) -> str:
    """What a loop over the stream gave, by order id; a whole page is named as such."""
    if not items:
        return "nothing"
    if any(isinstance(item, list) for item in items):
        return f"{len(items)} lists, whole pages: `yield` each order on a page, not the page"
    shown = [item.get("id", item) if isinstance(item, dict) else item for item in items]
    return f"{len(items)} items, the orders with ids {shown}"


async def collect(stream) -> list[dict]:
    return [order async for order in stream]


def background_work(kata_file) -> list:
    """Where the tasks started by the learner's code that are still running were started."""
    current = asyncio.current_task()
    found = []
    for task in asyncio.all_tasks():
        if task is not current and not task.done():
            place = started_at(kata_file, task.get_coro())
            if place is not None:
                found.append(place)
    return found


def started_at(kata_file, coroutine):
    """The learner's line that made ``coroutine`` (asyncio keeps its origin in this
    harness), else where it waits in their file, else None when it is not theirs."""
    for filename, line, function in getattr(coroutine, "cr_origin", None) or ():
        if filename == kata_file.path:
            return kata_file.at(line, function)
    code = getattr(coroutine, "cr_code", None)
    if code is not None and kata_file.owns(code):
        return next(iter(kata_file.awaiting(coroutine)), kata_file.where(code, None))
    return None


def assert_lazy(pages: list, expected: list, background: list, *, after: str) -> None:
    """Only the pages with the orders handed out so far were fetched, and nothing was
    left running while the generator waited at its `yield`."""
    __tracebackhide__ = True
    running = (
        " A task your code started was still running after that order was handed out:"
        if background
        else ""
    )
    if pages != expected:
        fail(
            f"after handing out {after} and letting the loop run for {PAUSE} s, "
            f"iter_orders had fetched pages {pages}; expected {expected}: nobody had asked "
            f"for an order of page {len(expected) + 1} yet.{running}",
            fix="fetch the next page inside the generator, after yielding this page's "
            "orders, so it is fetched only when the caller asks for more.",
            where=tuple(background[:1]),
        )
    if background:
        fail(
            f"iter_orders left work running in the background after handing out {after}: "
            "a task your code started was still running while the generator waited at its "
            "`yield`:",
            fix="await each page inside the generator when its orders are asked for; "
            "start no task that outlives the `yield`.",
            where=tuple(background[:1]),
        )


class StreamWatch:
    """Stands in for iter_orders: passes the real orders through and notes when each
    stream the code opened is closed."""

    __test__ = False

    def __init__(self, iter_orders):
        self.iter_orders = iter_orders
        self.opened = 0
        self.closed = 0

    async def __call__(self, *args, **kwargs):
        self.opened += 1
        stream = self.iter_orders(*args, **kwargs)
        try:
            async for order in stream:
                yield order
        finally:
            await close(stream)
            self.closed += 1


# --- the tests -----------------------------------------------------------------------------
async def test_iter_orders_gives_an_async_iterator(kata):
    """An `async def` with `yield` in it is an async generator function: calling it
    gives an async iterator, and runs nothing yet."""
    await close(open_stream(kata, "http://127.0.0.1:9"))  # no request is made: port 9 is unused


async def test_iter_orders_fetches_a_page_only_when_its_orders_are_needed(kata, kata_file, service):
    """An async generator pauses at each `yield`: the next page waits until it is asked for."""
    open_shop(service)
    stream = open_stream(kata, service.base_url)
    try:
        first = await next_order(stream, service, taken=0)
        running_after_first = background_work(kata_file)
        await asyncio.sleep(PAUSE)  # the caller does something else; the loop runs
        after_first = pages_requested(service)
        for taken in range(1, PER_PAGE + 1):
            first_of_page_2 = await next_order(stream, service, taken)
        running_after_page_2 = background_work(kata_file)
        await asyncio.sleep(PAUSE)
        after_first_of_page_2 = pages_requested(service)
    finally:
        await close(stream)
    assert_lazy(after_first, [1], running_after_first, after="its first order")
    assert_result(
        first, ORDERS[0], call="the first `await anext(stream)` on stream = iter_orders(url)"
    )
    assert_lazy(
        after_first_of_page_2,
        [1, 2],
        running_after_page_2,
        after=f"the {PER_PAGE} orders of page 1 and the first of page 2",
    )
    assert_result(
        first_of_page_2, ORDERS[PER_PAGE], call=f"`await anext(stream)` number {PER_PAGE + 1}"
    )


async def test_iter_orders_hands_out_every_order_and_stops_after_the_last_page(kata, service):
    """`async for` ends when the generator returns: after the page whose next_page is null."""
    open_shop(service)
    stream = open_stream(kata, service.base_url)
    try:
        orders = await checked(collect(stream), service, call="looping over iter_orders(url)")
    finally:
        await close(stream)
    expect(
        orders == ORDERS,
        f"looping over iter_orders(url) gave {ids_of(orders)}; expected the orders with ids "
        f"1 to {len(ORDERS)}: every order of all {LAST_PAGE} pages, one at a time, in page order.",
    )
    expect(
        pages_requested(service) == ALL_PAGES,
        f"iter_orders fetched pages {pages_requested(service)}; expected each page once, in "
        f"order: {ALL_PAGES}.",
    )


@pytest.mark.workload
async def test_find_order_stops_fetching_at_the_page_with_the_match(kata, service):
    """Returning from inside `async for` stops the generator: no later page is fetched."""
    open_shop(service, latency=WORKLOAD_LATENCY)
    iter_orders_of(kata)
    found = await checked(kata.find_order(service.base_url, is_big), service, call=FIND_BIG)
    pages = pages_requested(service)
    expect(
        len(pages) <= 2,
        f"{FIND_BIG} fetched {len(pages)} pages to find an order on page 2 (pages {pages}).",
        fix="stop looping at the first match, and let iter_orders fetch each page only "
        "when its orders are needed.",
    )
    assert_result(found, FIRST_BIG, call=FIND_BIG)
    expect(pages == [1, 2], f"{FIND_BIG} fetched pages {pages}; expected pages [1, 2].")


async def test_find_order_closes_the_stream_of_orders_before_it_returns(
    kata, service, monkeypatch
):
    """Leaving `async for` early does not close the generator: contextlib.aclosing does."""
    open_shop(service)
    watch = StreamWatch(iter_orders_of(kata))
    monkeypatch.setitem(inspect.unwrap(kata.find_order).__globals__, "iter_orders", watch)
    found = await checked(kata.find_order(service.base_url, is_big), service, call=FIND_BIG)
    opened, closed = watch.opened, watch.closed
    expect(
        opened,
        f"{FIND_BIG} never called iter_orders (this test watches that stream to see that "
        "it is closed).",
        fix="loop over `iter_orders(shop_url)` with `async for`.",
    )
    expect(
        closed == opened,
        "find_order returned while its iter_orders stream was still open. Leaving an "
        "`async for` early (return or break) does not close an async generator: its "
        "cleanup (here, closing the ClientSession inside iter_orders) waits until the "
        "garbage collector finds it.",
        fix="open the stream with `async with contextlib.aclosing(iter_orders(shop_url)) "
        "as orders:` and loop over `orders`, so it is closed before find_order returns.",
    )
    unfinished = [call for call in service.calls if call.outcome != "answered"]
    expect(
        not unfinished,
        f"find_order returned while {len(unfinished)} request(s) had no answer yet "
        f"({', '.join(c.label for c in unfinished)}).",
        fix="await every request you start before find_order returns.",
        evidence=draw_timeline(service.calls),
    )
    assert_result(found, FIRST_BIG, call=FIND_BIG)


async def test_find_order_returns_none_after_the_last_page_when_nothing_matches(kata, service):
    """With no match, `async for` runs to the end of the stream, and no further."""
    open_shop(service)
    iter_orders_of(kata)
    found = await checked(
        kata.find_order(service.base_url, lambda order: order["customer"] == "nobody"),
        service,
        call=FIND_NONE,
    )
    assert_result(found, None, call=FIND_NONE)
    expect(
        pages_requested(service) == ALL_PAGES,
        f"{FIND_NONE} fetched pages {pages_requested(service)}; with no match it should "
        f"look at every page once: {ALL_PAGES}.",
    )


async def test_orders_of_customer_collects_from_every_page(kata, service):
    """An async comprehension, `[x async for x in stream if ...]`, drains the stream."""
    open_shop(service)
    iter_orders_of(kata)
    call = "orders_of_customer(url, 'grace')"
    got = await checked(kata.orders_of_customer(service.base_url, "grace"), service, call=call)
    expected = [order for order in ORDERS if order["customer"] == "grace"]
    assert_result(got, expected, call=call)
    expect(
        pages_requested(service) == ALL_PAGES,
        f"{call} fetched pages {pages_requested(service)}; expected each page once, in "
        f"order: {ALL_PAGES}.",
    )


# The shop database (harness/database.py): what each customer spent, in cents.
SPENT = {"ana": 3748, "bo": 2949, "cy": 1047, "dee": 4500}


async def test_big_spenders_are_read_row_by_row_from_the_database(kata, shop_db):
    """An aiosqlite cursor is an async iterator: `async for` reads its rows."""
    call = "await big_spenders(db_path, 2900)"
    spenders = await kata.big_spenders(str(shop_db.path), 2900)
    expected = sorted(name for name, cents in SPENT.items() if cents >= 2900)
    assert_result(spenders, expected, call=call)


async def test_a_threshold_above_everyone_finds_no_big_spender(kata, shop_db):
    """An async comprehension over no matching rows is an empty list."""
    spenders = await kata.big_spenders(str(shop_db.path), 10_000)
    assert_result(spenders, [], call="await big_spenders(db_path, 10_000)")
