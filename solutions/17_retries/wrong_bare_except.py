"""Mistake: `except BaseException` takes a cancellation for a failed attempt and retries."""

import asyncio
import random
from collections.abc import Callable

import aiohttp

MISTAKE = "the cancellation was caught like a failed attempt"


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
    return random.uniform(0, delay)


async def fetch_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    *,
    attempts: int = 4,
    base_delay: float = 0.1,
    timeout: float = 1.0,
    jitter: Callable[[float], float] = full_jitter,
) -> dict:
    failure: BaseException | None = None
    delay = 0.0
    for attempt in range(1, attempts + 1):
        try:
            if attempt > 1:
                await asyncio.sleep(delay)
            async with asyncio.timeout(timeout):
                return await fetch_rate(session, url)
        except BaseException as error:  # <- mistake
            if isinstance(error, aiohttp.ClientResponseError) and error.status < 500:
                raise
            failure = error
            asked = retry_after(error) if isinstance(error, aiohttp.ClientResponseError) else None
            delay = asked if asked is not None else jitter(base_delay * 2 ** (attempt - 1))
    raise GaveUp(url, attempts) from failure
