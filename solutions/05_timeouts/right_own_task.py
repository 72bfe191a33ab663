"""Accepted: the request as a task of its own, awaited with asyncio.wait(timeout=...) and
cancelled in `finally:` whenever it has not finished (a timeout or the caller giving up)."""

import asyncio

import aiohttp


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    request = asyncio.create_task(fetch_forecast(session, weather_url, city))
    try:
        done, _ = await asyncio.wait({request}, timeout=timeout)
        return request.result() if done else cached
    finally:
        request.cancel()  # no effect on a finished task
