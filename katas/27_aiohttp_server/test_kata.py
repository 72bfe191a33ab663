"""Kata 27 — aiohttp server. Run: pytest katas/27_aiohttp_server"""

import asyncio
import gc
import inspect
import json
import threading
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from harness.judge import draw_timeline, excepts, expect, fail, serve_app, stopwatch, wrote

# Six orders at once, each waiting 0.1 s for the stock service, then 0.02 s for its
# receipt in a thread: ≈ 0.12 s in all, 0.72 s one at a time. The evidence is what was
# seen at once — requests at the stock service, receipts being rendered — not the clock:
# the server, its client and the stock service share one loop and six threads here, and
# on a busy machine their overhead alone can double the time.
LATENCY = 0.1
AT_ONCE = 6
# Orders placed at once all reach the handler within a few ms; a stock answer that takes
# 0.05 s keeps each of them waiting at its first await until all six have arrived.
ID_LATENCY = 0.05
STOCK = {"coffee": 50, "scone": 50, "tea": 1}
COFFEE = {"item": "coffee", "quantity": 2}
# Bodies a client may send by mistake: (what it is, the raw body, the field to name).
BAD_ORDERS = [
    ("a body that is not JSON", b'{"item": "coffee", quantity: 2', None),
    ("a JSON list, not an object", b'["coffee", 2]', None),
    ("no item", b'{"quantity": 2}', "item"),
    ("an empty item", b'{"item": "", "quantity": 2}', "item"),
    ("no quantity", b'{"item": "coffee"}', "quantity"),
    ("a quantity that is a string", b'{"item": "coffee", "quantity": "2"}', "quantity"),
    ("a quantity of 0", b'{"item": "coffee", "quantity": 0}', "quantity"),
    ("a quantity of 1.5", b'{"item": "coffee", "quantity": 1.5}', "quantity"),
    ("a quantity of true", b'{"item": "coffee", "quantity": true}', "quantity"),
]
TOO_BIG = json.dumps({**COFFEE, "note": "extra hot " * 2000}).encode()  # 20 KB

# render_receipt stands for a library with no async version: the fix is a thread.
pytestmark = pytest.mark.blocking_fix(
    "time.sleep",
    "render_receipt blocks (a library with no async version): run it in a thread, "
    "`await asyncio.to_thread(render_receipt, order)`.",
)


@dataclass
class Answer:
    status: int
    body: object  # the JSON body, or its text when it is not JSON

    @property
    def error(self) -> str | None:
        return self.body.get("error") if isinstance(self.body, dict) else None


class Shop:
    """The learner's app, served on loopback, and a client for it."""

    __test__ = False

    def __init__(self, app, session: aiohttp.ClientSession, stock) -> None:
        self.app = app
        self.session = session
        self.stock = stock

    async def post(self, body: object) -> Answer:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        async with self.session.post(self.app.url("/orders"), data=data, headers=headers) as response:
            return await answer_of(response)

    async def get(self, order_id: int) -> Answer:
        async with self.session.get(self.app.url(f"/orders/{order_id}")) as response:
            return await answer_of(response)

    def fail_on_500(self, answer: Answer, request: str, *, bad_input: bool = False) -> None:
        """A 500 is named with what the learner's handler did, at their line."""
        __tracebackhide__ = True
        if answer.status != 500:
            return
        handler = self.app.errors[-1] if self.app.errors else None
        fail(
            f"{request} answered 500 Internal Server Error"
            + (f": your handler {handler.what}." if handler else ".")
            + (" A client's mistake gets a 4xx and a message, never a 500." if bad_input else ""),
            where=handler.where if handler else (),
            fix=VALIDATE if bad_input else None,
        )


async def answer_of(response: aiohttp.ClientResponse) -> Answer:
    text = await response.text()
    try:
        return Answer(response.status, json.loads(text))
    except ValueError:
        return Answer(response.status, text)


def open_stock(service, latency: float = 0.0) -> None:
    for item, available in STOCK.items():
        service.route(f"/stock/{item}", json={"item": item, "available": available}, latency=latency)


def create_app(kata, service) -> web.Application:
    __tracebackhide__ = True
    app = kata.create_app(service.base_url)
    if not isinstance(app, web.Application):
        fail(
            f"create_app(stock_url) returned {app!r}; expected an aiohttp.web.Application.",
            fix="build it with web.Application(...), add the routes, and return it.",
        )
    return app


@pytest.fixture
async def shop(kata, kata_file, service):
    """The learner's app on a free port, its stock service answering at once."""
    open_stock(service)
    async with (
        serve_app(create_app(kata, service), kata_file) as app,
        aiohttp.ClientSession() as session,
    ):
        yield Shop(app, session, service)


def receipt_of(order_id: int, order: dict) -> str:
    return f"Receipt #{order_id}: {order['quantity']} x {order['item']}"


VALIDATE = (
    "check the order before using it: catch json.JSONDecodeError from `await "
    "request.json()`, then that it is a dict, that item is a non-empty str and quantity "
    "an int of at least 1 (and not a bool); answer error(400, '...') naming the field."
)


