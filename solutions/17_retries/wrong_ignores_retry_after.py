"""Mistake: Retry-After ignored: the retry comes back long before the server asked."""

import asyncio
import random
from collections.abc import Callable

import aiohttp

MISTAKE = "the server asked for 0.1 s"


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
        try:
            async with asyncio.timeout(timeout):
                return await fetch_rate(session, url)
        except aiohttp.ClientResponseError as error:
            if error.status < 500:
                raise
            failure = error
        except TimeoutError as error:
            failure = error
        if attempt == attempts:
            raise GaveUp(url, attempts) from failure
        await asyncio.sleep(jitter(base_delay * 2 ** (attempt - 1)))  # <- mistake
