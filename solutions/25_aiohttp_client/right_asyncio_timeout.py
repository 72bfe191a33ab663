"""Accepted: TCPConnector(limit_per_host=...), `asyncio.timeout` around each request
instead of a ClientTimeout, and response.raise_for_status() by hand."""

import asyncio

import aiohttp


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    async with session.get(f"{telemetry_url}/sensors/{sensor}") as response:
        response.raise_for_status()
        return await response.json()


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    async def read(session: aiohttp.ClientSession, sensor: str) -> tuple[str, dict]:
        async with asyncio.timeout(timeout):
            return sensor, await fetch_reading(session, telemetry_url, sensor)

    connector = aiohttp.TCPConnector(limit_per_host=limit)
    async with aiohttp.ClientSession(connector=connector) as session:
        pairs = await asyncio.gather(*(read(session, sensor) for sensor in sensors))
    return dict(pairs)
