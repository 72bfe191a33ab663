"""Kata 22 — threads and loops: an event loop belongs to one thread. Code in another
thread hands it a coroutine with `asyncio.run_coroutine_threadsafe(coro, loop)` and
waits for the result there; a blocking (sync) API can run its own loop in a background
thread and serve every call through it.

Edit this file until `pytest katas/22_threads_and_loops` is green.
"""

import asyncio
import threading

import aiohttp


# --- part 1: a blocking engine, in a worker thread, asks the loop for rates -------------
async def fetch_rate(session: aiohttp.ClientSession, rates_url: str, currency: str) -> float:
    """GET {rates_url}/rates/{currency}: how many euros one unit of `currency` is worth.

    This one is done for you. An unknown currency raises aiohttp.ClientResponseError (404).
    """
    async with session.get(f"{rates_url}/rates/{currency}") as response:
        response.raise_for_status()
        return (await response.json())["eur"]


async def price_basket(
    session: aiohttp.ClientSession, rates_url: str, basket: list[dict], engine
) -> dict:
    """Price `basket` with the legacy pricing engine; return what engine.price returns.

    `engine.price(basket, rate_of)` is blocking: run it in a worker thread, so the event
    loop stays free. While it works, the engine calls `rate_of(currency)` — from its
    worker thread — and needs a float back. Write `rate_of` so that it fetches the rate
    with `fetch_rate(session, rates_url, currency)` on THIS event loop (the session
    belongs to it), waits for it in the worker thread, and returns the rate; a failed
    fetch raises its error in the worker thread.
    """
    # TODO: take the running loop here; define rate_of(currency) with
    # asyncio.run_coroutine_threadsafe(...) and wait for its result; run engine.price
    # in a worker thread (asyncio.to_thread) and return what it returns.
    raise NotImplementedError


# --- part 2: a blocking client over an event loop in a background thread ----------------
async def charge_order(
    session: aiohttp.ClientSession, payments_url: str, order_id: str, cents: int
) -> dict:
    """POST {payments_url}/charges {"order": order_id, "cents": cents}; return the JSON body.

    This one is done for you. A declined card raises aiohttp.ClientResponseError (402).
    """
    payment = {"order": order_id, "cents": cents}
    async with session.post(f"{payments_url}/charges", json=payment) as response:
        response.raise_for_status()
        return await response.json()


class PaymentsClient:
    """A blocking payments client for code that is not async (a script, a WSGI view, a
    worker thread): each method blocks its caller until the answer is there.

    Inside, ONE event loop runs in a background thread for the client's whole life, with
    ONE aiohttp.ClientSession that every call shares (so connections are reused).

        with PaymentsClient(url) as payments:
            payments.charge("order-1", 1250)  # -> {"order": "order-1", "charged": 1250}
    """

    def __init__(self, payments_url: str) -> None:
        self.payments_url = payments_url
        # TODO: make a new event loop and a thread that runs it; open the session on
        # that loop (aiohttp wants to be created inside a coroutine on its loop).
        raise NotImplementedError

    def charge(self, order_id: str, cents: int) -> dict:
        """Charge one order with charge_order, on the background loop; block until done."""
        # TODO
        raise NotImplementedError

    def charge_all(self, orders: dict[str, int]) -> list[dict]:
        """Charge every order AT ONCE on the background loop; the results in `orders` order."""
        # TODO
        raise NotImplementedError

    def close(self) -> None:
        """Close the session, stop the loop, and wait for its thread to end."""
        # TODO
        raise NotImplementedError

    def __enter__(self) -> "PaymentsClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
