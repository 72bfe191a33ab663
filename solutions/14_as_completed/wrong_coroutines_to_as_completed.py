"""Mistake: handing coroutines to as_completed and returning after k: the tasks it
wrapped them in are out of reach, so the slow requests cannot be cancelled."""

import asyncio
from collections.abc import Callable

import aiohttp

MISTAKE = "as_completed wrapped your coroutines in tasks of its own"


async def fetch_quote(session: aiohttp.ClientSession, quotes_url: str, carrier: str) -> dict:
    async with session.get(f"{quotes_url}/quotes/{carrier}") as response:
        response.raise_for_status()
        return await response.json()


async def show_quotes_as_they_arrive(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], show: Callable[[dict], None]
) -> None:
    asks = [fetch_quote(session, quotes_url, carrier) for carrier in carriers]
    for next_quote in asyncio.as_completed(asks):
        show(await next_quote)


async def first_quotes(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], k: int
) -> list[dict]:
    asks = [fetch_quote(session, quotes_url, carrier) for carrier in carriers]
    quotes = []
    for next_quote in asyncio.as_completed(asks):  # <- mistake
        quotes.append(await next_quote)
        if len(quotes) == k:
            break
    return quotes
