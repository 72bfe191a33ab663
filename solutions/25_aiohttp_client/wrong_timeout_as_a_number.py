"""Mistake: the session's timeout given as a number: aiohttp wants a ClientTimeout."""

import asyncio

import aiohttp

MISTAKE = ("timeout parameter cannot be of <class 'float'> type", "wrong_timeout_as_a_number.py:{line}")


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    async with session.get(f"{telemetry_url}/sensors/{sensor}") as response:
        return await response.json()


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    connector = aiohttp.TCPConnector(limit=limit)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, raise_for_status=True) as session:  # <- mistake
        readings = await asyncio.gather(
            *(fetch_reading(session, telemetry_url, sensor) for sensor in sensors)
        )
    return dict(zip(sensors, readings))
