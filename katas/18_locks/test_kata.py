"""Kata 18 — locks. Run: pytest katas/18_locks"""

import asyncio

import aiohttp
import pytest
from aiohttp import web

from harness.judge import assert_result, draw_timeline, expect, fail, wrote

# Forced interleaving, by the service rather than by chance: the shipping quotes of
# orders placed together are all answered at the same moment, 50 ms after the first
# arrived, so every order reaches its stock read at once; and a stock read takes 20 ms,
# so, without a lock, every order reads before any of them writes. With the lock, the
# 5 orders take 5 x 20 ms for their stock steps, after 50 ms of quotes together.
READ = 0.02
SHIPPING = 0.05
COST = 4.5
ORDERS = 5
IN_STOCK = 3  # fewer than ORDERS: two orders must be refused


class StockService:
    """The shop: GET/PUT /stock/{item} (a read takes READ seconds) and GET /shipping/{item}.
    Notes every read (the value it answered) and write, in order."""

    def __init__(self, service, stock: dict[str, int], orders: int = 1) -> None:
        self.stock = dict(stock)
        self.seen: list[str] = []
        self.orders = orders
        self.quotes: list[float] = []  # when each quote arrived (loop time)
        self.all_quoted = asyncio.Event()
        for item in stock:
            service.route(f"/stock/{item}", handler=self._stock(item))
            service.route(f"/shipping/{item}", handler=self._quote(item))

    def _stock(self, item: str):
        async def handle(request: web.Request) -> web.Response:
            if request.method == "PUT":
                self.stock[item] = (await request.json())["stock"]
                self.seen.append(f"wrote {self.stock[item]}")
            else:
                await asyncio.sleep(READ)
                self.seen.append(f"read {self.stock[item]}")
            return web.json_response({"item": item, "stock": self.stock[item]})

        return handle

    def _quote(self, item: str):
        async def handle(request: web.Request) -> web.Response:
            now = asyncio.get_running_loop().time()
            self.quotes.append(now)
            if len(self.quotes) >= self.orders:
                self.all_quoted.set()
            await asyncio.sleep(max(0.0, self.quotes[0] + SHIPPING - now))
            try:  # quotes that come one at a time each take SHIPPING
                async with asyncio.timeout(SHIPPING):
                    await self.all_quoted.wait()
            except TimeoutError:
                pass
            return web.json_response({"item": item, "cost": COST})

        return handle

    def story(self) -> str:
        return "The stock service saw, in order: " + (", ".join(self.seen) or "nothing") + "."


def most_at_once(calls) -> int:
    """The most of these calls the service had in flight at the same moment."""
    edges = [(c.started, 1) for c in calls] + [(c.ended, -1) for c in calls if c.ended is not None]
    peak = now = 0
    for _, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        now += step
        peak = max(peak, now)
    return peak


def shared_locks(kata, warehouse) -> list[str]:
    """The names of asyncio locks (or a dict of them) that every order can see."""
    kinds = (asyncio.Lock, asyncio.Semaphore, asyncio.Condition)
    places = {**vars(kata._module), **vars(type(warehouse)), **vars(warehouse)}
    found = []
    for name, value in places.items():
        values = value.values() if isinstance(value, dict) else [value]
        if any(isinstance(v, kinds) for v in values) or isinstance(value, kinds):
            found.append(name)
    return found


# --- the tests --------------------------------------------------------------------------------
async def test_one_order_takes_its_quantity_from_the_stock(kata, service):
    """The plain case: quote, read, check, write."""
    shop = StockService(service, {"widget": 5})
    async with aiohttp.ClientSession() as session:
        receipt = await kata.Warehouse(session, service.base_url).place_order("widget", 2)
    assert_result(
        receipt,
        {"item": "widget", "quantity": 2, "shipping": COST},
        call='place_order("widget", 2)',
    )
    expect(
        shop.stock["widget"] == 3,
        f'after place_order("widget", 2) with 5 in stock, the stock service shows '
        f'{shop.stock["widget"]}; expected 3.',
        evidence="    " + shop.story(),
    )


