"""Accepted: a dict of Futures, filled by a background task; callers wait with asyncio.wait,
which never cancels what it waits for (no shield needed)."""

import asyncio

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
        self.waiting: dict[str, asyncio.Future[dict]] = {}
        self.answers: dict[str, tuple[float, dict]] = {}
        self.fillers: set[asyncio.Task[None]] = set()

    async def get(self, product: str) -> dict:
        loop = asyncio.get_running_loop()
        kept = self.answers.get(product)
        if kept is not None and loop.time() - kept[0] < self.ttl:
            return kept[1]
        future = self.waiting.get(product)
        if future is None:
            future = self.waiting[product] = loop.create_future()
            filler = asyncio.create_task(self._fill(product, future))
            self.fillers.add(filler)
            filler.add_done_callback(self.fillers.discard)
        await asyncio.wait({future})
        return future.result()

    async def _fill(self, product: str, future: asyncio.Future[dict]) -> None:
        try:
            price = await fetch_price(self.session, self.upstream_url, product)
        except Exception as error:
            future.set_exception(error)
        else:
            self.answers[product] = (asyncio.get_running_loop().time(), price)
            future.set_result(price)
        finally:
            del self.waiting[product]
