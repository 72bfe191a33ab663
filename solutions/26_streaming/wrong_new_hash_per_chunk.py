"""Mistake: a new hash object for each chunk: the digest returned is the last chunk's."""

import hashlib
from collections.abc import Callable

import aiohttp

MISTAKE = "a new hash per chunk only ever sees that chunk"

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest = hashlib.sha256()
    received = 0
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                digest = hashlib.sha256(chunk)  # <- mistake
                received += len(chunk)
                on_progress(received, response.content_length)
    return digest.hexdigest()
