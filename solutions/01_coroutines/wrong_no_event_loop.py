"""Mistake: a plain function returns the coroutine instead of running it."""

import asyncio

MISTAKE = "make_tea_now('mint', 0.01) returned a coroutine"


async def brew_tea(kind: str, steep_seconds: float) -> str:
    await asyncio.sleep(steep_seconds)
    return f"a cup of {kind} tea"


async def serve_tea(kind: str, steep_seconds: float) -> str:
    cup = await brew_tea(kind, steep_seconds)
    return f"{cup}, served"


def make_tea_now(kind: str, steep_seconds: float) -> str:
    return serve_tea(kind, steep_seconds)  # <- mistake
