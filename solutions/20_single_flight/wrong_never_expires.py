"""Mistake: answers are kept forever: the TTL is never checked, prices go stale."""

import asyncio

import aiohttp

MISTAKE = "without asking the price service: an old answer must be fetched again"


async def fetch_price(session: aiohttp.ClientSession, upstream_url: str, product: str) -> dict:
    async with session.get(f"{upstream_url}/prices/{product}") as response:
        response.raise_for_status()
        return await response.json()


class PriceCache:
    def __init__(self, session: aiohttp.ClientSession, upstream_url: str, ttl: float) -> None:
        self.session = session
        self.upstream_url = upstream_url
        self.ttl = ttl
        self.in_flight: dict[str, asyncio.Task[dict]] = {}
        self.answers: dict[str, dict] = {}

    async def get(self, product: str) -> dict:
        if product in self.answers:  # <- mistake
            return self.answers[product]
        fetch = self.in_flight.get(product)
        if fetch is None:
            fetch = asyncio.create_task(self._fetch(product))
            self.in_flight[product] = fetch
        return await asyncio.shield(fetch)

    async def _fetch(self, product: str) -> dict:
        try:
            price = await fetch_price(self.session, self.upstream_url, product)
            self.answers[product] = price
            return price
        finally:
            del self.in_flight[product]
