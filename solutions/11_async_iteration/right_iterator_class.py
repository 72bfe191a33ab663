"""Accepted: an async iterator class instead of an async generator. `__anext__` fetches a
page only when its orders run out, and `aclose` (which contextlib.aclosing calls) closes
the session, as does reaching the end."""

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing

import aiohttp
import aiosqlite


async def fetch_page(session: aiohttp.ClientSession, shop_url: str, page: int) -> dict:
    async with session.get(f"{shop_url}/orders", params={"page": page}) as response:
        response.raise_for_status()
        return await response.json()


class OrderStream:
    """The shop's orders, one `await anext(...)` at a time."""

    def __init__(self, shop_url: str) -> None:
        self.shop_url = shop_url
        self.session: aiohttp.ClientSession | None = None
        self.next_page: int | None = 1
        self.waiting: list[dict] = []  # the orders of the page fetched last, not handed out yet

    def __aiter__(self) -> "OrderStream":
        return self

    async def __anext__(self) -> dict:
        while not self.waiting:
            if self.next_page is None:
                await self.aclose()
                raise StopAsyncIteration
            if self.session is None:
                self.session = aiohttp.ClientSession()
            data = await fetch_page(self.session, self.shop_url, self.next_page)
            self.waiting = list(data["orders"])
            self.next_page = data["next_page"]
        return self.waiting.pop(0)

    async def aclose(self) -> None:
        self.next_page, self.waiting = None, []
        if self.session is not None:
            session, self.session = self.session, None
            await session.close()


def iter_orders(shop_url: str) -> AsyncIterator[dict]:
    return OrderStream(shop_url)


async def find_order(shop_url: str, predicate: Callable[[dict], bool]) -> dict | None:
    async with aclosing(iter_orders(shop_url)) as orders:
        async for order in orders:
            if predicate(order):
                return order
    return None


async def orders_of_customer(shop_url: str, customer: str) -> list[dict]:
    return [order async for order in iter_orders(shop_url) if order["customer"] == customer]


SPENDING_QUERY = """
    SELECT orders.customer, SUM(orders.quantity * products.price_cents) AS spent
    FROM orders JOIN products ON products.id = orders.product_id
    GROUP BY orders.customer ORDER BY orders.customer
"""


async def big_spenders(db_path: str, at_least_cents: int) -> list[str]:
    async with aiosqlite.connect(db_path) as db:
        async with db.execute(SPENDING_QUERY) as rows:
            return [customer async for customer, spent in rows if spent >= at_least_cents]
