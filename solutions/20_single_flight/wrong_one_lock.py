"""Mistake: one lock around the cache and the fetch: tea and coffee wait for each other."""

import asyncio

import aiohttp

MISTAKE = "the coffee waited for the tea"


async def fetch_price(session: aiohttp.ClientSession, upstream_url: str, product: str) -> dict:
    async with session.get(f"{upstream_url}/prices/{product}") as response:
        response.raise_for_status()
        return await response.json()


class PriceCache:
    def __init__(self, session: aiohttp.ClientSession, upstream_url: str, ttl: float) -> None:
        self.session = session
        self.upstream_url = upstream_url
        self.ttl = ttl
        self.lock = asyncio.Lock()
        self.answers: dict[str, tuple[float, dict]] = {}

    async def get(self, product: str) -> dict:
        async with self.lock:  # <- mistake
            loop = asyncio.get_running_loop()
            kept = self.answers.get(product)
            if kept is not None and loop.time() - kept[0] < self.ttl:
                return kept[1]
            price = await fetch_price(self.session, self.upstream_url, product)
            self.answers[product] = (loop.time(), price)
            return price
