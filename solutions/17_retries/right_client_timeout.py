"""Accepted: aiohttp's own per-request timeout (ClientTimeout), the statuses sorted with
match, and the backoff schedule as a generator."""

import asyncio
import random
from collections.abc import Callable

import aiohttp

TRANSIENT = (asyncio.TimeoutError, aiohttp.ServerConnectionError)


class GaveUp(Exception):
    def __init__(self, url: str, attempts: int) -> None:
        super().__init__(f"gave up on {url} after {attempts} attempts")
        self.url = url
        self.attempts = attempts


async def fetch_rate(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


def retry_after(error: aiohttp.ClientResponseError) -> float | None:
    value = (error.headers or {}).get("Retry-After")
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def full_jitter(delay: float) -> float:
    return random.uniform(0.0, delay)


def backoff(base_delay: float, jitter: Callable[[float], float]):
    delay = base_delay
    while True:
        yield jitter(delay)
        delay *= 2


async def one_attempt(session: aiohttp.ClientSession, url: str, timeout: float) -> dict:
    limit = aiohttp.ClientTimeout(total=timeout)
    async with session.get(url, timeout=limit) as response:
        response.raise_for_status()
        return await response.json()


async def fetch_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    *,
    attempts: int = 4,
    base_delay: float = 0.1,
    timeout: float = 1.0,
    jitter: Callable[[float], float] = full_jitter,
) -> dict:
    waits = backoff(base_delay, jitter)
    last_error: Exception | None = None
    for attempt in range(attempts):
        if last_error is not None:
            asked = None
            if isinstance(last_error, aiohttp.ClientResponseError):
                asked = retry_after(last_error)
            wait = next(waits)
            await asyncio.sleep(wait if asked is None else asked)
        try:
            return await one_attempt(session, url, timeout)
        except aiohttp.ClientResponseError as error:
            match error.status:
                case status if status >= 500:
                    last_error = error
                case _:
                    raise
        except TRANSIENT as error:
            last_error = error
    raise GaveUp(url, attempts) from last_error
