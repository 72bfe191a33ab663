"""Kata 14 — as_completed: handle results in the order they arrive, not the order you
asked; take the first k and cancel the requests you no longer need.

Edit this file until `pytest katas/14_as_completed` is green.
"""

import asyncio
from collections.abc import Callable

import aiohttp


async def fetch_quote(session: aiohttp.ClientSession, quotes_url: str, carrier: str) -> dict:
    """Ask one carrier for a shipping quote: GET {quotes_url}/quotes/{carrier}.

    Returns {"carrier": ..., "price": ...}. This one is done for you.
    """
    async with session.get(f"{quotes_url}/quotes/{carrier}") as response:
        response.raise_for_status()
        return await response.json()


async def show_quotes_as_they_arrive(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], show: Callable[[dict], None]
) -> None:
    """Ask every carrier at once, and call show(quote) for each quote the moment it arrives:
    the fastest carrier's quote first, without waiting for the slower ones.
    """
    # TODO: start every fetch_quote, then show each quote as it completes.
    raise NotImplementedError


async def first_quotes(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], k: int
) -> list[dict]:
    """Ask every carrier at once; return the first k quotes to arrive, in arrival order.

    The requests still running then are cancelled: nobody will read their answers.
    The session belongs to the caller: leave it open.
    """
    # TODO: create the tasks yourself (so you can cancel them), take the first k to
    # complete, then cancel the rest.
    raise NotImplementedError
