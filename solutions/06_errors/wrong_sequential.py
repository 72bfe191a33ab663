"""Mistake: try/except around each price in a loop: right report, one request at a time."""

import aiohttp

MISTAKE = "ran one at a time"


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
    report: dict[str, dict] = {"ok": {}, "failed": {}}
    async with aiohttp.ClientSession() as session:
        for symbol in symbols:
            try:
                report["ok"][symbol] = await fetch_price(session, market_url, symbol)  # <- mistake
            except aiohttp.ClientError as error:
                report["failed"][symbol] = describe_error(error)
    return report
