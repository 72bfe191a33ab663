"""Mistake: awaiting the shared task directly: one cancelled caller cancels it for everyone."""

import asyncio

import aiohttp

MISTAKE = "cancelled the fetch itself, for everyone"


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
        self.answers: dict[str, tuple[float, dict]] = {}

    async def get(self, product: str) -> dict:
        now = asyncio.get_running_loop().time()
        kept = self.answers.get(product)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        fetch = self.in_flight.get(product)
        if fetch is None:
            fetch = asyncio.create_task(self._fetch(product))
            self.in_flight[product] = fetch
        return await fetch  # <- mistake

    async def _fetch(self, product: str) -> dict:
        try:
            price = await fetch_price(self.session, self.upstream_url, product)
            self.answers[product] = (asyncio.get_running_loop().time(), price)
            return price
        finally:
            del self.in_flight[product]
