"""Kata 02 — gather: awaiting requests one after another takes the sum of their
latencies; `asyncio.gather` runs them together, so breakfast takes as long as the
slowest dish, and it hands the results back in the order you asked.

Edit this file until `pytest katas/02_gather` is green.
"""

import asyncio

import aiohttp


async def fetch_dish(session: aiohttp.ClientSession, kitchen_url: str, dish: str) -> dict:
    """Order one dish: GET {kitchen_url}/dishes/{dish} and return the JSON body.

    This one is done for you.
    """
    async with session.get(f"{kitchen_url}/dishes/{dish}") as response:
        response.raise_for_status()
        return await response.json()


async def make_breakfast(kitchen_url: str, menu: list[str]) -> list[dict]:
    """Order every dish on the menu at the same time; return them in menu order.

    make_breakfast(url, ["coffee", "toast"]) -> [{"dish": "coffee", ...}, {"dish": "toast", ...}]
    """
    async with aiohttp.ClientSession() as session:
        # TODO: order all the dishes at once with fetch_dish, keep the menu's order.
        raise NotImplementedError
