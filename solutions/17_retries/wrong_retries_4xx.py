"""Mistake: every error answer is retried, a 404 too: the same wrong request fails again."""

import asyncio
import random
from collections.abc import Callable

import aiohttp

MISTAKE = "for a rate that answered 404 Not Found"


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
    for attempt in range(1, attempts + 1):
        asked: float | None = None
        try:
            async with asyncio.timeout(timeout):
                return await fetch_rate(session, url)
        except aiohttp.ClientResponseError as error:  # <- mistake
            failure, asked = error, retry_after(error)
        except TimeoutError as error:
            failure = error
        if attempt == attempts:
            raise GaveUp(url, attempts) from failure
        await asyncio.sleep(asked if asked is not None else jitter(base_delay * 2 ** (attempt - 1)))
