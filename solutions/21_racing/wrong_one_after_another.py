"""Mistake: failover instead of a race: try the mirrors one after another, in the
order of the list, so the first mirror decides how long it takes."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


MISTAKE = "asked only eu and waited for its answer"


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    errors = []
    for url in mirror_urls:
        try:
            return await download(session, url, package)  # <- mistake
        except aiohttp.ClientError as error:
            errors.append(error)
    raise ExceptionGroup("every mirror failed", errors)
