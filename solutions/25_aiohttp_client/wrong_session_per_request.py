"""Mistake: a ClientSession per request (limited by a semaphore): each request opens a
TCP connection of its own and closes it, so none is ever reused."""

import asyncio

import aiohttp

MISTAKE = "came over 12 TCP connections: a new one for each request, so none was reused"


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    async with session.get(f"{telemetry_url}/sensors/{sensor}") as response:
        return await response.json()


async def read_one(telemetry_url: str, sensor: str, slots: asyncio.Semaphore, timeout: float) -> dict:
    async with slots:
        async with aiohttp.ClientSession(  # <- mistake
            timeout=aiohttp.ClientTimeout(total=timeout), raise_for_status=True
        ) as session:
            return await fetch_reading(session, telemetry_url, sensor)


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    slots = asyncio.Semaphore(limit)
    readings = await asyncio.gather(
        *(read_one(telemetry_url, sensor, slots, timeout) for sensor in sensors)
    )
    return dict(zip(sensors, readings))
