"""Mistake: splitting prices from errors before pairing them with symbols misaligns them."""

import asyncio

import aiohttp

MISTAKE = "mapped to the wrong symbols"


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
    prices = [r for r in results if not isinstance(r, Exception)]
    errors = [describe_error(r) for r in results if isinstance(r, Exception)]
    return {"ok": dict(zip(symbols, prices)), "failed": dict(zip(symbols, errors))}  # <- mistake
