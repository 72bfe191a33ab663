"""Mistake: the first download to finish decides, even when it failed."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


MISTAKE = "a failed mirror only drops out of the race"


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    tasks = [asyncio.create_task(download(session, url, package)) for url in mirror_urls]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        return done.pop().result()  # <- mistake
    finally:
        for task in tasks:
            task.cancel()
