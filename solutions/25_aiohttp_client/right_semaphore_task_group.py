"""Accepted: the default connector with an asyncio.Semaphore for the limit, a TaskGroup
(its error is an ExceptionGroup holding the ClientResponseError or TimeoutError), and
raise_for_status given per request."""

import asyncio

import aiohttp


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    async with session.get(f"{telemetry_url}/sensors/{sensor}", raise_for_status=True) as response:
        return await response.json()


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    slots = asyncio.Semaphore(limit)

    async def read(session: aiohttp.ClientSession, sensor: str) -> dict:
        async with slots:
            return await fetch_reading(session, telemetry_url, sensor)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with asyncio.TaskGroup() as group:
            tasks = {sensor: group.create_task(read(session, sensor)) for sensor in sensors}
    return {sensor: task.result() for sensor, task in tasks.items()}
