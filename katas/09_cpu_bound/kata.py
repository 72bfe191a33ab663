"""Kata 09 — CPU-bound work: pure-Python number crunching holds the event loop just like
a blocking call, and a thread does not help (the GIL lets one thread run Python at a
time). `loop.run_in_executor(process_pool, func, *args)` runs it in another process.

Edit this file until `pytest katas/09_cpu_bound` is green.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    """Count the primes below `limit` in a worker process of `pool`; return the count.

    `pool` is a ProcessPoolExecutor that the caller made and will close; `primes_below`
    is the CPU-heavy function from primes.py. The event loop must stay free while it runs.

    await count_primes(pool, primes_below, 100) -> 25
    """
    # TODO: hand primes_below and limit to the pool (not to a thread), await the count.
    raise NotImplementedError


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    """Count the primes below every limit, all at the same time in the pool.

    The counts come back in the order of `limits`.

    await count_primes_for_each(pool, primes_below, [100, 10]) -> [25, 4]
    """
    # TODO: start one count_primes per limit, then await them together.
    raise NotImplementedError
