"""Kata 32 — reference solution."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path


async def read_log(path: str) -> str:
    return await asyncio.to_thread(Path(path).read_text, encoding="utf-8")


async def follow_readings(path: str) -> AsyncIterator[str]:
    feed = await asyncio.to_thread(open, path, encoding="utf-8")
    try:
        while line := await asyncio.to_thread(feed.readline):
            yield line.rstrip("\n")
    finally:
        feed.close()
