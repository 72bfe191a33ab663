"""Accepted: `asyncio.sleep(delay, result)` hands back the cup when the time is up, and
the plain entry point keeps the coroutine in a variable before `asyncio.run` runs it."""

import asyncio


async def brew_tea(kind: str, steep_seconds: float) -> str:
    return await asyncio.sleep(steep_seconds, result=f"a cup of {kind} tea")


async def serve_tea(kind: str, steep_seconds: float) -> str:
    brewing = brew_tea(kind, steep_seconds)
    cup = await brewing
    return cup + ", served"


def make_tea_now(kind: str, steep_seconds: float) -> str:
    serving = serve_tea(kind, steep_seconds)
    return asyncio.run(serving)
