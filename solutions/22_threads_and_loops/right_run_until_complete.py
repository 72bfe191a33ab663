"""Accepted: part 1 with a pool of its own and asyncio.wrap_future around the pool's
future, rate_of waiting with a timeout; part 2 with a loop the client makes, run in
its thread by run_until_complete of a coroutine that lives until close() resolves it."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import aiohttp

RATE_TIMEOUT = 5.0


async def fetch_rate(session: aiohttp.ClientSession, rates_url: str, currency: str) -> float:
    async with session.get(f"{rates_url}/rates/{currency}") as response:
        response.raise_for_status()
        return (await response.json())["eur"]


async def price_basket(
    session: aiohttp.ClientSession, rates_url: str, basket: list[dict], engine
) -> dict:
    loop = asyncio.get_running_loop()

    def rate_of(currency: str) -> float:
        coro = fetch_rate(session, rates_url, currency)
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=RATE_TIMEOUT)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine") as pool:
        return await asyncio.wrap_future(pool.submit(engine.price, basket, rate_of))


async def charge_order(
    session: aiohttp.ClientSession, payments_url: str, order_id: str, cents: int
) -> dict:
    payment = {"order": order_id, "cents": cents}
    async with session.post(f"{payments_url}/charges", json=payment) as response:
        response.raise_for_status()
        return await response.json()


class PaymentsClient:
    def __init__(self, payments_url: str) -> None:
        self.payments_url = payments_url
        self.loop = asyncio.new_event_loop()
        self.closed = self.loop.create_future()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.closed,))
        self.thread.start()
        self.session = self.submit(self.make_session())

    @staticmethod
    async def make_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def submit(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def charge(self, order_id: str, cents: int) -> dict:
        return self.submit(charge_order(self.session, self.payments_url, order_id, cents))

    def charge_all(self, orders: dict[str, int]) -> list[dict]:
        futures = [
            asyncio.run_coroutine_threadsafe(
                charge_order(self.session, self.payments_url, order, cents), self.loop
            )
            for order, cents in orders.items()
        ]
        return [future.result() for future in futures]

    def close(self) -> None:
        self.submit(self.session.close())
        self.loop.call_soon_threadsafe(self.closed.set_result, None)
        self.thread.join()
        self.loop.close()

    def __enter__(self) -> "PaymentsClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
