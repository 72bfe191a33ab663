"""Accepted: asyncio.wait(return_when=FIRST_COMPLETED) in a loop, cancelling what is
still pending."""

import asyncio
from collections.abc import Callable

import aiohttp


async def fetch_quote(session: aiohttp.ClientSession, quotes_url: str, carrier: str) -> dict:
    async with session.get(f"{quotes_url}/quotes/{carrier}") as response:
        response.raise_for_status()
        return await response.json()


async def show_quotes_as_they_arrive(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], show: Callable[[dict], None]
) -> None:
    pending = {asyncio.create_task(fetch_quote(session, quotes_url, c)) for c in carriers}
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            show(task.result())


async def first_quotes(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], k: int
) -> list[dict]:
    pending = {asyncio.create_task(fetch_quote(session, quotes_url, c)) for c in carriers}
    quotes: list[dict] = []
    try:
        while pending and len(quotes) < k:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            quotes += [task.result() for task in done]
    finally:
        for task in pending:
            task.cancel()
    return quotes[:k]
