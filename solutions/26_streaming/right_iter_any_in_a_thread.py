"""Accepted: `iter_any()` (whatever has arrived, however much), each chunk hashed in a
worker thread with `asyncio.to_thread`, an async generator for the chunks."""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable

import aiohttp

CHUNK_SIZE = 64 * 1024


async def chunks_of(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    async for chunk in response.content.iter_any():
        yield chunk


async def download_digest(url: str, on_progress: Callable[[int, int | None], None]) -> str:
    digest = hashlib.sha256()
    received = 0
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        response.raise_for_status()
        async for chunk in chunks_of(response):
            await asyncio.to_thread(digest.update, chunk)
            received += len(chunk)
            on_progress(received, response.content_length)
    return digest.hexdigest()
