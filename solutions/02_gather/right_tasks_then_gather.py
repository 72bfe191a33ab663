"""Accepted: every order started as a task first (`asyncio.create_task` in a loop), then
`asyncio.gather` over the tasks, which hands the results back in menu order."""

import asyncio

import aiohttp


async def fetch_dish(session: aiohttp.ClientSession, kitchen_url: str, dish: str) -> dict:
    async with session.get(f"{kitchen_url}/dishes/{dish}") as response:
        response.raise_for_status()
        return await response.json()


async def make_breakfast(kitchen_url: str, menu: list[str]) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        orders = []
        for dish in menu:
            orders.append(asyncio.create_task(fetch_dish(session, kitchen_url, dish)))
        breakfast = await asyncio.gather(*orders)
    return list(breakfast)
