"""Accepted: the log read in chunks, one worker-thread call per chunk; the feed as an
async iterator class (`__aiter__`, `__anext__`, `aclose`) instead of an async generator."""

import asyncio
from typing import IO

CHUNK = 64 * 1024


async def read_log(path: str) -> str:
    log = await asyncio.to_thread(open, path, "rb")
    try:
        chunks = []
        while chunk := await asyncio.to_thread(log.read, CHUNK):
            chunks.append(chunk)
    finally:
        await asyncio.to_thread(log.close)
    return b"".join(chunks).decode("utf-8")


class follow_readings:  # noqa: N801 - used like the function it stands for
    """`async for reading in follow_readings(path)`: one line per worker-thread call."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.feed: IO[str] | None = None
        self.done = False

    def __aiter__(self) -> "follow_readings":
        return self

    async def __anext__(self) -> str:
        if self.done:
            raise StopAsyncIteration
        if self.feed is None:
            self.feed = await asyncio.to_thread(open, self.path, encoding="utf-8")
        line = await asyncio.to_thread(self.feed.readline)
        if not line:
            await self.aclose()
            raise StopAsyncIteration
        return line.rstrip("\n")

    async def aclose(self) -> None:
        self.done = True
        if self.feed is not None:
            self.feed.close()
            self.feed = None
