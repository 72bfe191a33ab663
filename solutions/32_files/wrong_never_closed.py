"""Mistake: `open(path).read()` in the worker thread: the read is off the loop, but
nothing closes the file; Python closes it later, when the file object is dropped."""

import asyncio
from collections.abc import AsyncIterator

MISTAKE = "read_log returned and left closing.log open"


async def read_log(path: str) -> str:
    return await asyncio.to_thread(lambda: open(path, encoding="utf-8").read())  # <- mistake


async def follow_readings(path: str) -> AsyncIterator[str]:
    feed = await asyncio.to_thread(open, path, encoding="utf-8")
    try:
        while line := await asyncio.to_thread(feed.readline):
            yield line.rstrip("\n")
    finally:
        feed.close()
