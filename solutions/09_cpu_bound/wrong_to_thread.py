"""Mistake: a thread for CPU-heavy pure Python: it shares the GIL with the event loop."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

MISTAKE = ("your code ran primes_below in a thread (asyncio.to_thread)", "wrong_to_thread.py:{line} in count_primes()")


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    return await asyncio.to_thread(primes_below, limit)  # <- mistake


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    counts = await asyncio.gather(*(count_primes(pool, primes_below, n) for n in limits))
    return list(counts)
