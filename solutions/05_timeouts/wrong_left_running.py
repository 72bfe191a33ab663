"""Mistake: asyncio.wait(..., timeout=) stops waiting but leaves the slow request running."""

import asyncio

import aiohttp

MISTAKE = "it was left running, not cancelled"


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    request = asyncio.create_task(fetch_forecast(session, weather_url, city))
    done, _ = await asyncio.wait({request}, timeout=timeout)  # <- mistake
    if request in done:
        return request.result()
    return cached
