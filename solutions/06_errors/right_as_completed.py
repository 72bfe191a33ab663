"""Accepted: asyncio.as_completed over a helper that catches its own request's error
and says which symbol it was about, so the finishing order does not matter."""

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


async def priced(session: aiohttp.ClientSession, market_url: str, symbol: str):
    try:
        return symbol, "ok", await fetch_price(session, market_url, symbol)
    except aiohttp.ClientError as error:
        return symbol, "failed", describe_error(error)


async def price_portfolio(market_url: str, symbols: list[str]) -> dict[str, dict]:
    report = {"ok": {}, "failed": {}}
    async with aiohttp.ClientSession() as session:
        for next_done in asyncio.as_completed([priced(session, market_url, s) for s in symbols]):
            symbol, part, value = await next_done
            report[part][symbol] = value
    return report
