"""Kata 11 — async iteration: an `async def` with `yield` is an async generator that
hands out orders one by one, fetching the next page only when `async for` asks for more.

Edit this file until `pytest katas/11_async_iteration` is green.
"""

from collections.abc import AsyncIterator, Callable

import aiohttp
import aiosqlite


async def fetch_page(session: aiohttp.ClientSession, shop_url: str, page: int) -> dict:
    """Fetch one page: GET {shop_url}/orders?page={page} and return the JSON body.

    fetch_page(session, url, 1) -> {"orders": [{"id": 1, ...}, ...], "next_page": 2}
    On the last page "next_page" is None. This one is done for you.
    """
    async with session.get(f"{shop_url}/orders", params={"page": page}) as response:
        response.raise_for_status()
        return await response.json()


async def iter_orders(shop_url: str) -> AsyncIterator[dict]:
    """Hand out every order of the shop, one at a time, page after page.

    Fetch a page only when the caller asks for an order that is on it, and stop after
    the page whose "next_page" is None.

    async for order in iter_orders(url):  ->  {"id": 1, ...}, {"id": 2, ...}, ...
    """
    async with aiohttp.ClientSession() as session:
        # TODO: starting at page 1, fetch a page with fetch_page, hand out its orders
        #       one at a time, then move on to the page named by "next_page".
        raise NotImplementedError


async def find_order(shop_url: str, predicate: Callable[[dict], bool]) -> dict | None:
    """The first order for which `predicate(order)` is true, or None if there is none.

    Use iter_orders, stop at the first match (no more pages fetched), and close the
    stream of orders before you return.

    find_order(url, lambda order: order["total"] >= 500) -> {"id": 5, "total": 640, ...}
    """
    # TODO: loop over iter_orders(shop_url) with `async for`; return at the first match.
    raise NotImplementedError


async def orders_of_customer(shop_url: str, customer: str) -> list[dict]:
    """All of one customer's orders, from every page, in the order the shop lists them.

    orders_of_customer(url, "grace") -> [{"id": 2, "customer": "grace", ...}, ...]
    """
    # TODO: one async comprehension over iter_orders(shop_url).
    raise NotImplementedError


SPENDING_QUERY = """
    SELECT orders.customer, SUM(orders.quantity * products.price_cents) AS spent
    FROM orders JOIN products ON products.id = orders.product_id
    GROUP BY orders.customer ORDER BY orders.customer
"""


async def big_spenders(db_path: str, at_least_cents: int) -> list[str]:
    """The customers who spent at least `at_least_cents` in the shop database, by name.

    Rows come from aiosqlite, whose cursor is an async iterator: loop over it with
    `async for` (or an async comprehension). SPENDING_QUERY gives (customer, spent) rows.

    await big_spenders("shop.db", 2900) -> ["ana", "bo", "dee"]
    """
    async with aiosqlite.connect(db_path) as db:
        async with db.execute(SPENDING_QUERY) as rows:
            # TODO: collect the customers whose `spent` is at least `at_least_cents`,
            #       iterating `rows` asynchronously.
            raise NotImplementedError
