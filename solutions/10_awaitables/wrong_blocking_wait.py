"""Mistake: waiting for the callback with threading.Event.wait() blocks the event loop."""

import inspect
import threading
from collections.abc import Awaitable

MISTAKE = ("the event loop was blocked by threading.Event.wait", "wrong_blocking_wait.py:{line}")


async def read_weight(scale) -> float:
    called_back = threading.Event()
    reply = {}

    def on_weight(grams, error):  # runs in the scale's thread
        reply.update(grams=grams, error=error)
        called_back.set()

    scale.read_weight(on_weight)
    called_back.wait()  # <- mistake
    if reply["error"] is not None:
        raise reply["error"]
    return reply["grams"]


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
