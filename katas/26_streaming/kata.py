"""Kata 26 — streaming: read a large response a chunk at a time (`iter_chunked`), so
memory holds one chunk, never the whole body; hash each chunk as it arrives and report
the progress after each one.

Edit this file until `pytest katas/26_streaming` is green.
"""

import hashlib
from collections.abc import Callable

import aiohttp

CHUNK_SIZE = 64 * 1024  # bytes to read at a time


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    """Download `url` and return the SHA-256 hex digest of its body, without ever
    holding the whole body in memory.

    After each chunk, call `on_progress(received, total)`: `received` is the number of
    bytes received so far, `total` the size the server announced
    (`response.content_length`, None when it does not say).

    await download_digest(url, print)  ->  "82f02242f4288da7..." (64 hex digits)
    printing on the way: 65536 8388608, 131072 8388608, ..., 8388608 8388608
    """
    digest = hashlib.sha256()
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            response.raise_for_status()
            # TODO: read the body CHUNK_SIZE bytes at a time, with `async for` over
            #       response.content.iter_chunked(...); feed each chunk to
            #       digest.update and report the progress after it.
            raise NotImplementedError
    return digest.hexdigest()
