"""Kata 03 — tasks: `asyncio.create_task` starts a coroutine running in the background
right away, so you can do other work meanwhile and `await` the task when you need it.

Edit this file until `pytest katas/03_tasks` is green.
"""

import asyncio

import aiohttp


async def order(session: aiohttp.ClientSession, cafe_url: str, item: str) -> dict:
    """Order one item: GET {cafe_url}/menu/{item} and return the JSON body.

    This one is done for you.
    """
    async with session.get(f"{cafe_url}/menu/{item}") as response:
        response.raise_for_status()
        return await response.json()


async def print_receipt(session: aiohttp.ClientSession, cafe_url: str, items: list[str]) -> None:
    """Print the receipt: POST the items to {cafe_url}/receipt. The printer is slow.

    This one is done for you. Its answer is not needed, but it must have printed
    before the breakfast is served.
    """
    async with session.post(f"{cafe_url}/receipt", json=items) as response:
        response.raise_for_status()


async def serve_breakfast(cafe_url: str, pastries: list[str]) -> dict:
    """Serve a coffee and warm pastries, and print one receipt for all of them.

    The coffee takes longest: start brewing it first and warm the pastries (one after
    another is fine) while it brews, then wait for the coffee. Print the receipt
    (["coffee", *pastries]) in the background too, and be sure it has printed before
    you return.

    serve_breakfast(url, ["croissant", "muffin"]) ->
        {"coffee": {"item": "coffee", "hot": True},
         "pastries": [{"item": "croissant", "warm": True}, {"item": "muffin", "warm": True}]}
    """
    async with aiohttp.ClientSession() as session:
        # TODO: start printing the receipt and brewing the coffee as tasks (keep both).
        # TODO: warm each pastry with `order` while they run.
        # TODO: await the coffee and the receipt, then return the breakfast.
        raise NotImplementedError
