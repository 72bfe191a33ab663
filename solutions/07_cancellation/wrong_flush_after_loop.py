"""Mistake: the flush after the `while True:` loop, where a cancellation never gets."""

import asyncio

import aiohttp

MISTAKE = ("the batch was never flushed", "code after the loop never runs")


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
        while True:
            batch.append(await read_sensor(session, base_url))
            await asyncio.sleep(interval)
        await flush_batch(session, base_url, batch)  # <- mistake


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
    return await asyncio.shield(payment)
