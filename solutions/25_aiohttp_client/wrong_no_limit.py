"""Mistake: one session, but with the default connector (100 connections): every
request goes at once and `limit` is ignored."""

import asyncio

import aiohttp

MISTAKE = "12 of your 12 requests were in flight at once; limit=6 allows 6"


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    async with session.get(f"{telemetry_url}/sensors/{sensor}") as response:
        return await response.json()


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    async with aiohttp.ClientSession(  # <- mistake
        timeout=aiohttp.ClientTimeout(total=timeout), raise_for_status=True
    ) as session:
        readings = await asyncio.gather(
            *(fetch_reading(session, telemetry_url, sensor) for sensor in sensors)
        )
    return dict(zip(sensors, readings))
