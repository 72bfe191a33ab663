"""Mistake: reading the body after its `async with session.get(...)` block has ended:
the response is released, and its connection with it."""

import hashlib
from collections.abc import Callable

import aiohttp

MISTAKE = ("Connection closed", "wrong_read_after_the_block.py:{line}")

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest = hashlib.sha256()
    received = 0
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
        async for chunk in response.content.iter_chunked(CHUNK_SIZE):  # <- mistake
            digest.update(chunk)
            received += len(chunk)
            on_progress(received, response.content_length)
    return digest.hexdigest()
