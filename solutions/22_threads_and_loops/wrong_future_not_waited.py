"""Mistake: rate_of hands back the concurrent Future of run_coroutine_threadsafe
instead of waiting for the rate."""

import asyncio
import threading

import aiohttp

MISTAKE = "instead of the rate"


async def fetch_rate(session: aiohttp.ClientSession, rates_url: str, currency: str) -> float:
    async with session.get(f"{rates_url}/rates/{currency}") as response:
        response.raise_for_status()
        return (await response.json())["eur"]


async def price_basket(
    session: aiohttp.ClientSession, rates_url: str, basket: list[dict], engine
) -> dict:
    loop = asyncio.get_running_loop()

    def rate_of(currency: str) -> float:  # runs in the engine's worker thread
        return asyncio.run_coroutine_threadsafe(fetch_rate(session, rates_url, currency), loop)  # <- mistake

    return await asyncio.to_thread(engine.price, basket, rate_of)


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
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="payments-loop")
        self._thread.start()
        self._session = self._run(self._open_session())

    async def _open_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def _run(self, coro):
        """Run `coro` on the background loop; block this thread until it is done."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def charge(self, order_id: str, cents: int) -> dict:
        return self._run(charge_order(self._session, self.payments_url, order_id, cents))

    def charge_all(self, orders: dict[str, int]) -> list[dict]:
        async def all_at_once() -> list[dict]:
            return await asyncio.gather(
                *(charge_order(self._session, self.payments_url, o, c) for o, c in orders.items())
            )

        return self._run(all_at_once())

    def close(self) -> None:
        self._run(self._session.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> "PaymentsClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
