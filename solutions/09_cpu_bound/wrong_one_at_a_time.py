"""Mistake: awaiting each count before starting the next: the pool's two workers never
count side by side."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

MISTAKE = "the pool counted one limit at a time (at most 1 of 2 counts in flight)"


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, primes_below, limit)


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    return [await count_primes(pool, primes_below, n) for n in limits]  # <- mistake
