"""Mistake: printing the receipt only once breakfast is ready, not in the background."""

import asyncio

import aiohttp

MISTAKE = 'it waited for them instead of printing in the background'


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
        warm = [await order(session, cafe_url, pastry) for pastry in pastries]
        served = {"coffee": await coffee, "pastries": warm}
        await print_receipt(session, cafe_url, ["coffee", *pastries])  # <- mistake
        return served
