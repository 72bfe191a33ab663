"""Mistake: `timeout` is never given to the session: aiohttp's default waits up to five
minutes for a server that never answers."""

import asyncio

import aiohttp

MISTAKE = "was still waiting 1 s later for attic, which never answers"


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    async with session.get(f"{telemetry_url}/sensors/{sensor}") as response:
        return await response.json()


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    async with aiohttp.ClientSession(  # <- mistake
        connector=aiohttp.TCPConnector(limit=limit), raise_for_status=True
    ) as session:
        readings = await asyncio.gather(
            *(fetch_reading(session, telemetry_url, sensor) for sensor in sensors)
        )
    return dict(zip(sensors, readings))
