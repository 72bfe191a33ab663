"""Accepted: an `asyncio.Runner` in the plain entry point (the docs' idiom when one loop
runs several coroutines), and the brewed cup awaited inside an f-string."""

import asyncio


async def brew_tea(kind: str, steep_seconds: float) -> str:
    await asyncio.sleep(steep_seconds)
    return f"a cup of {kind} tea"


async def serve_tea(kind: str, steep_seconds: float) -> str:
    return f"{await brew_tea(kind, steep_seconds)}, served"


def make_tea_now(kind: str, steep_seconds: float) -> str:
    with asyncio.Runner() as runner:
        return runner.run(serve_tea(kind, steep_seconds))
