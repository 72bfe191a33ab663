"""Mistake: `with pool:` around the work shuts down the pool the caller gave (and will
close): the next count finds it closed."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

MISTAKE = ("your code shut down the pool it was given", "wrong_with_pool.py:{line} in count_primes()")


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    loop = asyncio.get_running_loop()
    with pool:  # <- mistake
        return await loop.run_in_executor(pool, primes_below, limit)


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    counts = await asyncio.gather(*(count_primes(pool, primes_below, n) for n in limits))
    return list(counts)
