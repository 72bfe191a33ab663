"""Accepted: one task per dish in an `asyncio.TaskGroup` (the docs' idiom since 3.11),
results read from the tasks in menu order once the block has ended."""

import asyncio

import aiohttp


async def fetch_dish(session: aiohttp.ClientSession, kitchen_url: str, dish: str) -> dict:
    async with session.get(f"{kitchen_url}/dishes/{dish}") as response:
        response.raise_for_status()
        return await response.json()


async def make_breakfast(kitchen_url: str, menu: list[str]) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        async with asyncio.TaskGroup() as kitchen:
            orders = [kitchen.create_task(fetch_dish(session, kitchen_url, dish)) for dish in menu]
    return [order.result() for order in orders]
