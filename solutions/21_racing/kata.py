"""Kata 21 — reference solution: asyncio.wait(FIRST_COMPLETED) in a loop, the losers
cancelled in `finally` (on success, on failure and on cancellation alike)."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    pending = {asyncio.create_task(download(session, url, package)) for url in mirror_urls}
    errors: list[Exception] = []
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
                errors.append(task.exception())
    finally:
        for task in pending:
            task.cancel()
    raise ExceptionGroup(f"every mirror failed to serve {package}", errors)
