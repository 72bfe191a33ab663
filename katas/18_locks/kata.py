"""Kata 18 — locks: reading a value, deciding, and writing it back is not safe when an
`await` sits in between: other tasks run there and act on the same old value. An
`asyncio.Lock` makes that read-decide-write one step; everything else stays concurrent.

Edit this file until `pytest katas/18_locks` is green.
"""

import asyncio

import aiohttp


class OutOfStock(Exception):
    """An order wants more than the warehouse has."""

    def __init__(self, item: str, wanted: int, left: int) -> None:
        super().__init__(f"{wanted} x {item} ordered, {left} left")
        self.item = item
        self.wanted = wanted
        self.left = left


async def quote_shipping(
    session: aiohttp.ClientSession, shop_url: str, item: str, quantity: int
) -> float:
    """The shipping cost of an order: GET {shop_url}/shipping/{item}. Slow, and independent
    of every other order. This one is done for you."""
    async with session.get(f"{shop_url}/shipping/{item}") as response:
        response.raise_for_status()
        return (await response.json())["cost"]


async def read_stock(session: aiohttp.ClientSession, shop_url: str, item: str) -> int:
    """How many are in stock: GET {shop_url}/stock/{item}. This one is done for you."""
    async with session.get(f"{shop_url}/stock/{item}") as response:
        response.raise_for_status()
        return (await response.json())["stock"]


async def write_stock(
    session: aiohttp.ClientSession, shop_url: str, item: str, stock: int
) -> None:
    """Set the stock: PUT {shop_url}/stock/{item} {"stock": stock}. This one is done for you."""
    async with session.put(f"{shop_url}/stock/{item}", json={"stock": stock}) as response:
        response.raise_for_status()


class Warehouse:
    """The shop's stock, kept by the stock service at `shop_url`. One Warehouse serves
    every order, and many orders run at the same time."""

    def __init__(self, session: aiohttp.ClientSession, shop_url: str) -> None:
        self.session = session
        self.shop_url = shop_url
        # TODO: what every order must share, made once, here.

    async def place_order(self, item: str, quantity: int) -> dict:
        """Quote the shipping, then take `quantity` from the stock.

        Taking from the stock: read it (read_stock); if fewer than `quantity` are left,
        raise OutOfStock(item, quantity, left) and change nothing; otherwise write back
        the stock minus `quantity` (write_stock). No other order may read or write the
        stock between this order's read and its write. The shipping quotes of different
        orders still run at the same time.

        await warehouse.place_order("widget", 2)
        -> {"item": "widget", "quantity": 2, "shipping": 4.5}
        """
        # TODO: the shipping quote, then the read, the check and the write as one step.
        raise NotImplementedError
