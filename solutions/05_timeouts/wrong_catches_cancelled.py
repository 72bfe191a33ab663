"""Mistake: catching asyncio.CancelledError, but a timeout raises TimeoutError to the caller."""

import asyncio

import aiohttp

MISTAKE = "raised TimeoutError instead of returning the cached forecast"


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    try:
        return await asyncio.wait_for(fetch_forecast(session, weather_url, city), timeout)
    except asyncio.CancelledError:  # <- mistake
        return cached
