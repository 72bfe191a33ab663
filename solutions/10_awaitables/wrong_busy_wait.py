"""Mistake: spinning in a `while` loop until the scale's thread has called back: the
loop is held the whole time (no other task runs), though no call blocks."""

import asyncio
import inspect
from collections.abc import Awaitable

# The line is the spinning one, or on a loaded machine the one before it (starting the
# scale's thread waits for the thread to start): both are read_weight's.
MISTAKE = ("the event loop was blocked for", "wrong_busy_wait.py:", " in read_weight()")


async def read_weight(scale) -> float:
    reply = {}

    def on_weight(grams, error):
        reply.update(grams=grams, error=error)

    scale.read_weight(on_weight)
    while not reply:  # <- mistake: spins on the loop until the other thread answers
        pass
    if reply["error"] is not None:
        raise reply["error"]
    return reply["grams"]


class Weighing:
    def __init__(self, scale) -> None:
        self.scale = scale

    def __await__(self):
        return read_weight(self.scale).__await__()


async def total_weight(items: list[float | Awaitable[float]]) -> float:
    return sum([await item if inspect.isawaitable(item) else item for item in items])
