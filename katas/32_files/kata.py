"""Kata 32 — files: reading a file is a blocking call. On a slow disk, a network share or
a pipe, `open(...).read()` stops the whole event loop until the data is there: open and
read files in a worker thread (`asyncio.to_thread`), and close them on every path.

Edit this file until `pytest katas/32_files` is green.
"""

import asyncio
from collections.abc import AsyncIterator


async def read_log(path: str) -> str:
    """Return the whole text of the sensor log at `path` (UTF-8), read off the event loop.

    await read_log("oslo.log") -> "12:00 oslo 3.5\\n12:01 oslo 3.6\\n"

    The file is closed before read_log returns.
    """
    # TODO: open and read the file in a worker thread, and close it there.
    raise NotImplementedError


async def follow_readings(path: str) -> AsyncIterator[str]:
    """Yield the lines of the sensor feed at `path` (UTF-8) one by one, without their line
    endings, each as soon as it has been read: the feed may still be writing the next one.

    async for reading in follow_readings("feed"): ...   # "12:00 oslo 3.5", ...

    Nothing is read on the event loop's thread. The file is closed when the feed ends and
    when the caller stops early (`async with contextlib.aclosing(follow_readings(path))`).
    """
    # TODO: open the file in a worker thread; then read one line per worker-thread call
    #       and yield it; close the file however the loop over the lines ends.
    raise NotImplementedError
    yield  # (this `yield` makes follow_readings an async generator)
