"""Mistake: the weight goes through call_soon_threadsafe, but the error path calls
`future.set_exception` in the scale's thread: the sleeping loop does not notice it."""

import asyncio
import inspect
from collections.abc import Awaitable

MISTAKE = (
    "the event loop did not notice the error until it woke up for something else",
    "future.set_exception changes the future but does not wake the loop up",
)


async def read_weight(scale) -> float:
    loop = asyncio.get_running_loop()
    weight = loop.create_future()

    def on_weight(grams, error):  # runs in the scale's thread
        if error is not None:
            weight.set_exception(error)  # <- mistake: the loop's thread is not this one
        else:
            loop.call_soon_threadsafe(weight.set_result, grams)

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
