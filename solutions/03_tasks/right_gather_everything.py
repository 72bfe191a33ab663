"""Accepted: no explicit task: `asyncio.gather` runs the coffee, a helper that warms the
pastries one after another, and the receipt together (gather wraps each in a task).
"""

import asyncio

import aiohttp


async def order(session: aiohttp.ClientSession, cafe_url: str, item: str) -> dict:
    async with session.get(f"{cafe_url}/menu/{item}") as response:
        response.raise_for_status()
        return await response.json()


async def print_receipt(session: aiohttp.ClientSession, cafe_url: str, items: list[str]) -> None:
    async with session.post(f"{cafe_url}/receipt", json=items) as response:
        response.raise_for_status()


async def serve_breakfast(cafe_url: str, pastries: list[str]) -> dict:
    async with aiohttp.ClientSession() as session:
        async def warm_pastries() -> list[dict]:
            return [await order(session, cafe_url, pastry) for pastry in pastries]

        cup, warm, _ = await asyncio.gather(
            order(session, cafe_url, "coffee"),
            warm_pastries(),
            print_receipt(session, cafe_url, ["coffee", *pastries]),
        )
        return {"coffee": cup, "pastries": warm}
