"""Mistake: the file is opened in a worker thread, but `for line in feed` reads each line
on the event loop's thread: while the sensor is slow to write, the loop waits with it."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

MISTAKE = ("the event loop was blocked for", "wrong_lines_on_the_loop.py:{line} in follow_readings()")


async def read_log(path: str) -> str:
    return await asyncio.to_thread(Path(path).read_text, encoding="utf-8")


async def follow_readings(path: str) -> AsyncIterator[str]:
    feed = await asyncio.to_thread(open, path, encoding="utf-8")
    with feed:
        for line in feed:  # <- mistake
            yield line.rstrip("\n")
