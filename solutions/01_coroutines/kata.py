"""Kata 01 — reference solution."""

import asyncio


async def brew_tea(kind: str, steep_seconds: float) -> str:
    await asyncio.sleep(steep_seconds)
    return f"a cup of {kind} tea"


async def serve_tea(kind: str, steep_seconds: float) -> str:
    cup = await brew_tea(kind, steep_seconds)
    return f"{cup}, served"


def make_tea_now(kind: str, steep_seconds: float) -> str:
    return asyncio.run(serve_tea(kind, steep_seconds))
