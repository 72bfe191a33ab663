"""Kata 18 — reference solution."""

import asyncio

import aiohttp


class OutOfStock(Exception):
    def __init__(self, item: str, wanted: int, left: int) -> None:
        super().__init__(f"{wanted} x {item} ordered, {left} left")
        self.item = item
        self.wanted = wanted
        self.left = left


async def quote_shipping(
    session: aiohttp.ClientSession, shop_url: str, item: str, quantity: int
) -> float:
    async with session.get(f"{shop_url}/shipping/{item}") as response:
        response.raise_for_status()
        return (await response.json())["cost"]


async def read_stock(session: aiohttp.ClientSession, shop_url: str, item: str) -> int:
    async with session.get(f"{shop_url}/stock/{item}") as response:
        response.raise_for_status()
        return (await response.json())["stock"]


async def write_stock(
    session: aiohttp.ClientSession, shop_url: str, item: str, stock: int
) -> None:
    async with session.put(f"{shop_url}/stock/{item}", json={"stock": stock}) as response:
        response.raise_for_status()


class Warehouse:
    def __init__(self, session: aiohttp.ClientSession, shop_url: str) -> None:
        self.session = session
        self.shop_url = shop_url
        self.stock_lock = asyncio.Lock()

    async def place_order(self, item: str, quantity: int) -> dict:
        shipping = await quote_shipping(self.session, self.shop_url, item, quantity)
        async with self.stock_lock:
            left = await read_stock(self.session, self.shop_url, item)
            if left < quantity:
                raise OutOfStock(item, quantity, left)
            await write_stock(self.session, self.shop_url, item, left - quantity)
        return {"item": item, "quantity": quantity, "shipping": shipping}
