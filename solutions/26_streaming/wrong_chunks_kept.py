"""Mistake: reading in chunks but keeping them in a list, joined at the end: the whole
body is in memory anyway."""

import hashlib
from collections.abc import Callable

import aiohttp

MISTAKE = "it read the image in chunks, but kept them all"

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    chunks = []
    received = 0
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                chunks.append(chunk)  # <- mistake
                received += len(chunk)
                on_progress(received, response.content_length)
    return hashlib.sha256(b"".join(chunks)).hexdigest()
