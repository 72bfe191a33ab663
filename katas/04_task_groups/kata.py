"""Kata 04 — task groups: `asyncio.TaskGroup` waits for all its tasks, and when one
fails it cancels the others and raises an ExceptionGroup, which `except*` takes apart.

Edit this file until `pytest katas/04_task_groups` is green.
"""

import asyncio

import aiohttp


class DishUnavailable(Exception):
    """The kitchen cannot make this dish today. `.dish` names it."""

    def __init__(self, dish: str):
        super().__init__(f"the kitchen cannot make {dish} today")
        self.dish = dish


class OrderFailed(Exception):
    """The whole order is called off. `.dishes` names the dishes that were unavailable."""

    def __init__(self, dishes: list[str]):
        super().__init__(f"order called off: {', '.join(dishes)} unavailable")
        self.dishes = dishes


async def cook(session: aiohttp.ClientSession, kitchen_url: str, dish: str) -> dict:
    """Cook one dish: GET {kitchen_url}/dishes/{dish} and return the JSON body.

    This one is done for you. It raises DishUnavailable when the kitchen says no;
    a broken connection raises aiohttp's own error (an aiohttp.ClientError).
    """
    async with session.get(f"{kitchen_url}/dishes/{dish}") as response:
        if response.status != 200:
            raise DishUnavailable(dish)
        return await response.json()


async def prepare_order(
    session: aiohttp.ClientSession, kitchen_url: str, dishes: list[str]
) -> list[dict]:
    """Cook every dish of the order at once; return them in the order's order.

    The order is all or nothing: as soon as one dish is unavailable, stop cooking the
    others and raise OrderFailed naming the unavailable dish(es). Any other error
    (say the kitchen hangs up) is not about a dish: let it propagate.

    prepare_order(session, url, ["salad", "pasta"]) ->
        [{"dish": "salad", "ready": True}, {"dish": "pasta", "ready": True}]
    prepare_order(session, url, ["salad", "soup"])  # soup is sold out
        -> raises OrderFailed(["soup"]), and the salad is no longer cooking
    """
    # TODO: start one task per dish in an `async with asyncio.TaskGroup()` block.
    # TODO: turn the DishUnavailable errors it raises into one OrderFailed (only those).
    # TODO: after the block, every task is done: return their results in order.
    raise NotImplementedError
