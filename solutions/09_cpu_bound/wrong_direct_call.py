"""Mistake: calling the CPU-heavy function inside the coroutine runs it on the event loop."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

MISTAKE = ("without sending any work to the process pool you were given", "wrong_direct_call.py:{line} in count_primes()")


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    return primes_below(limit)  # <- mistake


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    counts = await asyncio.gather(*(count_primes(pool, primes_below, n) for n in limits))
    return list(counts)
