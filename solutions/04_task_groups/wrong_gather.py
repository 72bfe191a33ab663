"""Mistake: asyncio.gather raises the first error but leaves the other dishes cooking."""

import asyncio

import aiohttp

MISTAKE = "the other requests kept running after prepare_order had given up"


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
        cooking = [cook(session, kitchen_url, dish) for dish in dishes]
        return await asyncio.gather(*cooking)  # <- mistake
    except DishUnavailable as error:
        raise OrderFailed([error.dish]) from None
