"""Kata 01 — coroutines: calling an `async def` function gives a coroutine object;
`await` runs it and gives its result; `asyncio.run` starts the loop from plain code.

Edit this file until `pytest katas/01_coroutines` is green.
"""

import asyncio


async def brew_tea(kind: str, steep_seconds: float) -> str:
    """Steep the tea without blocking the event loop, then return the cup.

    brew_tea("green", 0.01) -> "a cup of green tea"
    """
    # TODO: wait `steep_seconds` the asyncio way, then return the cup.
    raise NotImplementedError


async def serve_tea(kind: str, steep_seconds: float) -> str:
    """Brew a cup with `brew_tea` and serve it.

    serve_tea("green", 0.01) -> "a cup of green tea, served"
    """
    # TODO: get the cup from brew_tea (it is a coroutine function) and serve it.
    raise NotImplementedError


def make_tea_now(kind: str, steep_seconds: float) -> str:
    """A plain function for callers that are not async: run `serve_tea` to the end.

    make_tea_now("green", 0.01) -> "a cup of green tea, served"
    """
    # TODO: there is no event loop running here yet: start one for serve_tea.
    raise NotImplementedError
