"""Mistake: handing asyncio.gather one list instead of the awaitables themselves."""

import asyncio

import aiohttp

MISTAKE = ("asyncio.gather was given a list", "wrong_gather_list.py:{line}")


async def fetch_dish(session: aiohttp.ClientSession, kitchen_url: str, dish: str) -> dict:
    async with session.get(f"{kitchen_url}/dishes/{dish}") as response:
        response.raise_for_status()
        return await response.json()


async def make_breakfast(kitchen_url: str, menu: list[str]) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        orders = [fetch_dish(session, kitchen_url, dish) for dish in menu]
        return await asyncio.gather(orders)  # <- mistake