async def test_an_order_bigger_than_the_stock_is_refused_and_changes_nothing(kata, service):
    """Check before you act: too few left means OutOfStock, and no write."""
    shop = StockService(service, {"widget": 2})
    call = 'place_order("widget", 3) with 2 in stock'
    async with aiohttp.ClientSession() as session:
        try:
            receipt = await kata.Warehouse(session, service.base_url).place_order("widget", 3)
        except kata.OutOfStock:
            receipt = None
        else:
            fail(f"{call} returned {receipt!r}; expected it to raise OutOfStock.")
    expect(
        shop.stock["widget"] == 2 and not any(s.startswith("wrote") for s in shop.seen),
        f"{call} raised OutOfStock but changed the stock.",
        evidence="    " + shop.story(),
        fix="raise OutOfStock before write_stock.",
    )


@pytest.mark.workload
async def test_orders_placed_at_once_never_sell_more_than_the_stock(kata, service):
    """A read, a check and a write with awaits between them must be one step: a Lock."""
    shop = StockService(service, {"widget": IN_STOCK}, orders=ORDERS)
    async with aiohttp.ClientSession() as session:
        warehouse = kata.Warehouse(session, service.base_url)
        results = await asyncio.gather(
            *(warehouse.place_order("widget", 1) for _ in range(ORDERS)), return_exceptions=True
        )
    refused = kata.OutOfStock
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, refused)]
    if unexpected:
        raise unexpected[0]
    confirmed = sum(not isinstance(r, BaseException) for r in results)
    left = shop.stock["widget"]
    if confirmed > IN_STOCK or left != IN_STOCK - confirmed:
        locks = shared_locks(kata, warehouse)
        if locks:
            why = (
                f"Your orders share a lock (`{'`, `'.join(locks)}`), yet one order's read and "
                "write still had other orders' reads between them: the lock must hold "
                "the read, the check and the write, all three."
            )
        elif wrote(kata, "Lock"):
            why = (
                "Your code makes a Lock, but not one that every order shares: a Lock "
                "created inside place_order is a new lock for each order, so nobody ever "
                "waits for it."
            )
        else:
            why = (
                "Between an order's read and its write there is an `await`: the other "
                "orders ran there, read the same stock, and wrote over each other."
            )
        fail(
            f"{ORDERS} orders of 1 widget at once, with {IN_STOCK} in stock: {confirmed} "
            f"were confirmed, and the stock service now shows {left}.",
            evidence=f"    {shop.story()}\n    {why}",
            fix="create one asyncio.Lock in __init__ and put the read, the check and the "
            "write inside `async with self.lock:`.",
        )
    expect(
        confirmed == IN_STOCK,
        f"{ORDERS} orders of 1 widget at once, with {IN_STOCK} in stock: only {confirmed} "
        "were confirmed.",
        evidence="    " + shop.story(),
    )


async def test_shipping_quotes_overlap_while_orders_take_turns_with_the_stock(kata, service):
    """Only the critical section is serialized: the slow, independent work stays concurrent."""
    StockService(service, {"widget": 10}, orders=ORDERS)
    async with aiohttp.ClientSession() as session:
        warehouse = kata.Warehouse(session, service.base_url)
        results = await asyncio.gather(*(warehouse.place_order("widget", 1) for _ in range(ORDERS)))
    quotes = service.calls_to("/shipping/widget")
    expect(
        len(quotes) == ORDERS,
        f"{ORDERS} orders asked for {len(quotes)} shipping quotes; expected one each.",
    )
    expect(
        most_at_once(quotes) > 1,
        f"the {ORDERS} shipping quotes ran one at a time: {service.span():.2f} s for "
        f"{ORDERS} orders (quotes at once ≈ {SHIPPING + ORDERS * READ:.2f} s). A quote does "
        "not touch the stock, yet each waited for the order before it.",
        fix="hold the lock only around the stock's read, check and write; quote the "
        "shipping before you take the lock.",
        evidence=draw_timeline(quotes),
    )
    assert_result(
        results[0],
        {"item": "widget", "quantity": 1, "shipping": COST},
        call='place_order("widget", 1)',
    )
