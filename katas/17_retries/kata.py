"""Kata 17 — retries: a transient failure (a 5xx answer, a timeout) is worth another
try after a wait that doubles each time, with jitter so that clients who failed
together do not all come back together; a 4xx is the request's own fault and is never
retried. When the server says how long to wait (Retry-After), wait that long.

Edit this file until `pytest katas/17_retries` is green.
"""

import asyncio
import random
from collections.abc import Callable

import aiohttp


class GaveUp(Exception):
    """Every attempt failed. `attempts` says how many were made.

    Raise it from the last attempt's error, so that error travels with it:
    `raise GaveUp(url, attempts) from error`.
    """

    def __init__(self, url: str, attempts: int) -> None:
        super().__init__(f"gave up on {url} after {attempts} attempts")
        self.url = url
        self.attempts = attempts


async def fetch_rate(session: aiohttp.ClientSession, url: str) -> dict:
    """One attempt: GET url -> {"currency": "EUR", "rate": 1.08}.

    This one is done for you. A 4xx or 5xx answer raises aiohttp.ClientResponseError:
    its `.status` is the status, its `.headers` the answer's headers.
    """
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


def retry_after(error: aiohttp.ClientResponseError) -> float | None:
    """The seconds the server asked us to wait (its Retry-After header), or None.

    This one is done for you.
    """
    value = (error.headers or {}).get("Retry-After")
    try:
        return None if value is None else float(value)
    except ValueError:
        return None  # an HTTP date: this kata's service never sends one


def full_jitter(delay: float) -> float:
    """A random wait between 0 and `delay` seconds ("full jitter").

    full_jitter(0.4) -> 0.137..., then 0.391..., then 0.02...
    """
    # TODO: pick a random number of seconds from 0 to delay (the random module).
    raise NotImplementedError


async def fetch_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    *,
    attempts: int = 4,
    base_delay: float = 0.1,
    timeout: float = 1.0,
    jitter: Callable[[float], float] = full_jitter,
) -> dict:
    """The exchange rate at `url` (fetch_rate), retrying transient failures.

    - An attempt that takes longer than `timeout` seconds is cut: it failed.
    - A 5xx answer or a timed-out attempt is transient: wait, then try again, up to
      `attempts` attempts in all.
    - Before retry n (1, 2, 3, ...) wait `jitter(base_delay * 2 ** (n - 1))` seconds:
      jitter(base_delay), jitter(2 * base_delay), jitter(4 * base_delay), ...
      If the failed answer carried Retry-After, wait those seconds instead.
    - A 4xx answer is never retried: let its aiohttp.ClientResponseError out at once.
    - When the last attempt fails, raise GaveUp(url, attempts) from its error.
    - A cancellation is not a failure: let asyncio.CancelledError out, never retry it.
    """
    # TODO: a loop of attempts: each one inside a timeout, the 4xx let out, the
    # 5xx and timeouts remembered; then give up, or sleep and go round again.
    raise NotImplementedError
