"""Mistake: awaiting the coffee before the pastries, so nothing warms while it brews."""

import asyncio

import aiohttp

MISTAKE = "the pastries waited for the coffee instead of warming while it brewed"


async def order(session: aiohttp.ClientSession, cafe_url: str, item: str) -> dict:
    async with session.get(f"{cafe_url}/menu/{item}") as response:
        response.raise_for_status()
        return await response.json()


async def print_receipt(session: aiohttp.ClientSession, cafe_url: str, items: list[str]) -> None:
    async with session.post(f"{cafe_url}/receipt", json=items) as response:
        response.raise_for_status()


async def serve_breakfast(cafe_url: str, pastries: list[str]) -> dict:
    async with aiohttp.ClientSession() as session:
        receipt = asyncio.create_task(print_receipt(session, cafe_url, ["coffee", *pastries]))
        coffee = await order(session, cafe_url, "coffee")  # <- mistake
        warm = [await order(session, cafe_url, pastry) for pastry in pastries]
        await receipt
        return {"coffee": coffee, "pastries": warm}
