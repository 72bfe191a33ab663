"""Kata 02 — reference solution."""

import asyncio

import aiohttp


async def fetch_dish(session: aiohttp.ClientSession, kitchen_url: str, dish: str) -> dict:
    async with session.get(f"{kitchen_url}/dishes/{dish}") as response:
        response.raise_for_status()
        return await response.json()


async def make_breakfast(kitchen_url: str, menu: list[str]) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(fetch_dish(session, kitchen_url, dish) for dish in menu))
