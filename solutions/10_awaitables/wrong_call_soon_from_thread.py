"""Mistake: `loop.call_soon` from the scale's thread: it queues the call, but only
`call_soon_threadsafe` wakes the sleeping loop up to run it."""

import asyncio
import inspect
from collections.abc import Awaitable

MISTAKE = "where loop.call_soon queues the call but does not wake the loop up"


async def read_weight(scale) -> float:
    loop = asyncio.get_running_loop()
    weight = loop.create_future()

    def on_weight(grams, error):  # runs in the scale's thread
        if error is not None:
            loop.call_soon(weight.set_exception, error)
        else:
            loop.call_soon(weight.set_result, grams)  # <- mistake

    scale.read_weight(on_weight)
    return await weight


class Weighing:
    def __init__(self, scale) -> None:
        self.scale = scale

    def __await__(self):
        return read_weight(self.scale).__await__()


async def total_weight(items: list[float | Awaitable[float]]) -> float:
    total = 0.0
    for item in items:
        total += await item if inspect.isawaitable(item) else item
    return total
