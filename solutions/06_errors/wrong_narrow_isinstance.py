"""Mistake: return_exceptions=True, but only ClientResponseError is sorted into
"failed": a dropped connection's exception is reported as a price."""

import asyncio

import aiohttp

MISTAKE = "reported failed requests as prices"


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
    report: dict[str, dict] = {"ok": {}, "failed": {}}
    for symbol, result in zip(symbols, results):
        if isinstance(result, aiohttp.ClientResponseError):  # <- mistake
            report["failed"][symbol] = describe_error(result)
        else:
            report["ok"][symbol] = result
    return report
