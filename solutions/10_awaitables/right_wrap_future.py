"""Accepted: the callback resolves a thread-safe `concurrent.futures.Future`, and
`asyncio.wrap_future` makes it awaitable on the loop (it hands the result over with
call_soon_threadsafe itself). `__await__` is a generator (`yield from`), and the basket's
awaitables are awaited together with asyncio.gather."""

import asyncio
import concurrent.futures
import inspect
from collections.abc import Awaitable


async def read_weight(scale) -> float:
    reading: concurrent.futures.Future[float] = concurrent.futures.Future()

    def on_weight(grams, error):  # runs in the scale's thread: this Future is thread-safe
        if error is not None:
            reading.set_exception(error)
        else:
            reading.set_result(grams)

    scale.read_weight(on_weight)
    return await asyncio.wrap_future(reading)


class Weighing:
    def __init__(self, scale) -> None:
        self.scale = scale

    def __await__(self):
        return (yield from read_weight(self.scale).__await__())


async def total_weight(items: list[float | Awaitable[float]]) -> float:
    numbers = [item for item in items if not inspect.isawaitable(item)]
    weighed = await asyncio.gather(*(item for item in items if inspect.isawaitable(item)))
    return sum(numbers) + sum(weighed)
