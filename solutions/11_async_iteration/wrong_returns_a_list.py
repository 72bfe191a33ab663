"""Mistake: iter_orders is a coroutine that returns a list, not an async generator."""

from collections.abc import Callable

import aiohttp
import aiosqlite

MISTAKE = "iter_orders must be an async generator"


async def fetch_page(session: aiohttp.ClientSession, shop_url: str, page: int) -> dict:
    async with session.get(f"{shop_url}/orders", params={"page": page}) as response:
        response.raise_for_status()
        return await response.json()


async def iter_orders(shop_url: str) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        orders = []
        page = 1
        while page is not None:
            data = await fetch_page(session, shop_url, page)
            orders.extend(data["orders"])
            page = data["next_page"]
        return orders  # <- mistake: one list at the end instead of `yield` per order


async def find_order(shop_url: str, predicate: Callable[[dict], bool]) -> dict | None:
    for order in await iter_orders(shop_url):
        if predicate(order):
            return order
    return None


async def orders_of_customer(shop_url: str, customer: str) -> list[dict]:
    return [order for order in await iter_orders(shop_url) if order["customer"] == customer]


SPENDING_QUERY = """
    SELECT orders.customer, SUM(orders.quantity * products.price_cents) AS spent
    FROM orders JOIN products ON products.id = orders.product_id
    GROUP BY orders.customer ORDER BY orders.customer
"""


async def big_spenders(db_path: str, at_least_cents: int) -> list[str]:
    async with aiosqlite.connect(db_path) as db:
        async with db.execute(SPENDING_QUERY) as rows:
            return [customer async for customer, spent in rows if spent >= at_least_cents]