# --- the tests -----------------------------------------------------------------------------
async def test_an_order_is_stored_with_an_id_and_a_receipt(shop):
    """201 with the order, its id and its receipt; GET /orders/{id} gives it back."""
    answer = await shop.post(COFFEE)
    shop.fail_on_500(answer, f"POST /orders {json.dumps(COFFEE)}")
    expected = {"id": 1, **COFFEE, "receipt": receipt_of(1, COFFEE)}
    expect(
        (answer.status, answer.body) == (201, expected),
        f"POST /orders {json.dumps(COFFEE)} answered {answer.status} {answer.body!r}; "
        f"expected 201 {expected!r}.",
    )
    again = await shop.get(1)
    expect(
        (again.status, again.body) == (200, expected),
        f"GET /orders/1 answered {again.status} {again.body!r}; expected 200 {expected!r}.",
        fix="store the order in request.app[ORDERS] under its id.",
    )


async def test_bad_orders_get_400_with_a_message_that_names_the_problem(shop):
    """Invalid JSON, a missing field, a wrong type: 400 and what is wrong, never a 500."""
    wrong = []
    for what, body, field in BAD_ORDERS:
        answer = await shop.post(body)
        request = f"POST /orders with {what} ({body.decode()})"
        shop.fail_on_500(answer, request, bad_input=True)
        if answer.status != 400 or not answer.error or (field and field not in answer.error):
            wrong.append((what, request, answer, field))
    if not wrong:
        return
    what, request, answer, field = wrong[0]
    more = f" (and {len(wrong) - 1} more of the {len(BAD_ORDERS)} bad orders)" if len(wrong) > 1 else ""
    if answer.status == 400 and not answer.error:
        said = f"answered 400 with {answer.body!r}, not a JSON object with an \"error\" message"
    elif answer.status == 400:
        said = f"answered 400 {{'error': {answer.error!r}}}, which does not name the field {field!r}"
    else:
        said = f"answered {answer.status} {answer.body!r}; expected 400"
    why = ""
    if what == "a quantity of true":
        why = " In Python, isinstance(True, int) is True: a bool passes an int check."
    fail(f"{request} {said}{more}.{why}", fix=VALIDATE)


async def test_an_order_over_16_kib_is_refused_with_413(kata, shop):
    """client_max_size: aiohttp refuses a bigger body with 413 when the handler reads it."""
    answer = await shop.post(TOO_BIG)
    request = f"POST /orders with a {len(TOO_BIG) // 1024} KB body"
    shop.fail_on_500(answer, request, bad_input=True)
    if answer.status == 413:
        return
    if answer.status in (200, 201):
        fail(
            f"{request} answered {answer.status}: the order was accepted, but orders "
            f"are at most MAX_ORDER_BYTES ({16 * 1024} bytes).",
            fix="create the app with web.Application(client_max_size=MAX_ORDER_BYTES): "
            "then `await request.json()` raises web.HTTPRequestEntityTooLarge, a 413.",
        )
    catching = [h for h in excepts(kata) if h.catches(web.HTTPRequestEntityTooLarge)]
    if catching:
        clause = catching[0]
        fail(
            f"{request} answered {answer.status} {answer.body!r}; expected 413. "
            "`await request.json()` raised web.HTTPRequestEntityTooLarge (the 413), and "
            f"`except{' ' + clause.written if clause.written else ''}:` caught it:",
            where=(clause.where,),
            fix="catch only what bad JSON raises, json.JSONDecodeError (a ValueError): "
            "aiohttp's HTTP errors are answers, let them through.",
        )
    fail(f"{request} answered {answer.status} {answer.body!r}; expected 413.")


async def test_more_than_is_in_stock_is_a_409(shop):
    """The handler asks the stock service, and refuses what it cannot fill."""
    order = {"item": "tea", "quantity": 3}
    answer = await shop.post(order)
    request = f"POST /orders {json.dumps(order)} (the stock service has 1 tea)"
    shop.fail_on_500(answer, request)
    expect(
        answer.status == 409 and answer.error,
        f"{request} answered {answer.status} {answer.body!r}; expected 409 with an "
        '"error" message.',
        fix="ask fetch_stock(request.app[STOCK], request.app[STOCK_URL], item); if fewer "
        "are available than ordered, return error(409, ...).",
    )
    expect(
        not shop.stock.calls or shop.stock.calls_to("/stock/tea"),
        f"the app asked the stock service for {shop.stock.calls[0].label if shop.stock.calls else ''}, "
        "not for /stock/tea.",
    )


class ReceiptWatch:
    """Stands in for render_receipt: calls the real one, and notes how many ran at once."""

    __test__ = False

    def __init__(self, render_receipt) -> None:
        self.render_receipt = render_receipt
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()  # it runs in worker threads

    def __call__(self, order: dict) -> str:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            return self.render_receipt(order)
        finally:
            with self.lock:
                self.running -= 1


