"""Mistake: calling a coroutine function without `await` (the cup is a coroutine object)."""

import asyncio

MISTAKE = ("coroutine brew_tea() was created at", "wrong_forgot_await.py:{line} but never awaited")


async def brew_tea(kind: str, steep_seconds: float) -> str:
    await asyncio.sleep(steep_seconds)
    return f"a cup of {kind} tea"


async def serve_tea(kind: str, steep_seconds: float) -> str:
    cup = brew_tea(kind, steep_seconds)  # <- mistake
    return f"{cup}, served"


def make_tea_now(kind: str, steep_seconds: float) -> str:
    return asyncio.run(serve_tea(kind, steep_seconds))
