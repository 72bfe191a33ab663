"""Kata 26 — reference solution."""

import hashlib
from collections.abc import Callable

import aiohttp

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest = hashlib.sha256()
    received = 0
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            total = response.content_length
            async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                digest.update(chunk)
                received += len(chunk)
                on_progress(received, total)
    return digest.hexdigest()
