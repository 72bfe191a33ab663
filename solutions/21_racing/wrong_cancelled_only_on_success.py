"""Mistake: the losers are cancelled after a win, but not when the race itself is
cancelled: asyncio.wait does not cancel the tasks it waits for."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


MISTAKE = "cancelling the race did not cancel them"


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    pending = {asyncio.create_task(download(session, url, package)) for url in mirror_urls}
    errors = []
    while pending:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)  # <- mistake
        for task in done:
            if task.exception() is None:
                for loser in pending:
                    loser.cancel()
                return task.result()
            errors.append(task.exception())
    raise ExceptionGroup("every mirror failed", errors)
