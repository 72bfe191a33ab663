"""Mistake: checkout catches the CancelledError that the shield lets through and waits
for the payment: the payment finishes, but checkout never ends cancelled."""

import asyncio

import aiohttp

MISTAKE = ("checkout swallowed the cancellation", "wrong_shield_swallows.py:{line}")


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
        finally:
            await flush_batch(session, base_url, batch)


async def capture_payment(base_url: str, order_id: str) -> dict:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base_url}/payments", json={"order": order_id}) as response:
            response.raise_for_status()
            return await response.json()


async def checkout(base_url: str, order_id: str) -> dict:
    payment = asyncio.create_task(capture_payment(base_url, order_id))
    try:
        return await asyncio.shield(payment)
    except asyncio.CancelledError:  # <- mistake
        return await payment
