"""Accepted: contextlib.suppress(TimeoutError) around the deadline, and the fallback after it."""

import asyncio
import contextlib

import aiohttp


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            return await fetch_forecast(session, weather_url, city)
    return cached
