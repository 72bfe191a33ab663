"""Accepted: a TaskGroup whose tasks each catch their own request's error
(aiohttp.ClientError), so no failure reaches the group."""

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


async def price_or_error(
    session: aiohttp.ClientSession, market_url: str, symbol: str
) -> float | aiohttp.ClientError:
    try:
        return await fetch_price(session, market_url, symbol)
    except aiohttp.ClientError as error:
        return error


async def price_portfolio(market_url: str, symbols: list[str]) -> dict[str, dict]:
    async with aiohttp.ClientSession() as session:
        async with asyncio.TaskGroup() as group:
            tasks = {s: group.create_task(price_or_error(session, market_url, s)) for s in symbols}
    report: dict[str, dict] = {"ok": {}, "failed": {}}
    for symbol, task in tasks.items():
        result = task.result()
        if isinstance(result, aiohttp.ClientError):
            report["failed"][symbol] = describe_error(result)
        else:
            report["ok"][symbol] = result
    return report
