"""Mistake: each task catches its own error, so the TaskGroup never cancels the others."""

import asyncio

import aiohttp

MISTAKE = "nothing was cancelled"


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

    async def cook_or_note(dish: str) -> dict | None:
        try:
            return await cook(session, kitchen_url, dish)
        except DishUnavailable:  # <- mistake
            unavailable.append(dish)
            return None

    async with asyncio.TaskGroup() as group:
        cooking = [group.create_task(cook_or_note(dish)) for dish in dishes]
    if unavailable:
        raise OrderFailed(unavailable)
    return [task.result() for task in cooking]
