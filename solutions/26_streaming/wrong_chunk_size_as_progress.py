"""Mistake: reporting each chunk's size as the progress, instead of the running total."""

import hashlib
from collections.abc import Callable

import aiohttp

MISTAKE = "each is one chunk's size (they add up to the whole), not the bytes received so far"

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest = hashlib.sha256()
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                digest.update(chunk)
                on_progress(len(chunk), response.content_length)  # <- mistake
    return digest.hexdigest()
