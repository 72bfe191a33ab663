"""Accepted: `pool.submit(...)` wrapped with `asyncio.wrap_future` (the concurrent.futures
idiom made awaitable), and the counts started in a TaskGroup."""

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor


async def count_primes(pool: Executor, primes_below: Callable[[int], int], limit: int) -> int:
    return await asyncio.wrap_future(pool.submit(primes_below, limit))


async def count_primes_for_each(
    pool: Executor, primes_below: Callable[[int], int], limits: list[int]
) -> list[int]:
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(count_primes(pool, primes_below, n)) for n in limits]
    return [task.result() for task in tasks]
