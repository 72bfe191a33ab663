"""Kata 20 — single flight: when many callers ask for the same thing at the same time,
make one request and share its answer (and its failure) with all of them; keep the
answer a short while, so the next callers do not ask again either.

Edit this file until `pytest katas/20_single_flight` is green.
"""

import asyncio

import aiohttp


async def fetch_price(session: aiohttp.ClientSession, upstream_url: str, product: str) -> dict:
    """GET {upstream_url}/prices/{product} -> {"product": "tea", "price": 3.5}.

    This one is done for you. A 5xx answer raises aiohttp.ClientResponseError.
    """
    async with session.get(f"{upstream_url}/prices/{product}") as response:
        response.raise_for_status()
        return await response.json()


class PriceCache:
    """Prices from the upstream price service, shared by every caller of `get`."""

    def __init__(self, session: aiohttp.ClientSession, upstream_url: str, ttl: float) -> None:
        self.session = session
        self.upstream_url = upstream_url
        self.ttl = ttl
        # TODO: remember the fetches in flight, and the answers with when they arrived.

    async def get(self, product: str) -> dict:
        """The price of `product` (fetch_price), asking the upstream as little as possible.

        - Callers who ask for a product while a fetch for it is in flight wait for that
          fetch: ten callers at once make one upstream call.
        - An answer is reused for `ttl` seconds after it arrived; then the next `get`
          fetches again.
        - A failed fetch raises its error in every caller waiting for it, and is not
          kept: the next `get` tries again.
        - A caller who is cancelled stops waiting; the fetch goes on for the others.
        """
        # TODO: a fresh answer? a fetch in flight to join? else start one, as a task.
        raise NotImplementedError
