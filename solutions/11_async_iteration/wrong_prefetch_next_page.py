"""Mistake: fetching the next page in a background task while the caller is still
reading this one: the generator is no longer lazy (a caller that stops early still paid
for the page after it)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing

import aiohttp
import aiosqlite

MISTAKE = (
    "iter_orders had fetched pages [1, 2]; expected [1]",
    "wrong_prefetch_next_page.py:{line} in iter_orders()",
)


async def fetch_page(session: aiohttp.ClientSession, shop_url: str, page: int) -> dict:
    async with session.get(f"{shop_url}/orders", params={"page": page}) as response:
        response.raise_for_status()
        return await response.json()


async def iter_orders(shop_url: str) -> AsyncIterator[dict]:
    async with aiohttp.ClientSession() as session:
        upcoming = asyncio.create_task(fetch_page(session, shop_url, 1))
        try:
            while upcoming is not None:
                data = await upcoming
                upcoming = None
                if data["next_page"] is not None:  # start the next page while this one is read
                    upcoming = asyncio.create_task(fetch_page(session, shop_url, data["next_page"]))  # <- mistake
                for order in data["orders"]:
                    yield order
        finally:
            if upcoming is not None:  # the caller stopped early: drop the page it will not read
                upcoming.cancel()


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
