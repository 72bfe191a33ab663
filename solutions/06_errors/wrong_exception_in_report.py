"""Mistake: the exceptions themselves in "failed", not describe_error(error)."""

import asyncio

import aiohttp

MISTAKE = "put describe_error(error) in the report, not the exception itself"


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
        results = await asyncio.gather(
            *(fetch_price(session, market_url, symbol) for symbol in symbols),
            return_exceptions=True,
        )
    pairs = dict(zip(symbols, results))
    return {"ok": {s: r for s, r in pairs.items() if not isinstance(r, Exception)},
            "failed": {s: r for s, r in pairs.items() if isinstance(r, Exception)}}  # <- mistake