@pytest.mark.workload
async def test_six_orders_at_once_are_served_at_the_same_time(kata, kata_file, service, monkeypatch):
    """Each request runs in its own task: while one awaits, the others go on."""
    open_stock(service, latency=LATENCY)
    receipts = ReceiptWatch(kata.render_receipt)
    monkeypatch.setitem(inspect.unwrap(kata.create_app).__globals__, "render_receipt", receipts)
    orders = [{"item": "coffee", "quantity": n} for n in range(1, AT_ONCE + 1)]
    async with (
        serve_app(create_app(kata, service), kata_file) as app,
        aiohttp.ClientSession() as session,
    ):
        shop = Shop(app, session, service)
        with stopwatch() as watch:
            answers = await asyncio.gather(*(shop.post(order) for order in orders))
    for order, answer in zip(orders, answers):
        shop.fail_on_500(answer, f"POST /orders {json.dumps(order)}")
    if service.peak_in_flight < AT_ONCE:
        lock = " (an asyncio.Lock held around the whole handler does that)" if wrote(kata, "Lock") else ""
        fail(
            f"{AT_ONCE} orders sent at once took {watch.elapsed:.2f} s: the app asked the "
            f"stock service at most {service.peak_in_flight} at a time, so each order waited "
            f"for the one before{lock}.",
            evidence=draw_timeline(service.calls),
            fix="let every request run its handler at once: hold a lock only around the "
            "few lines that must not interleave, never across an await.",
        )
    if receipts.peak == 1:
        fail(
            f"{AT_ONCE} orders sent at once took {watch.elapsed:.2f} s: their receipts were "
            "rendered one at a time, each order waiting for the one before.",
            fix="render each receipt in a thread, `await asyncio.to_thread(render_receipt, "
            "order)`, with no lock around it: the threads run together.",
        )
    expect(
        all(answer.status == 201 for answer in answers),
        f"{AT_ONCE} orders sent at once were answered {[a.status for a in answers]}; "
        "expected 201 each.",
    )


async def test_orders_placed_at_once_each_get_their_own_id(kata, kata_file, service):
    """Another request runs at every await: take the id and store the order in one step."""
    open_stock(service, latency=ID_LATENCY)
    orders = [{"item": "scone", "quantity": n} for n in range(1, AT_ONCE + 1)]
    async with (
        serve_app(create_app(kata, service), kata_file) as app,
        aiohttp.ClientSession() as session,
    ):
        shop = Shop(app, session, service)
        answers = await asyncio.gather(*(shop.post(order) for order in orders))
        for order, answer in zip(orders, answers):
            shop.fail_on_500(answer, f"POST /orders {json.dumps(order)}")
        ids = [answer.body.get("id") if isinstance(answer.body, dict) else None for answer in answers]
        expect(
            sorted(ids, key=str) == list(range(1, AT_ONCE + 1)),
            f"{AT_ONCE} orders placed at once got the ids {ids}; expected each of 1 to "
            f"{AT_ONCE} once.",
            fix="the other requests run at each await: read the next id and store the order "
            "with no await in between (after the stock check), e.g. "
            "`order_id = len(orders) + 1; orders[order_id] = order`.",
        )
        stored = [await shop.get(order_id) for order_id in ids]
    for order, order_id, again in zip(orders, ids, stored):
        expected = {"id": order_id, **order, "receipt": receipt_of(order_id, order)}
        expect(
            (again.status, again.body) == (200, expected),
            f"GET /orders/{order_id} answered {again.status} {again.body!r}; expected 200 "
            f"{expected!r}: an order stored under another's id?",
        )


async def test_the_stock_session_is_opened_once_and_closed_at_shutdown(kata, kata_file, service):
    """One session for every request, opened at startup, closed at shutdown (cleanup_ctx)."""
    open_stock(service)
    before = {id(s) for s in gc.get_objects() if isinstance(s, aiohttp.ClientSession)}
    async with serve_app(create_app(kata, service), kata_file) as app:
        async with aiohttp.ClientSession() as session:
            shop = Shop(app, session, service)
            for _ in range(2):
                answer = await shop.post(COFFEE)
                shop.fail_on_500(answer, f"POST /orders {json.dumps(COFFEE)}")
        connections = service.connections
        await app.close()
    left_open = [
        s
        for s in gc.get_objects()
        if isinstance(s, aiohttp.ClientSession) and id(s) not in before and not s.closed
    ]
    if connections > 1:
        fail(
            f"2 orders, one after the other, reached the stock service over {connections} "
            "connections: each request opened a session of its own.",
            fix="open ONE ClientSession when the app starts and keep it in app[STOCK]: "
            "in the stock_session cleanup context, before its `yield`.",
        )
    if left_open:
        fail(
            "after the app shut down, the ClientSession it opened was still open.",
            fix="close it in the cleanup context, after the `yield` (or open it with "
            "`async with aiohttp.ClientSession() as session:` around the `yield`), and "
            "register it with app.cleanup_ctx.append(stock_session).",
        )
