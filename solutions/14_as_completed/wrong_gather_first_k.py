"""Mistake: gathering every quote and keeping the first k of the list: they are the
first carriers asked, not the first to answer, and the slowest one sets the pace."""

import asyncio
from collections.abc import Callable

import aiohttp

MISTAKE = "the first carriers you asked, not the first to answer"


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
    quotes = await asyncio.gather(*(fetch_quote(session, quotes_url, c) for c in carriers))
    return quotes[:k]  # <- mistake
