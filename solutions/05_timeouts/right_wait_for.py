"""Accepted: asyncio.wait_for(coroutine, timeout), the docs' idiom for one awaitable."""

import asyncio

import aiohttp


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    try:
        return await asyncio.wait_for(fetch_forecast(session, weather_url, city), timeout)
    except TimeoutError:
        return cached
