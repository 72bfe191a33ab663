"""Mistake: closing the file after the loop over its lines, not in `finally`: a caller that
stops early never gets there, and the file stays open."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

MISTAKE = "follow_readings left early.log open when the caller stopped after two lines"


async def read_log(path: str) -> str:
    return await asyncio.to_thread(Path(path).read_text, encoding="utf-8")


async def follow_readings(path: str) -> AsyncIterator[str]:
    feed = await asyncio.to_thread(open, path, encoding="utf-8")
    while line := await asyncio.to_thread(feed.readline):
        yield line.rstrip("\n")
    feed.close()  # <- mistake
