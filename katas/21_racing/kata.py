"""Kata 21 — racing: ask every mirror at once, keep the first good answer, cancel the
rest. The download then takes as long as the fastest mirror; a mirror that fails only
drops out of the race, and when every mirror fails, every error is reported.

Edit this file until `pytest katas/21_racing` is green.
"""

import asyncio

import aiohttp


async def download(session: aiohttp.ClientSession, mirror_url: str, package: str) -> dict:
    """GET {mirror_url}/packages/{package} from one mirror and return the JSON body.

    This one is done for you. A mirror that answers with an error status raises
    aiohttp.ClientResponseError (its message names the mirror's URL).
    """
    async with session.get(f"{mirror_url}/packages/{package}") as response:
        response.raise_for_status()
        return await response.json()


async def download_fastest(
    session: aiohttp.ClientSession, mirror_urls: list[str], package: str
) -> dict:
    """Download `package` from every mirror at once; return the first good answer.

    - As soon as one download succeeds, cancel the others still running.
    - A mirror that fails drops out of the race: wait for the next one.
    - If every mirror fails, raise an ExceptionGroup that holds each mirror's error.
    - If download_fastest itself is cancelled, every download is cancelled too.

    download_fastest(session, [eu, us, asia], "asyncio-katas") -> {"mirror": "us", ...}
    """
    # TODO: start one download per mirror, wait for the first to complete
    # (asyncio.wait with return_when=FIRST_COMPLETED, or asyncio.as_completed), and
    # cancel the losers whatever happens.
    raise NotImplementedError
