"""Accepted: the tasks are the cache (with the time each one finished); a failed task is
dropped by its done callback, so only answers stay."""

import asyncio
import functools

import aiohttp


async def fetch_price(session: aiohttp.ClientSession, upstream_url: str, product: str) -> dict:
    async with session.get(f"{upstream_url}/prices/{product}") as response:
        response.raise_for_status()
        return await response.json()


class PriceCache:
    def __init__(self, session: aiohttp.ClientSession, upstream_url: str, ttl: float) -> None:
        self.session = session
        self.upstream_url = upstream_url
        self.ttl = ttl
        self.tasks: dict[str, asyncio.Task[dict]] = {}
        self.finished_at: dict[str, float] = {}

    def _stale(self, product: str) -> bool:
        finished = self.finished_at.get(product)
        return finished is not None and asyncio.get_running_loop().time() - finished >= self.ttl

    def _done(self, product: str, task: asyncio.Task[dict]) -> None:
        if task.cancelled() or task.exception() is not None:
            self.tasks.pop(product, None)
        else:
            self.finished_at[product] = asyncio.get_running_loop().time()

    async def get(self, product: str) -> dict:
        task = self.tasks.get(product)
        if task is None or self._stale(product):
            self.finished_at.pop(product, None)
            task = asyncio.create_task(fetch_price(self.session, self.upstream_url, product))
            task.add_done_callback(functools.partial(self._done, product))
            self.tasks[product] = task
        return await asyncio.shield(task)
