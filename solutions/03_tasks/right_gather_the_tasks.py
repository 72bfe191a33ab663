"""Accepted: both tasks started first, then awaited together with `asyncio.gather` once
the pastries are warm.
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
        coffee = asyncio.create_task(order(session, cafe_url, "coffee"))
        receipt = asyncio.create_task(print_receipt(session, cafe_url, ["coffee", *pastries]))
        warm = [await order(session, cafe_url, pastry) for pastry in pastries]
        cup, _ = await asyncio.gather(coffee, receipt)
        return {"coffee": cup, "pastries": warm}
