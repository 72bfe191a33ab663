"""Mistake: no deadline at all, so a slow service makes the caller wait just as long."""

import aiohttp

MISTAKE = "for the slow weather service; the timeout is 0.10 s"


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    try:
        return await fetch_forecast(session, weather_url, city)  # <- mistake
    except TimeoutError:
        return cached
