"""Accepted: asyncio.as_completed hands the downloads over as they finish; the
leftovers are cancelled in `finally`, and awaited, before returning."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    tasks = [asyncio.create_task(download(session, url, package)) for url in mirror_urls]
    errors = []
    try:
        for finished in asyncio.as_completed(tasks):
            try:
                return await finished
            except aiohttp.ClientError as error:
                errors.append(error)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    raise ExceptionGroup("no mirror could serve the package", errors)
