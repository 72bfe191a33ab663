"""Accepted: part 1 with loop.call_soon_threadsafe and a concurrent.futures.Future the
worker thread waits on, the engine in loop.run_in_executor; part 2 with asyncio.Runner
in the background thread, serving until an asyncio.Event set from outside."""

import asyncio
import concurrent.futures
import threading

import aiohttp


async def fetch_rate(session: aiohttp.ClientSession, rates_url: str, currency: str) -> float:
    async with session.get(f"{rates_url}/rates/{currency}") as response:
        response.raise_for_status()
        return (await response.json())["eur"]


async def price_basket(
    session: aiohttp.ClientSession, rates_url: str, basket: list[dict], engine
) -> dict:
    loop = asyncio.get_running_loop()

    def rate_of(currency: str) -> float:
        answer: concurrent.futures.Future = concurrent.futures.Future()

        def copy(task: asyncio.Task) -> None:
            if task.cancelled():
                answer.cancel()
            elif task.exception() is not None:
                answer.set_exception(task.exception())
            else:
                answer.set_result(task.result())

        def start() -> None:  # runs on the loop's thread
            loop.create_task(fetch_rate(session, rates_url, currency)).add_done_callback(copy)

        loop.call_soon_threadsafe(start)
        return answer.result()

    return await loop.run_in_executor(None, engine.price, basket, rate_of)


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
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="payments")
        self._thread.start()
        self._ready.wait()

    def _serve(self) -> None:
        with asyncio.Runner() as runner:
            runner.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        async with aiohttp.ClientSession() as self._session:
            self._ready.set()
            await self._closing.wait()

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def charge(self, order_id: str, cents: int) -> dict:
        return self._call(charge_order(self._session, self.payments_url, order_id, cents))

    def charge_all(self, orders: dict[str, int]) -> list[dict]:
        async def every_order() -> list[dict]:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(charge_order(self._session, self.payments_url, order, cents))
                    for order, cents in orders.items()
                ]
            return [task.result() for task in tasks]

        return self._call(every_order())

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._closing.set)
        self._thread.join()

    def __enter__(self) -> "PaymentsClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
