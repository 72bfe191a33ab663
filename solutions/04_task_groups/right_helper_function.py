"""Accepted: the TaskGroup lives in a helper that returns the dishes; `except*` around the
helper's call, and OrderFailed raised once the try statement is over.
"""

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


async def cook_all(session: aiohttp.ClientSession, kitchen_url: str, dishes: list[str]) -> list[dict]:
    async with asyncio.TaskGroup() as kitchen:
        cooking = {dish: kitchen.create_task(cook(session, kitchen_url, dish)) for dish in dishes}
    return [cooking[dish].result() for dish in dishes]


async def prepare_order(
    session: aiohttp.ClientSession, kitchen_url: str, dishes: list[str]
) -> list[dict]:
    unavailable: list[str] = []
    try:
        return await cook_all(session, kitchen_url, dishes)
    except* DishUnavailable as sold_out:
        unavailable.extend(error.dish for error in sold_out.exceptions)
    raise OrderFailed(unavailable)
