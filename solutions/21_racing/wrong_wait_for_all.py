"""Mistake: gather every mirror's download, then keep the first: the race waits for
the slowest mirror."""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


MISTAKE = "it waited for eu and asia to answer too"


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    results = await asyncio.gather(  # <- mistake
        *(download(session, url, package) for url in mirror_urls), return_exceptions=True
    )
    answers = [result for result in results if not isinstance(result, Exception)]
    if not answers:
        raise ExceptionGroup("every mirror failed", [r for r in results if isinstance(r, Exception)])
    return answers[0]
