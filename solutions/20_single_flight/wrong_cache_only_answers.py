"""Mistake: only answers are cached: ten callers at once all miss, and all ask upstream."""

import asyncio

import aiohttp

MISTAKE = "the price service was asked 10 times"


async def fetch_price(session: aiohttp.ClientSession, upstream_url: str, product: str) -> dict:
    async with session.get(f"{upstream_url}/prices/{product}") as response:
        response.raise_for_status()
        return await response.json()


class PriceCache:
    def __init__(self, session: aiohttp.ClientSession, upstream_url: str, ttl: float) -> None:
        self.session = session
        self.upstream_url = upstream_url
        self.ttl = ttl
        self.answers: dict[str, tuple[float, dict]] = {}

    async def get(self, product: str) -> dict:
        loop = asyncio.get_running_loop()
        kept = self.answers.get(product)
        if kept is not None and loop.time() - kept[0] < self.ttl:
            return kept[1]
        price = await fetch_price(self.session, self.upstream_url, product)  # <- mistake
        self.answers[product] = (loop.time(), price)
        return price
