"""Accepted: the coffee and the receipt as tasks of an `asyncio.TaskGroup` (the docs'
structured form): the block waits for both, the results are read after it.
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
        async with asyncio.TaskGroup() as cafe:
            cafe.create_task(print_receipt(session, cafe_url, ["coffee", *pastries]))
            coffee = cafe.create_task(order(session, cafe_url, "coffee"))
            warm = []
            for pastry in pastries:
                warm.append(await order(session, cafe_url, pastry))
    return {"coffee": coffee.result(), "pastries": warm}
