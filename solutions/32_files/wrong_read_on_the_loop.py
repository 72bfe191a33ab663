"""Mistake: opening and reading the file in the coroutine itself: the read runs on the
event loop's thread, and every other task waits until it is done."""

import asyncio
from collections.abc import AsyncIterator

MISTAKE = ("the event loop was blocked by io.TextIOWrapper.read", "wrong_read_on_the_loop.py:{line} in read_log()")


async def read_log(path: str) -> str:
    with open(path, encoding="utf-8") as log:
        return log.read()  # <- mistake


async def follow_readings(path: str) -> AsyncIterator[str]:
    feed = await asyncio.to_thread(open, path, encoding="utf-8")
    try:
        while line := await asyncio.to_thread(feed.readline):
            yield line.rstrip("\n")
    finally:
        feed.close()
