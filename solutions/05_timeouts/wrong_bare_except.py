"""Mistake: a bare `except:` around the timeout also catches the caller's cancellation:
cancelled while it waits, the function returns the cached forecast instead of stopping."""

import asyncio

import aiohttp

MISTAKE = ("the caller's cancellation was swallowed", "wrong_bare_except.py:{line}")


async def fetch_forecast(session: aiohttp.ClientSession, weather_url: str, city: str) -> dict:
    async with session.get(f"{weather_url}/forecast/{city}") as response:
        response.raise_for_status()
        return await response.json()


async def forecast_or_cached(
    session: aiohttp.ClientSession, weather_url: str, city: str, cached: dict, timeout: float
) -> dict:
    try:
        async with asyncio.timeout(timeout):
            return await fetch_forecast(session, weather_url, city)
    except:  # <- mistake
        return cached
