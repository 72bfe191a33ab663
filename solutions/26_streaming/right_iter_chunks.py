"""Accepted: `iter_chunks()`, which hands out (data, end_of_http_chunk) pairs as the
server sent them; with chunked transfer the last pair is empty, so the same count is
reported twice, which is still in order."""

import hashlib
from collections.abc import Callable

import aiohttp

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest, received = hashlib.sha256(), 0
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            async for data, _end_of_http_chunk in response.content.iter_chunks():
                digest.update(data)
                received += len(data)
                on_progress(received, response.content_length)
    return digest.hexdigest()
