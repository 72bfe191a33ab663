"""Accepted: the cleanup in `except asyncio.CancelledError:` ending with `raise`, and the
payment as a task kept alive in a set and awaited through asyncio.wait (which, unlike
awaiting the task, does not pass the caller's cancellation on to it)."""

import asyncio

import aiohttp


async def read_sensor(session: aiohttp.ClientSession, base_url: str) -> float:
    async with session.get(f"{base_url}/reading") as response:
        response.raise_for_status()
        return (await response.json())["celsius"]


async def flush_batch(session: aiohttp.ClientSession, base_url: str, batch: list[float]) -> None:
    async with session.post(f"{base_url}/batches", json={"readings": batch}) as response:
        response.raise_for_status()


async def poll_sensor(base_url: str, interval: float = 0.02) -> None:
    async with aiohttp.ClientSession() as session:
        batch: list[float] = []
        try:
            while True:
                batch.append(await read_sensor(session, base_url))
                await asyncio.sleep(interval)
        except asyncio.CancelledError:
            await flush_batch(session, base_url, batch)
            raise


async def capture_payment(base_url: str, order_id: str) -> dict:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base_url}/payments", json={"order": order_id}) as response:
            response.raise_for_status()
            return await response.json()


# The loop keeps only weak references to tasks: hold the payments until they finish.
_payments_in_flight: set[asyncio.Task] = set()


async def checkout(base_url: str, order_id: str) -> dict:
    payment = asyncio.create_task(capture_payment(base_url, order_id))
    _payments_in_flight.add(payment)
    payment.add_done_callback(_payments_in_flight.discard)
    # Cancelling a coroutine that waits in asyncio.wait does not cancel what it waits for.
    await asyncio.wait({payment})
    return payment.result()
