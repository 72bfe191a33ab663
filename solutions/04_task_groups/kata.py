"""Kata 04 — reference solution."""

import asyncio

import aiohttp


class DishUnavailable(Exception):
    def __init__(self, dish: str):
        super().__init__(f"the kitchen cannot make {dish} today")
        self.dish = dish


class OrderFailed(Exception):
    def __init__(self, dishes: list[str]):
        super().__init__(f"order called off: {', '.join(dishes)} unavailable")
        self.dishes = dishes


async def cook(session: aiohttp.ClientSession, kitchen_url: str, dish: str) -> dict:
    async with session.get(f"{kitchen_url}/dishes/{dish}") as response:
        if response.status != 200:
            raise DishUnavailable(dish)
        return await response.json()


async def prepare_order(
    session: aiohttp.ClientSession, kitchen_url: str, dishes: list[str]
) -> list[dict]:
    unavailable: list[str] = []
    try:
        async with asyncio.TaskGroup() as group:
            cooking = [group.create_task(cook(session, kitchen_url, dish)) for dish in dishes]
    except* DishUnavailable as sold_out:
        unavailable = [error.dish for error in sold_out.exceptions]
    # Raised after the try statement, not inside `except*`: Python 3.11.0-3.11.3 wrap an
    # exception raised there in an ExceptionGroup (fixed in 3.11.4).
    if unavailable:
        raise OrderFailed(unavailable)
    return [task.result() for task in cooking]
