"""Accepted: one task per symbol, asyncio.wait for all of them, then each task's own
exception() or result() (the docs' Task API), keyed by symbol from the start."""

import asyncio

import aiohttp


async def fetch_price(session: aiohttp.ClientSession, market_url: str, symbol: str) -> float:
    async with session.get(f"{market_url}/prices/{symbol}") as response:
        response.raise_for_status()
        body = await response.json()
        return body["price"]


def describe_error(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status}"
    if isinstance(error, aiohttp.ClientConnectionError):
        return "connection lost"
    return f"{type(error).__name__}: {error}"


async def price_portfolio(market_url: str, symbols: list[str]) -> dict[str, dict]:
    async with aiohttp.ClientSession() as session:
        tasks = {s: asyncio.create_task(fetch_price(session, market_url, s)) for s in symbols}
        await asyncio.wait(tasks.values())
    return {
        "ok": {s: t.result() for s, t in tasks.items() if t.exception() is None},
        "failed": {s: describe_error(t.exception()) for s, t in tasks.items() if t.exception()},
    }
