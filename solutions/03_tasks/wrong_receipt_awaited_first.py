"""Mistake: awaiting the slow receipt printer before warming the pastries."""

import asyncio

import aiohttp

MISTAKE = 'the pastries waited for the printer'


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
        await print_receipt(session, cafe_url, ["coffee", *pastries])  # <- mistake
        warm = [await order(session, cafe_url, pastry) for pastry in pastries]
        return {"coffee": await coffee, "pastries": warm}
