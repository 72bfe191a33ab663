"""Accepted: loops instead of comprehensions, `break` out of the `async for`, and the
stream closed by hand (`try: ... finally: await orders.aclose()`) instead of with
contextlib.aclosing."""

from collections.abc import AsyncIterator, Callable

import aiohttp
import aiosqlite


async def fetch_page(session: aiohttp.ClientSession, shop_url: str, page: int) -> dict:
    async with session.get(f"{shop_url}/orders", params={"page": page}) as response:
        response.raise_for_status()
        return await response.json()


async def iter_orders(shop_url: str) -> AsyncIterator[dict]:
    async with aiohttp.ClientSession() as session:
        page = 1
        while True:
            data = await fetch_page(session, shop_url, page)
            for order in data["orders"]:
                yield order
            if data["next_page"] is None:
                break
            page = data["next_page"]


async def find_order(shop_url: str, predicate: Callable[[dict], bool]) -> dict | None:
    found = None
    orders = iter_orders(shop_url)
    try:
        async for order in orders:
            if predicate(order):
                found = order
                break
    finally:
        await orders.aclose()
    return found


async def orders_of_customer(shop_url: str, customer: str) -> list[dict]:
    theirs = []
    async for order in iter_orders(shop_url):
        if order["customer"] == customer:
            theirs.append(order)
    return theirs


SPENDING_QUERY = """
    SELECT orders.customer, SUM(orders.quantity * products.price_cents) AS spent
    FROM orders JOIN products ON products.id = orders.product_id
    GROUP BY orders.customer ORDER BY orders.customer
"""


async def big_spenders(db_path: str, at_least_cents: int) -> list[str]:
    spenders = []
    async with aiosqlite.connect(db_path) as db:
        cursor = await db.execute(SPENDING_QUERY)
        async for customer, spent in cursor:
            if spent >= at_least_cents:
                spenders.append(customer)
        await cursor.close()
    return spenders
