"""Accepted: a while loop, asyncio.wait_for per attempt, the giving up raised inside the
except block, jitter as delay * random.random()."""

import asyncio
import random
from collections.abc import Callable

import aiohttp


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
    return delay * random.random()


async def fetch_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    *,
    attempts: int = 4,
    base_delay: float = 0.1,
    timeout: float = 1.0,
    jitter: Callable[[float], float] = full_jitter,
) -> dict:
    attempt = 0
    while True:
        attempt += 1
        try:
            return await asyncio.wait_for(fetch_rate(session, url), timeout)
        except (aiohttp.ClientResponseError, TimeoutError) as error:
            if isinstance(error, aiohttp.ClientResponseError) and error.status < 500:
                raise
            if attempt >= attempts:
                raise GaveUp(url, attempt) from error
            asked = retry_after(error) if isinstance(error, aiohttp.ClientResponseError) else None
            backoff = jitter(base_delay * 2 ** (attempt - 1))
            await asyncio.sleep(backoff if asked is None else asked)
