"""Mistake: `time.sleep` inside a coroutine blocks the whole event loop."""

import asyncio
import time

MISTAKE = ("the event loop was blocked by time.sleep", "wrong_time_sleep.py:{line}")


async def brew_tea(kind: str, steep_seconds: float) -> str:
    time.sleep(steep_seconds)  # <- mistake
    return f"a cup of {kind} tea"


async def serve_tea(kind: str, steep_seconds: float) -> str:
    cup = await brew_tea(kind, steep_seconds)
    return f"{cup}, served"


def make_tea_now(kind: str, steep_seconds: float) -> str:
    return asyncio.run(serve_tea(kind, steep_seconds))
