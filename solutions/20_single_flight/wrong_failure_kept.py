"""Mistake: the tasks are the cache, failed ones included: a 503 is served for the whole TTL."""

import asyncio

import aiohttp

MISTAKE = "without asking the price service again"


async def fetch_price(session: aiohttp.ClientSession, upstream_url: str, product: str) -> dict:
    async with session.get(f"{upstream_url}/prices/{product}") as response:
        response.raise_for_status()
        return await response.json()


class PriceCache:
    def __init__(self, session: aiohttp.ClientSession, upstream_url: str, ttl: float) -> None:
        self.session = session
        self.upstream_url = upstream_url
        self.ttl = ttl
        self.fetches: dict[str, tuple[float, asyncio.Task[dict]]] = {}

    async def get(self, product: str) -> dict:
        now = asyncio.get_running_loop().time()
        kept = self.fetches.get(product)
        if kept is None or now - kept[0] >= self.ttl:  # <- mistake
            task = asyncio.create_task(fetch_price(self.session, self.upstream_url, product))
            kept = self.fetches[product] = (now, task)
        return await asyncio.shield(kept[1])
