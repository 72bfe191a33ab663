"""Accepted: the callback schedules a coroutine on the loop with
`asyncio.run_coroutine_threadsafe`, and that coroutine, running on the loop's thread,
resolves the Future."""

import asyncio
import inspect
from collections.abc import Awaitable


async def read_weight(scale) -> float:
    loop = asyncio.get_running_loop()
    weight = loop.create_future()

    async def deliver(grams, error):  # runs on the loop
        if error is not None:
            weight.set_exception(error)
        else:
            weight.set_result(grams)

    def on_weight(grams, error):  # runs in the scale's thread
        asyncio.run_coroutine_threadsafe(deliver(grams, error), loop)

    scale.read_weight(on_weight)
    return await weight


class Weighing:
    def __init__(self, scale) -> None:
        self.scale = scale

    def __await__(self):
        return read_weight(self.scale).__await__()


async def total_weight(items: list[float | Awaitable[float]]) -> float:
    return sum([await item if inspect.isawaitable(item) else item for item in items])
