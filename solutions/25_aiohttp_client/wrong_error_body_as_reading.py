"""Mistake: no raise_for_status: a 500's JSON error body comes back as a reading."""

import asyncio

import aiohttp

MISTAKE = "returned attic's error body {'error': 'attic sensor offline'} as its reading"


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    async with session.get(f"{telemetry_url}/sensors/{sensor}") as response:
        return await response.json()  # <- mistake


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as session:
        readings = await asyncio.gather(
            *(fetch_reading(session, telemetry_url, sensor) for sensor in sensors)
        )
    return dict(zip(sensors, readings))
