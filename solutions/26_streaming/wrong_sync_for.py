"""Mistake: a plain `for` over iter_chunked, which is an async iterator."""

import hashlib
from collections.abc import Callable

import aiohttp

MISTAKE = ("`for` was used on a AsyncStreamIterator object", "wrong_sync_for.py:{line}")

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest = hashlib.sha256()
    received = 0
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            for chunk in response.content.iter_chunked(CHUNK_SIZE):  # <- mistake
                digest.update(chunk)
                received += len(chunk)
                on_progress(received, response.content_length)
    return digest.hexdigest()
