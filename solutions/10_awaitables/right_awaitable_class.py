"""Accepted: the class does the work. `Weighing.__await__` makes the Future and returns
the Future's own iterator; `read_weight` awaits a Weighing. The callback makes one
thread-safe hop (call_soon_threadsafe) to a function that settles the Future on the
loop's thread."""

import asyncio
import inspect
from collections.abc import Awaitable


async def read_weight(scale) -> float:
    return await Weighing(scale)


class Weighing:
    def __init__(self, scale) -> None:
        self.scale = scale

    def __await__(self):
        loop = asyncio.get_running_loop()
        weight = loop.create_future()

        def settle(grams, error):  # on the loop's thread
            if weight.done():  # the awaiting code gave up (cancelled)
                return
            if error is not None:
                weight.set_exception(error)
            else:
                weight.set_result(grams)

        def on_weight(grams, error):  # in the scale's thread
            loop.call_soon_threadsafe(settle, grams, error)

        self.scale.read_weight(on_weight)
        return weight.__await__()


async def total_weight(items: list[float | Awaitable[float]]) -> float:
    total = 0.0
    for item in items:
        if inspect.isawaitable(item):
            item = await item
        total += item
    return total
