"""Mistake: gathering every quote before showing any: the fastest quote waits for the
slowest carrier."""

import asyncio
from collections.abc import Callable

import aiohttp

MISTAKE = "only after every carrier had answered"


async def fetch_quote(session: aiohttp.ClientSession, quotes_url: str, carrier: str) -> dict:
    async with session.get(f"{quotes_url}/quotes/{carrier}") as response:
        response.raise_for_status()
        return await response.json()


async def show_quotes_as_they_arrive(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], show: Callable[[dict], None]
) -> None:
    quotes = await asyncio.gather(*(fetch_quote(session, quotes_url, c) for c in carriers))  # <- mistake
    for quote in sorted(quotes, key=lambda quote: quote["price"]):
        show(quote)


async def first_quotes(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], k: int
) -> list[dict]:
    tasks = [asyncio.create_task(fetch_quote(session, quotes_url, carrier)) for carrier in carriers]
    quotes = []
    try:
        for next_quote in asyncio.as_completed(tasks):
            quotes.append(await next_quote)
            if len(quotes) == k:
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return quotes

