"""Accepted: a `while` loop over `await response.content.read(CHUNK_SIZE)` (an empty
bytes at the end of the body), with the total read from the headers."""

import hashlib
from collections.abc import Callable

import aiohttp

CHUNK_SIZE = 64 * 1024


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest = hashlib.sha256()
    received = 0
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        async with session.get(url) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None else None
            while chunk := await response.content.read(CHUNK_SIZE):
                digest.update(chunk)
                received += len(chunk)
                on_progress(received, total)
    return digest.hexdigest()
