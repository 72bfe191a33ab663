"""Mistake: steeping by watching the clock in a loop keeps the event loop busy the whole time."""

import asyncio
import time

MISTAKE = ("the event loop was blocked for", "wrong_busy_wait.py:{line} in brew_tea()")


async def brew_tea(kind: str, steep_seconds: float) -> str:
    ready_at = time.monotonic() + steep_seconds
    while time.monotonic() < ready_at:  # <- mistake
        pass
    return f"a cup of {kind} tea"


async def serve_tea(kind: str, steep_seconds: float) -> str:
    cup = await brew_tea(kind, steep_seconds)
    return f"{cup}, served"


def make_tea_now(kind: str, steep_seconds: float) -> str:
    return asyncio.run(serve_tea(kind, steep_seconds))
