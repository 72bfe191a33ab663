"""Mistake: asyncio.shield inside wait_for: the caller stops waiting on time, but the
request it shields is never cancelled and keeps the weather service busy."""

import asyncio

import aiohttp

MISTAKE = ("it was left running, not cancelled", "asyncio.shield keeps the request going")


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    try:
        return await asyncio.wait_for(
            asyncio.shield(fetch_forecast(session, weather_url, city)), timeout  # <- mistake
        )
    except TimeoutError:
        return cached
