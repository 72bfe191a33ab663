"""Kata 10 — awaitables: anything with an `__await__` method can be awaited, a coroutine
is one kind, an `asyncio.Future` another. A Future turns a callback API into something
to await, even when the callback comes from another thread.

Edit this file until `pytest katas/10_awaitables` is green.
"""

import asyncio
import inspect
from collections.abc import Awaitable


async def read_weight(scale) -> float:
    """Ask the shop's scale for a weight and await it without blocking the event loop.

    The scale has an old callback API (see LegacyScale in test_kata.py):
    `scale.read_weight(callback)` returns at once; a moment later, from the scale's
    own thread, it calls `callback(grams, None)`, or `callback(None, error)` when the
    scale fails. On an error, the `await` must raise that error.

    await read_weight(scale) -> 250.0
    """
    loop = asyncio.get_running_loop()
    # TODO: make a future on this loop; give the scale a callback that hands the
    # grams (or the error) to the loop thread-safely; await the future.
    raise NotImplementedError


class Weighing:
    """One weighing on a scale that you can await, like a coroutine.

    grams = await Weighing(scale)   # -> 250.0
    """

    def __init__(self, scale) -> None:
        self.scale = scale

    def __await__(self):
        # TODO: `await` calls this and needs an iterator back; a coroutine has one.
        raise NotImplementedError


async def total_weight(items: list[float | Awaitable[float]]) -> float:
    """Add up the weights of a basket: some items are numbers already, some are
    awaitables (a coroutine, a Weighing, a Future) whose result is the weight.

    await total_weight([100.0, Weighing(scale), read_weight(scale)]) -> 600.0
    """
    # TODO: await the items that are awaitable (all kinds, not only coroutines).
    raise NotImplementedError
