"""Mistake: a TaskGroup with no `except` in its tasks: the first failing price cancels
the others, and the group raises them all as an ExceptionGroup."""

import asyncio

import aiohttp

MISTAKE = ("a TaskGroup fails as a whole", "wrong_task_group.py:{line}")


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
        async with asyncio.TaskGroup() as group:  # <- mistake
            tasks = {s: group.create_task(fetch_price(session, market_url, s)) for s in symbols}
    return {"ok": {symbol: task.result() for symbol, task in tasks.items()}, "failed": {}}
