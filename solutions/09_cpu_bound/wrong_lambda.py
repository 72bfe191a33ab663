"""Mistake: a lambda cannot be pickled, so the pool cannot send it to a worker process."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

MISTAKE = ("the pool could not send the function to a worker process", "wrong_lambda.py:{line} in count_primes()")


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, lambda: primes_below(limit))  # <- mistake


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    counts = await asyncio.gather(*(count_primes(pool, primes_below, n) for n in limits))
    return list(counts)
