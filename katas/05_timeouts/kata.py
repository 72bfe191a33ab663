"""Kata 05 — timeouts: a slow answer is not worth waiting for forever. Stop waiting
after a deadline with `asyncio.timeout` (or `asyncio.wait_for`), fall back to what you
already know, and let the timeout cancel the slow request so it does not keep running.

Edit this file until `pytest katas/05_timeouts` is green.
"""

import asyncio

import aiohttp


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    """Ask the weather service: GET {weather_url}/forecast/{city} and return the JSON body.

    This one is done for you.
    """
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    """The live forecast if the weather service answers within `timeout` seconds,
    otherwise the `cached` one. A request that misses the deadline is cancelled, not
    left running in the background. Only the timeout means "use the cache": if the
    caller cancels this call, it ends cancelled.

    forecast_or_cached(session, url, "oslo", cached={"city": "oslo", "sky": "rain"}, timeout=0.1)
      -> {"city": "oslo", "sky": "sun"}    if the service answers within 0.1 s
      -> {"city": "oslo", "sky": "rain"}   (the cached one) after 0.1 s if it is slower
    """
    # TODO: fetch the forecast with fetch_forecast, but give up after `timeout` seconds
    # and return `cached` instead.
    raise NotImplementedError
