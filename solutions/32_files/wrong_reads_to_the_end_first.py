"""Mistake: reading every line in one worker-thread call (readlines) before yielding the
first: nothing is handed out until the feed has ended."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

MISTAKE = "follow_readings handed out no line until the sensor had finished writing"


def read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as feed:
        return feed.readlines()


async def read_log(path: str) -> str:
    return await asyncio.to_thread(Path(path).read_text, encoding="utf-8")


async def follow_readings(path: str) -> AsyncIterator[str]:
    lines = await asyncio.to_thread(read_lines, path)  # <- mistake
    for line in lines:
        yield line.rstrip("\n")
