"""Mistake: a new ProcessPoolExecutor for every call instead of the pool the caller gave:
every call starts worker processes again (and a stray pool can hang the program's exit)."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

MISTAKE = ("a ProcessPoolExecutor of its own", "wrong_own_pool.py:{line} in count_primes()")


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor() as own_pool:
        return await loop.run_in_executor(own_pool, primes_below, limit)  # <- mistake


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    counts = await asyncio.gather(*(count_primes(pool, primes_below, n) for n in limits))
    return list(counts)
