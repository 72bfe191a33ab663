"""Mistake: fetching every page before yielding the first order (eager, not lazy)."""

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing

import aiohttp
import aiosqlite

MISTAKE = "fetched 5 pages to find an order on page 2"


async def fetch_page(session: aiohttp.ClientSession, shop_url: str, page: int) -> dict:
    async with session.get(f"{shop_url}/orders", params={"page": page}) as response:
        response.raise_for_status()
        return await response.json()


async def iter_orders(shop_url: str) -> AsyncIterator[dict]:
    async with aiohttp.ClientSession() as session:
        everything = []
        page = 1
        while page is not None:
            data = await fetch_page(session, shop_url, page)
            everything.extend(data["orders"])  # <- mistake: no yield until every page is in
            page = data["next_page"]
        for order in everything:
            yield order


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
