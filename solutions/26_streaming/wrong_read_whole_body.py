"""Mistake: `await response.read()` holds the whole body in memory before hashing it."""

import hashlib
from collections.abc import Callable

import aiohttp

MISTAKE = "it read the whole image in one go"

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            body = await response.read()  # <- mistake
            on_progress(len(body), response.content_length)
    return hashlib.sha256(body).hexdigest()
