"""Accepted: `loop.run_in_executor(None, ...)` (the default thread pool) with a small
function that opens the file in a `with` block; the feed opened in a `with` statement
inside the async generator, so leaving it early closes the file."""

import asyncio
from collections.abc import AsyncIterator


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as log:
        return log.read()


async def read_log(path: str) -> str:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, read_text, path)


async def follow_readings(path: str) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    with await loop.run_in_executor(None, lambda: open(path, encoding="utf-8")) as feed:
        while True:
            line = await loop.run_in_executor(None, feed.readline)
            if not line:
                return
            yield line.removesuffix("\n")
