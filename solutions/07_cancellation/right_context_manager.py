"""Accepted: the batch as an @asynccontextmanager that flushes in `finally:` around its
`yield`, and checkout awaiting asyncio.shield of a payment task it keeps referenced."""

import asyncio
import contextlib

import aiohttp


async def read_sensor(session: aiohttp.ClientSession, base_url: str) -> float:
    async with session.get(f"{base_url}/reading") as response:
        response.raise_for_status()
        return (await response.json())["celsius"]


async def flush_batch(session: aiohttp.ClientSession, base_url: str, batch: list[float]) -> None:
    async with session.post(f"{base_url}/batches", json={"readings": batch}) as response:
        response.raise_for_status()


@contextlib.asynccontextmanager
async def flushed_when_done(session: aiohttp.ClientSession, base_url: str):
    batch: list[float] = []
    try:
        yield batch
    finally:
        await flush_batch(session, base_url, batch)


async def poll_sensor(base_url: str, interval: float = 0.02) -> None:
    async with aiohttp.ClientSession() as session:
        async with flushed_when_done(session, base_url) as batch:
            while True:
                batch.append(await read_sensor(session, base_url))
                await asyncio.sleep(interval)


async def capture_payment(base_url: str, order_id: str) -> dict:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base_url}/payments", json={"order": order_id}) as response:
            response.raise_for_status()
            return await response.json()


class Payments:
    """The payments in flight: the loop keeps only weak references to tasks."""

    def __init__(self) -> None:
        self.in_flight: set[asyncio.Task] = set()

    def start(self, base_url: str, order_id: str) -> asyncio.Task:
        payment = asyncio.create_task(capture_payment(base_url, order_id))
        self.in_flight.add(payment)
        payment.add_done_callback(self.in_flight.discard)
        return payment


PAYMENTS = Payments()


async def checkout(base_url: str, order_id: str) -> dict:
    return await asyncio.shield(PAYMENTS.start(base_url, order_id))
