"""Accepted: a top-level helper function of the learner's own file sent to the pool (a
worker imports it by its module's name, under fork, forkserver and spawn alike)."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor


def count_with(primes_below: Callable[[int], int], limit: int) -> int:
    """A top-level helper of the learner's own: the pool imports it by name."""
    return primes_below(limit)


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, count_with, primes_below, limit)


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    return list(await asyncio.gather(*(count_primes(pool, primes_below, n) for n in limits)))
