"""Mistake: a TaskGroup whose tasks catch only aiohttp.ClientResponseError: a dropped
connection (ClientConnectionError) gets past the `except` and the group loses every price."""

import asyncio

import aiohttp

MISTAKE = ("got past your `except aiohttp.ClientResponseError`", "wrong_narrow_except.py:{line}")


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


async def price_or_error(session: aiohttp.ClientSession, market_url: str, symbol: str):
    try:
        return await fetch_price(session, market_url, symbol)
    except aiohttp.ClientResponseError as error:  # <- mistake
        return error


async def price_portfolio(market_url: str, symbols: list[str]) -> dict[str, dict]:
    async with aiohttp.ClientSession() as session:
        async with asyncio.TaskGroup() as group:
            tasks = {s: group.create_task(price_or_error(session, market_url, s)) for s in symbols}
    report: dict[str, dict] = {"ok": {}, "failed": {}}
    for symbol, task in tasks.items():
        result = task.result()
        if isinstance(result, Exception):
            report["failed"][symbol] = describe_error(result)
        else:
            report["ok"][symbol] = result
    return report
