"""Accepted: a plain `except ExceptionGroup` that splits the group (`ExceptionGroup.split`,
the docs' way to take a group apart by type) and re-raises what is not about a dish.
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


async def prepare_order(
    session: aiohttp.ClientSession, kitchen_url: str, dishes: list[str]
) -> list[dict]:
    try:
        async with asyncio.TaskGroup() as group:
            cooking = [group.create_task(cook(session, kitchen_url, dish)) for dish in dishes]
    except ExceptionGroup as failures:
        sold_out, other = failures.split(DishUnavailable)
        if other is not None:
            raise other
        raise OrderFailed([error.dish for error in sold_out.exceptions]) from None
    return [task.result() for task in cooking]
