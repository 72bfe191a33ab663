"""Accepted: asyncio.timeout_at with an absolute deadline on the loop's clock."""

import asyncio

import aiohttp


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            return await fetch_forecast(session, weather_url, city)
    except TimeoutError:
        return cached
