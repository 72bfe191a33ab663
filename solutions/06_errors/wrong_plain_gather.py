"""Mistake: plain gather: the first failing price throws away all the others."""

import asyncio

import aiohttp

MISTAKE = "one failing symbol lost the other 5 prices"


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
        prices = await asyncio.gather(  # <- mistake
            *(fetch_price(session, market_url, symbol) for symbol in symbols)
        )
    return {"ok": dict(zip(symbols, prices)), "failed": {}}
