"""Mistake: the blocking client runs asyncio.run for every call, each with a session
of its own: no loop lives in the background, every call starts over (new loop, new
connections)."""

import asyncio
import threading

import aiohttp

MISTAKE = "each call made a loop of its own"


async def fetch_rate(session: aiohttp.ClientSession, rates_url: str, currency: str) -> float:
    async with session.get(f"{rates_url}/rates/{currency}") as response:
        response.raise_for_status()
        return (await response.json())["eur"]


async def price_basket(
    session: aiohttp.ClientSession, rates_url: str, basket: list[dict], engine
) -> dict:
    loop = asyncio.get_running_loop()

    def rate_of(currency: str) -> float:  # runs in the engine's worker thread
        fetching = asyncio.run_coroutine_threadsafe(fetch_rate(session, rates_url, currency), loop)
        return fetching.result()

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

    def charge(self, order_id: str, cents: int) -> dict:
        async def one() -> dict:
            async with aiohttp.ClientSession() as session:
                return await charge_order(session, self.payments_url, order_id, cents)

        return asyncio.run(one())  # <- mistake

    def charge_all(self, orders: dict[str, int]) -> list[dict]:
        async def all_at_once() -> list[dict]:
            async with aiohttp.ClientSession() as session:
                return await asyncio.gather(
                    *(charge_order(session, self.payments_url, o, c) for o, c in orders.items())
                )

        return asyncio.run(all_at_once())

    def close(self) -> None:
        pass

    def __enter__(self) -> "PaymentsClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
