"""Kata 06 — errors: by default one failing request makes `asyncio.gather` throw away
every other result. With `return_exceptions=True` each failure comes back in its
item's place, so you keep the prices that arrived and report the ones that did not.

Edit this file until `pytest katas/06_errors` is green.
"""

import asyncio

import aiohttp


async def fetch_price(session: aiohttp.ClientSession, market_url: str, symbol: str) -> float:
    """GET {market_url}/prices/{symbol} and return the price from the JSON body.

    Raises aiohttp.ClientResponseError on an error status (500, 503, ...) and
    aiohttp.ClientConnectionError when the market drops the connection.
    This one is done for you.
    """
    async with session.get(f"{market_url}/prices/{symbol}") as response:
        response.raise_for_status()
        body = await response.json()
        return body["price"]


def describe_error(error: BaseException) -> str:
    """A short text for the report: "HTTP 503", "connection lost", or the error itself.

    This one is done for you.
    """
    if isinstance(error, aiohttp.ClientResponseError):
        return f"HTTP {error.status}"
    if isinstance(error, aiohttp.ClientConnectionError):
        return "connection lost"
    return f"{type(error).__name__}: {error}"


async def price_portfolio(market_url: str, symbols: list[str]) -> dict[str, dict]:
    """Fetch every symbol's price at the same time. A symbol that fails is reported
    with `describe_error`; every other symbol still gets its price.

    The report has two dicts, each keyed by symbol:
    price_portfolio(url, ["AAPL", "MSFT", "NVDA"])
      -> {"ok": {"AAPL": 189.5, "NVDA": 121.0}, "failed": {"MSFT": "HTTP 503"}}
    """
    async with aiohttp.ClientSession() as session:
        # TODO: fetch all the prices at once with fetch_price, keeping failures as results.
        # TODO: pair each symbol with its own result: prices go to "ok",
        #       errors (as describe_error(error)) go to "failed".
        raise NotImplementedError
