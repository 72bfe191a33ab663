"""Accepted: `functools.partial` binds the argument (a partial of a top-level function can
be pickled), and every count is handed to the pool directly, then gathered."""

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool, functools.partial(primes_below, limit))


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    loop = asyncio.get_running_loop()
    counting = [loop.run_in_executor(pool, primes_below, limit) for limit in limits]
    return list(await asyncio.gather(*counting))
