"""Mistake: when every mirror fails, raise only the last error: the others are lost."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


MISTAKE = "nothing in it tells what happened to"


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    pending = {asyncio.create_task(download(session, url, package)) for url in mirror_urls}
    error = None
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
                error = task.exception()
    finally:
        for task in pending:
            task.cancel()
    raise error  # <- mistake
