"""Mistake: each line is read in a worker thread, but `open()` runs in the coroutine: it
waits on the loop's thread until the file can be opened (a pipe: until its writer comes)."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

MISTAKE = ("the event loop was blocked for", "wrong_opened_on_the_loop.py:{line} in follow_readings()")


async def read_log(path: str) -> str:
    return await asyncio.to_thread(Path(path).read_text, encoding="utf-8")


async def follow_readings(path: str) -> AsyncIterator[str]:
    with open(path, encoding="utf-8") as feed:  # <- mistake
        while line := await asyncio.to_thread(feed.readline):
            yield line.rstrip("\n")
